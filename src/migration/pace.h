// The pace of a migration against the application's writes: whether its
// applier keeps up (ApplyPace), and whether its copy can finish (CopyPace).
//
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

// Samples at least `spacing` apart over the last `window` (just over it: the
// oldest kept sample is the last one at least `window` old), oldest first.
// `Point` has a member `at` (a steady_clock time point).
struct SampleWindowOptions {
  std::chrono::seconds window{30};
  std::chrono::seconds min_window{10};       // a verdict needs this much time between first and last
  std::chrono::milliseconds spacing{1000};  // closer samples are ignored
};

template <typename Point>
class SampleWindow {
 public:
  explicit SampleWindow(SampleWindowOptions options) : options_(options) {}

  // Adds `p` unless it is closer than `spacing` to the last one; when
  // `starts_again(last, p)` says so, the earlier samples are dropped first.
  template <typename StartsAgain>
  void Add(const Point& p, StartsAgain starts_again) {
    if (!points_.empty() && p.at - points_.back().at < options_.spacing) return;
    if (!points_.empty() && starts_again(points_.back(), p)) points_.clear();
    points_.push_back(p);
    while (points_.size() > 2 && p.at - points_[1].at >= options_.window) points_.pop_front();
  }
  void Clear() { points_.clear(); }
  const std::deque<Point>& points() const { return points_; }
  // At least two samples spanning min_window.
  bool full() const { return points_.size() >= 2 && points_.back().at - points_.front().at >= options_.min_window; }

 private:
  const SampleWindowOptions options_;
  std::deque<Point> points_;
};

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
    std::chrono::milliseconds min_lag{1000};
    double min_growth = 0.05;  // 3 s of lag gained (or lost) a minute
  };

  ApplyPace() : ApplyPace(Options{}) {}
  explicit ApplyPace(Options options, SampleWindowOptions window = {}) : options_(options), points_(window) {}

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
  SampleWindow<Point> points_;
};

// CopyPace: can the copy finish at the current write rate? While it
// copies, the application adds rows past its cursor (inserts there, less
// deletes there, as the applier sees them: `growth`). From one sample a
// second of (rows copied, growth so far) over the last `window`:
//
//   copy rate, growth rate   rows a second;
//   remaining                rows_at_start - rows copied + growth, the rows
//                            still to copy (rows_at_start: the table's row
//                            estimate when the copy began);
//   eta                      remaining / (copy rate - growth rate);
//   verdict                  not finishing: growth rate >= copy rate over at
//                            least min_window: the table grows past the copy
//                            as fast as it copies (the copy's own pauses and
//                            the throttle count: they are how it shares the
//                            server).
//
// Samples while the copy is paused by the operator start the window again.
// Not thread-safe: the owner serializes calls.
struct CopyReport {
  bool known = false;                 // a full window of samples
  bool finishing = true;              // false: the table grows past the copy as fast as it copies
  double copy_rate = 0;               // rows copied per second over the window
  double growth_rate = 0;             // rows added past the cursor per second
  uint64_t remaining = 0;             // rows still to copy
  std::optional<std::chrono::seconds> eta;
  std::string note;                   // set when not finishing
};

class CopyPace {
 public:
  using Clock = std::chrono::steady_clock;

  CopyPace() : CopyPace(SampleWindowOptions{}) {}
  explicit CopyPace(SampleWindowOptions window) : points_(window) {}

  // `copied` only grows; `growth` may fall (deletes past the cursor);
  // `copying` is false while the operator pauses the copy.
  void Sample(Clock::time_point now, uint64_t copied, int64_t growth, bool copying);
  CopyReport Report(uint64_t rows_at_start, uint64_t copied, int64_t growth) const;

 private:
  struct Point {
    Clock::time_point at;
    uint64_t copied;
    int64_t growth;
  };
  SampleWindow<Point> points_;
};

}  // namespace sealgate::migration
