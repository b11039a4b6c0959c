// ApplyPace: does a migration's applier keep up with the writes to its
// table? Judged from one sample a second of (row changes applied so far,
// apply lag), over the last `window`:
//
//   apply rate   row changes applied per second;
//   lag growth   g, seconds of lag gained per second. The applier moves
//                through the binlog at (1 - g) seconds of binlog a second,
//                so the table receives about apply_rate / (1 - g) row
//                changes a second (estimated while g < 1);
//   verdict      falling behind: lag >= min_lag, g >= min_growth over at
//                least min_window, and the lag rising in both halves of the
//                window (a stall shorter than half of it is not a pace).
//                At that write rate the shadow never catches
//                up, and the deploy cannot be sealed (the seal waits for a
//                lag under the ready threshold).
//                catching up: lag >= min_lag and g <= -min_growth; caught
//                up in about lag / -g.
//                keeping up: any other full window; unknown before one.
//
// The lag is the engine's heartbeat measure (the age of the oldest heartbeat
// not applied yet), so it grows while the applier is behind whatever the
// table's writers do. Samples taken while applying is paused or held (a
// seal, a checksum point, ALTER DEPLOY ... PAUSE) say nothing about the
// pace: they start the window again.
//
// Not thread-safe: the owner serializes calls.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

namespace sealgate::migration {

enum class PaceVerdict : uint8_t { kUnknown, kKeepingUp, kCatchingUp, kFallingBehind };

// "unknown", "yes", "catching_up", "no" (SHOW DEPLOY STATUS's keeping_up).
const char* PaceVerdictName(PaceVerdict v);

struct PaceReport {
  PaceVerdict verdict = PaceVerdict::kUnknown;
  double apply_rate = 0;                    // row changes applied per second over the window
  std::optional<double> write_rate;         // estimated row changes per second reaching the table
  double lag_growth = 0;                    // seconds of lag per second (negative: shrinking)
  std::chrono::milliseconds lag{0};         // at the last sample
  std::optional<std::chrono::seconds> caught_up_in;  // while catching up
  std::string note;                         // for operators; empty while keeping up or unknown
};

class ApplyPace {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    std::chrono::seconds window{30};
    std::chrono::seconds min_window{10};
    std::chrono::milliseconds min_lag{1000};
    double min_growth = 0.05;  // 3 s of lag gained (or lost) a minute
    std::chrono::milliseconds spacing{1000};  // closer samples are ignored
  };

  ApplyPace() : ApplyPace(Options{}) {}
  explicit ApplyPace(Options options) : options_(options) {}

  // `rows_applied` only grows; `applying` is false while applying is paused or held.
  void Sample(Clock::time_point now, uint64_t rows_applied, std::chrono::milliseconds lag, bool applying);
  PaceReport Report() const;

 private:
  struct Point {
    Clock::time_point at;
    uint64_t rows;
    std::chrono::milliseconds lag;
  };
  const Options options_;
  std::deque<Point> points_;  // oldest first, all within the window
};

}  // namespace sealgate::migration
