// HoldGate: the proxy side of the seal's write hold (DESIGN.md §4 step 2).
//
// Begin(): every session's next statement is held in the proxy once the
// session is at a statement boundary (not in a transaction, no LOCK TABLES,
// HANDLER or GET_LOCK held, nothing in flight); sessions that are not at a
// boundary run until they reach one. WaitDrained() reports when every session
// is at a boundary. End() releases held statements in order. Clients see only
// latency. One hold at a time; methods are thread-safe and meant for the seal
// coordinator's thread (never a loop thread: WaitDrained blocks).
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

namespace sealgate::proxy {

class Worker;

class HoldGate {
 public:
  explicit HoldGate(std::vector<Worker*> workers) : workers_(std::move(workers)) {}

  // `tables`: "schema.name" of every table the seal touches (sessions holding
  // LOCK TABLES on other tables do not block the drain).
  void Begin(std::vector<std::string> tables = {});
  // True once every session is at a boundary; false after `timeout` (the hold stays on).
  bool WaitDrained(std::chrono::milliseconds timeout);
  // Sessions not yet at a boundary (for "why the seal waits" messages).
  int NotQuiet() const;
  void End();
  bool active() const;

 private:
  std::vector<Worker*> workers_;
  mutable std::mutex mu_;
  bool active_ = false;  // GUARDED_BY(mu_)
};

}  // namespace sealgate::proxy
