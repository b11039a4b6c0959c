#include "migration/pace.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace sealgate::migration {

const char* PaceVerdictName(PaceVerdict v) {
  switch (v) {
    case PaceVerdict::kKeepingUp:
      return "yes";
    case PaceVerdict::kCatchingUp:
      return "catching_up";
    case PaceVerdict::kFallingBehind:
      return "no";
    case PaceVerdict::kUnknown:
      break;
  }
  return "unknown";
}

void ApplyPace::Sample(Clock::time_point now, uint64_t rows_applied, std::chrono::milliseconds lag, bool applying) {
  if (!applying) return points_.Clear();
  // A count that went back is a new applier: start again.
  points_.Add({now, rows_applied, lag}, [](const Point& last, const Point& p) { return p.rows < last.rows; });
}

namespace {

std::string Fixed(double v, int decimals) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

}  // namespace

PaceReport ApplyPace::Report() const {
  PaceReport r;
  const auto& points = points_.points();
  if (points.empty()) return r;
  const Point& last = points.back();
  r.lag = last.lag;
  if (points.size() < 2) return r;
  const Point& first = points.front();
  double span = std::chrono::duration<double>(last.at - first.at).count();
  if (span <= 0) return r;
  r.apply_rate = double(last.rows - first.rows) / span;
  r.lag_growth = std::chrono::duration<double>(last.lag - first.lag).count() / span;
  if (r.lag_growth < 0.95) r.write_rate = r.apply_rate / (1.0 - std::max(r.lag_growth, -0.95));
  if (!points_.full()) return r;

  double lag_s = std::chrono::duration<double>(last.lag).count();
  bool lagging = last.lag >= options_.min_lag;
  // Rising in both halves of the window: a stall shorter than half the
  // window (a burst, a lock held for a moment) is not a pace.
  const Point* mid = &first;
  for (const auto& p : points) {
    if (last.at - p.at >= (last.at - first.at) / 2) mid = &p;
  }
  bool rising = last.lag > mid->lag && mid->lag > first.lag;
  if (lagging && r.lag_growth >= options_.min_growth && rising) {
    r.verdict = PaceVerdict::kFallingBehind;
    r.note = "falling behind: applying " + Fixed(r.apply_rate, 0) + " row changes/s";
    if (r.write_rate) r.note += " while the table receives about " + Fixed(*r.write_rate, 0) + "/s";
    r.note += "; lag " + Fixed(lag_s, 1) + " s, growing " + Fixed(r.lag_growth * 60, 0) +
              " s a minute. At this write rate the shadow does not catch up and the deploy cannot be sealed: "
              "lower the write rate (or the server's load), or ROLLBACK DEPLOY";
  } else if (lagging && r.lag_growth <= -options_.min_growth) {
    r.verdict = PaceVerdict::kCatchingUp;
    r.caught_up_in = std::chrono::seconds(int64_t(std::ceil(lag_s / -r.lag_growth)));
    r.note = "catching up: lag " + Fixed(lag_s, 1) + " s, caught up in about " +
             std::to_string(r.caught_up_in->count()) + " s at " + Fixed(r.apply_rate, 0) + " row changes/s";
  } else {
    r.verdict = PaceVerdict::kKeepingUp;
  }
  return r;
}

void CopyPace::Sample(Clock::time_point now, uint64_t copied, int64_t growth, bool copying) {
  if (!copying) return points_.Clear();
  // Fewer rows copied than before: the copy restarted.
  points_.Add({now, copied, growth}, [](const Point& last, const Point& p) { return p.copied < last.copied; });
}

CopyReport CopyPace::Report(uint64_t rows_at_start, uint64_t copied, int64_t growth) const {
  CopyReport r;
  int64_t left = int64_t(rows_at_start) - int64_t(copied) + growth;
  r.remaining = uint64_t(std::max<int64_t>(0, left));
  const auto& points = points_.points();
  if (points.size() < 2) return r;
  const Point& first = points.front();
  const Point& last = points.back();
  double span = std::chrono::duration<double>(last.at - first.at).count();
  if (span <= 0) return r;
  r.copy_rate = double(last.copied - first.copied) / span;
  r.growth_rate = double(last.growth - first.growth) / span;
  if (r.copy_rate > r.growth_rate) {
    r.eta = std::chrono::seconds(int64_t(std::ceil(double(r.remaining) / (r.copy_rate - r.growth_rate))));
  }
  if (!points_.full()) return r;
  r.known = true;
  if (r.growth_rate > 0 && r.growth_rate >= r.copy_rate) {
    r.finishing = false;
    r.eta.reset();
    r.note = "the copy does not finish at this write rate: it copies " + Fixed(r.copy_rate, 0) +
             " rows/s while the application adds " + Fixed(r.growth_rate, 0) +
             " rows/s past it; lower the write rate, or lift the copy's throttle (ALTER DEPLOY ... THROTTLE "
             "RATIO, --throttle-*)";
  }
  return r;
}

}  // namespace sealgate::migration
