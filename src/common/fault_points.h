// FaultPoints: named places in sealgate's state changes where a test can make
// something fail on purpose — the process dies there (SIGKILL, as a crash
// would), one of the step's server connections is lost, or the step is
// delayed — so every failure branch is exercised on a real server without
// editing code. Production never configures any; an unconfigured point costs
// one map lookup on an empty map.
//
// Spec (from --fault-points or SEALGATE_FAULT_POINTS): "point=action[;point=action...]",
// action one of: crash | lose:ROLE | delay:MS, each optionally followed by "@N"
// to act only on the N-th time the point is reached (1-based; default: every time).
// Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sealgate {

struct FaultAction {
  enum class Kind : uint8_t { kNone, kCrash, kLoseConnection, kDelay } kind = Kind::kNone;
  std::string role;  // kLoseConnection: whose connection ("gate", "rename", "probe")
  int delay_ms = 0;  // kDelay
};

class FaultPoints {
 public:
  // Adds the points of `spec` (see above); on error nothing is added.
  Status Add(std::string_view spec);

  // What to do at `point` this time. kCrash never returns: the process is
  // killed with SIGKILL; kDelay has already slept when this returns.
  FaultAction Reach(std::string_view point);

 private:
  struct Entry {
    FaultAction action;
    int only_hit = 0;  // 0: every time
    int hits = 0;
  };
  std::mutex mu_;
  std::map<std::string, Entry, std::less<>> points_;  // GUARDED_BY(mu_)
};

}  // namespace sealgate
