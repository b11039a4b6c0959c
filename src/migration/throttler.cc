#include "migration/throttler.h"

namespace sealgate::migration {

std::string ThreadsRunningThrottler::Reason() {
  std::lock_guard<std::mutex> lock(mu_);
  auto now = std::chrono::steady_clock::now();
  if (now - checked_ < interval_) return reason_;
  checked_ = now;
  if (!conn_.connected()) {
    auto c = SqlConn::Open(server_);
    if (!c.ok()) return reason_ = "";  // an unreachable server is the copier's problem, not a throttle
    conn_ = std::move(*c);
  }
  auto v = conn_.Query("SHOW GLOBAL STATUS LIKE 'Threads_running'");
  if (!v.ok() || v->empty()) {
    conn_ = SqlConn();
    return reason_ = "";
  }
  int running = std::stoi(v->front()[1].value_or("0"));
  reason_ = running > max_ ? "Threads_running=" + std::to_string(running) + " > " + std::to_string(max_) : "";
  return reason_;
}

}  // namespace sealgate::migration
