#include "deploy/hold_watchdog.h"

namespace sealgate::deploy {

HoldWatchdog::HoldWatchdog(Clock::time_point deadline, std::function<void()> expire)
    : deadline_(deadline), expire_(std::move(expire)), thread_([this] { Run(); }) {}

HoldWatchdog::~HoldWatchdog() {
  (void)Disarm();
  thread_.join();
}

void HoldWatchdog::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  if (!cv_.wait_until(lock, deadline_, [this] { return disarmed_; })) {
    fired_ = true;
    lock.unlock();
    expire_();
    lock.lock();
    finished_ = true;
    cv_.notify_all();
  }
}

bool HoldWatchdog::Disarm() {
  std::unique_lock<std::mutex> lock(mu_);
  if (!fired_) {
    disarmed_ = true;
    cv_.notify_all();
    return true;
  }
  cv_.wait(lock, [this] { return finished_; });
  return false;
}

bool HoldWatchdog::expired() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fired_;
}

std::chrono::milliseconds HoldWatchdog::remaining() const {
  auto left = deadline_ - Clock::now();
  if (left <= Clock::duration::zero()) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(left);
}

}  // namespace sealgate::deploy
