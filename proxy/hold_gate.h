// HoldGate: the proxy side of the seal's write hold (DESIGN.md §4 step 2).
//
// While a hold is on, the next statement of every session at a statement
// boundary (not in a transaction, no LOCK TABLES, HANDLER or GET_LOCK held,
// nothing in flight) waits in the proxy; sessions that are not at a boundary
// go on — they are never waited for (what could block the seal was found
// before the hold began). End() releases held statements in order. Clients
// see only latency. Holds are counted: statements are held while any Begin()
// has no End() yet. Methods are thread-safe and meant for the seal's threads
// (never a loop thread: WaitApplied blocks).
#pragma once

#include <chrono>
#include <mutex>
#include <vector>

namespace sealgate::proxy {

class Worker;

class HoldGate {
 public:
  explicit HoldGate(std::vector<Worker*> workers) : workers_(std::move(workers)) {}

  void Begin();
  // True once every worker holds (statements arriving from now on wait);
  // false after `timeout`.
  bool WaitApplied(std::chrono::milliseconds timeout);
  void End();
  bool active() const;

 private:
  std::vector<Worker*> workers_;
  mutable std::mutex mu_;
  int holds_ = 0;  // GUARDED_BY(mu_)
};

}  // namespace sealgate::proxy
