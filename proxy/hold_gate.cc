#include "proxy/hold_gate.h"

#include <thread>

#include "proxy/worker.h"

namespace sealgate::proxy {

void HoldGate::Begin() {
  std::lock_guard<std::mutex> lock(mu_);
  if (holds_++ == 0) {
    for (Worker* w : workers_) w->BeginHold();
  }
}

bool HoldGate::WaitApplied(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    bool applied = true;
    for (Worker* w : workers_) applied = applied && w->hold_applied();
    if (applied) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    // Sub-millisecond polling keeps the hold short; it runs only during a seal.
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

void HoldGate::End() {
  std::lock_guard<std::mutex> lock(mu_);
  if (holds_ == 0) return;
  if (--holds_ == 0) {
    for (Worker* w : workers_) w->EndHold();
  }
}

bool HoldGate::active() const {
  std::lock_guard<std::mutex> lock(mu_);
  return holds_ > 0;
}

}  // namespace sealgate::proxy
