#include "proxy/hold_gate.h"

#include <thread>

#include "proxy/worker.h"

namespace sealgate::proxy {

void HoldGate::Begin(std::vector<std::string> tables) {
  std::lock_guard<std::mutex> lock(mu_);
  active_ = true;
  for (Worker* w : workers_) w->BeginHold(tables);
}

bool HoldGate::WaitDrained(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    bool applied = true;
    int busy = 0;
    for (Worker* w : workers_) {
      applied = applied && w->hold_applied();
      busy += w->not_quiet();
    }
    if (applied && busy == 0) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    // Sub-millisecond polling keeps the hold short; it runs only during a seal.
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

int HoldGate::NotQuiet() const {
  int busy = 0;
  for (Worker* w : workers_) busy += w->not_quiet();
  return busy;
}

void HoldGate::End() {
  std::lock_guard<std::mutex> lock(mu_);
  active_ = false;
  for (Worker* w : workers_) w->EndHold();
}

bool HoldGate::active() const {
  std::lock_guard<std::mutex> lock(mu_);
  return active_;
}

}  // namespace sealgate::proxy
