// HoldWatchdog: the hard budget of one hold (DESIGN.md §4 step 2). A thread
// of its own waits for the deadline; if the hold is still on by then it runs
// `expire` once — which releases the clients and ends the attempt — whatever
// the thread that runs the attempt is blocked on, and whether or not the
// server answers.
//
// Lifetime: the thread starts in the constructor and is joined in the
// destructor (which disarms first). Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace sealgate::deploy {

class HoldWatchdog {
 public:
  using Clock = std::chrono::steady_clock;

  HoldWatchdog(Clock::time_point deadline, std::function<void()> expire);
  ~HoldWatchdog();
  HoldWatchdog(const HoldWatchdog&) = delete;
  HoldWatchdog& operator=(const HoldWatchdog&) = delete;

  // Stops the watchdog. True: `expire` never ran and never will. False: it
  // ran (this returns once it has finished).
  bool Disarm();
  bool expired() const;
  Clock::time_point deadline() const { return deadline_; }
  // Time left until the deadline (zero once past it).
  std::chrono::milliseconds remaining() const;

 private:
  void Run();

  const Clock::time_point deadline_;
  std::function<void()> expire_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool disarmed_ = false;  // GUARDED_BY(mu_)
  bool fired_ = false;     // GUARDED_BY(mu_): expire_ started
  bool finished_ = false;  // GUARDED_BY(mu_): expire_ returned
  std::thread thread_;     // last: started once everything above exists
};

}  // namespace sealgate::deploy
