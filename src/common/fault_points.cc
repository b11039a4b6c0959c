#include "common/fault_points.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

namespace sealgate {

Status FaultPoints::Add(std::string_view spec) {
  std::map<std::string, Entry, std::less<>> out;
  while (!spec.empty()) {
    size_t end = spec.find(';');
    std::string_view item = spec.substr(0, end);
    spec = end == std::string_view::npos ? std::string_view() : spec.substr(end + 1);
    if (item.empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return Status::InvalidArgument("fault point '" + std::string(item) + "' is not point=action");
    }
    std::string point(item.substr(0, eq));
    std::string action(item.substr(eq + 1));
    Entry e;
    if (size_t at = action.find('@'); at != std::string::npos) {
      e.only_hit = std::atoi(action.c_str() + at + 1);
      if (e.only_hit <= 0) return Status::InvalidArgument("fault point '" + point + "': @N needs N >= 1");
      action.resize(at);
    }
    if (action == "crash") {
      e.action.kind = FaultAction::Kind::kCrash;
    } else if (action.rfind("lose:", 0) == 0 && action.size() > 5) {
      e.action.kind = FaultAction::Kind::kLoseConnection;
      e.action.role = action.substr(5);
    } else if (action.rfind("delay:", 0) == 0) {
      e.action.kind = FaultAction::Kind::kDelay;
      e.action.delay_ms = std::atoi(action.c_str() + 6);
    } else {
      return Status::InvalidArgument("fault point '" + point + "': unknown action '" + action +
                                     "' (crash, lose:ROLE, delay:MS)");
    }
    out[point] = e;
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [point, e] : out) points_[point] = e;
  return Status::Ok();
}

FaultAction FaultPoints::Reach(std::string_view point) {
  FaultAction action;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = points_.find(point);
    if (it == points_.end()) return action;
    Entry& e = it->second;
    ++e.hits;
    if (e.only_hit != 0 && e.hits != e.only_hit) return action;
    action = e.action;
  }
  switch (action.kind) {
    case FaultAction::Kind::kCrash:
      kill(getpid(), SIGKILL);
      for (;;) pause();
    case FaultAction::Kind::kDelay:
      std::this_thread::sleep_for(std::chrono::milliseconds(action.delay_ms));
      break;
    default:
      break;
  }
  return action;
}

}  // namespace sealgate
