// ClientLatencyThrottler: holds the copy while the application's statements
// are slower than they are without one. The proxy sees every client
// statement; it records each one's latency here (Record, from any thread).
// Statements are grouped into one-second windows; the p95 of the last
// complete window is compared with the baseline, the first quartile of the
// p95s of recent windows in which no copy asked (a copy asks Reason() several times a
// second while it runs, so a window with no question is a window without a
// copy). The copy is held while
//
//   p95 > baseline * max_ratio  and  p95 > baseline + min_excess
//
// Without a baseline (fewer than `min_baseline_windows` quiet windows with
// at least `min_statements` statements each) or with too few statements in
// the last window, there is no verdict and the copy goes on: the other
// throttles (Threads_running, replica lag) still apply.
//
// Thread-safe. Clock readings are passed in by the *At variants (tests);
// Record and Reason read std::chrono::steady_clock.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>

#include "migration/throttler.h"

namespace sealgate::migration {

class ClientLatencyThrottler : public Throttler {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    double max_ratio = 1.3;
    std::chrono::microseconds min_excess{500};
    uint64_t min_statements = 50;        // per window, for a verdict or a baseline
    size_t min_baseline_windows = 3;
    size_t baseline_windows = 60;        // quiet windows kept (the last minute of them)
  };

  ClientLatencyThrottler() : ClientLatencyThrottler(Options{}) {}
  explicit ClientLatencyThrottler(Options options);

  void Record(std::chrono::nanoseconds latency) { RecordAt(Clock::now(), latency); }
  std::string Reason() override { return ReasonAt(Clock::now()); }

  void RecordAt(Clock::time_point now, std::chrono::nanoseconds latency);
  std::string ReasonAt(Clock::time_point now);

  struct Snapshot {
    double last_p95_ms = 0;      // of the last complete window; 0 without one
    uint64_t last_count = 0;
    double baseline_p95_ms = 0;  // 0 without a baseline
    size_t baseline_windows = 0;
  };
  Snapshot snapshot() const;

  // Bucket i holds latencies up to UpperBoundMicros(i) (geometric, x1.25
  // from 50 us; the last one is unbounded). Exposed for tests.
  static constexpr size_t kBuckets = 64;
  static double UpperBoundMicros(size_t i);

 private:
  struct Window {
    int64_t second = -1;
    uint64_t count = 0;
    std::array<uint32_t, kBuckets> buckets{};
    double P95Micros() const;
  };
  void CloseWindow();                 // REQUIRES(mu_)
  double BaselineMicros() const;      // REQUIRES(mu_); 0 without one
  int64_t SecondOf(Clock::time_point t) const;

  const Options options_;
  const Clock::time_point epoch_ = Clock::now();
  mutable std::mutex mu_;
  Window current_;                    // guarded by mu_
  int64_t last_second_ = -1;          // guarded by mu_: second of last_p95_
  double last_p95_ = 0;               // guarded by mu_ (microseconds)
  uint64_t last_count_ = 0;           // guarded by mu_
  int64_t asked_second_ = -1000;      // guarded by mu_: the last second a copy asked in
  std::deque<double> quiet_;          // guarded by mu_: p95 (us) of quiet windows, oldest first
};

}  // namespace sealgate::migration
