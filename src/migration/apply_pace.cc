#include "migration/apply_pace.h"

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
  if (!applying) {
    points_.clear();
    return;
  }
  if (!points_.empty() && now - points_.back().at < options_.spacing) return;
  if (!points_.empty() && rows_applied < points_.back().rows) points_.clear();  // a new applier: start again
  points_.push_back({now, rows_applied, lag});
  while (points_.size() > 2 && now - points_[1].at >= options_.window) points_.pop_front();
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
  if (points_.empty()) return r;
  const Point& last = points_.back();
  r.lag = last.lag;
  if (points_.size() < 2) return r;
  const Point& first = points_.front();
  double span = std::chrono::duration<double>(last.at - first.at).count();
  if (span <= 0) return r;
  r.apply_rate = double(last.rows - first.rows) / span;
  r.lag_growth = std::chrono::duration<double>(last.lag - first.lag).count() / span;
  if (r.lag_growth < 0.95) r.write_rate = r.apply_rate / (1.0 - std::max(r.lag_growth, -0.95));
  if (last.at - first.at < options_.min_window) return r;

  double lag_s = std::chrono::duration<double>(last.lag).count();
  bool lagging = last.lag >= options_.min_lag;
  // Rising in both halves of the window: a stall shorter than half the
  // window (a burst, a lock held for a moment) is not a pace.
  const Point* mid = &first;
  for (const auto& p : points_) {
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

}  // namespace sealgate::migration
