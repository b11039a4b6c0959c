#include "migration/client_latency.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

namespace sealgate::migration {
namespace {

constexpr double kFirstBoundMicros = 50;
constexpr double kBucketGrowth = 1.25;

std::string Millis(double micros) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f ms", micros / 1000.0);
  return buf;
}

}  // namespace

ClientLatencyThrottler::ClientLatencyThrottler(Options options) : options_(options) {}

double ClientLatencyThrottler::UpperBoundMicros(size_t i) {
  if (i + 1 >= kBuckets) return INFINITY;
  return kFirstBoundMicros * std::pow(kBucketGrowth, double(i));
}

double ClientLatencyThrottler::Window::P95Micros() const {
  if (count == 0) return 0;
  uint64_t rank = (count * 95 + 99) / 100;  // the ceil(0.95 n)-th smallest
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += buckets[i];
    if (seen >= rank) {
      // The bucket's upper bound: p95 is never under-stated. The last bucket
      // is open-ended; its lower bound stands in.
      return i + 1 < kBuckets ? UpperBoundMicros(i) : UpperBoundMicros(kBuckets - 2);
    }
  }
  return UpperBoundMicros(kBuckets - 2);
}

int64_t ClientLatencyThrottler::SecondOf(Clock::time_point t) const {
  return std::chrono::duration_cast<std::chrono::seconds>(t - epoch_).count();
}

void ClientLatencyThrottler::CloseWindow() {
  if (current_.second < 0 || current_.count == 0) {
    current_ = Window{};
    return;
  }
  last_second_ = current_.second;
  last_p95_ = current_.P95Micros();
  last_count_ = current_.count;
  // Quiet: no copy asked in this second or the one before (a copy's chunks
  // still weigh on the second after it last asked).
  if (asked_second_ < current_.second - 1 && current_.count >= options_.min_statements) {
    quiet_.push_back(last_p95_);
    while (quiet_.size() > options_.baseline_windows) quiet_.pop_front();
  }
  current_ = Window{};
}

void ClientLatencyThrottler::RecordAt(Clock::time_point now, std::chrono::nanoseconds latency) {
  int64_t second = SecondOf(now);
  double micros = std::chrono::duration<double, std::micro>(latency).count();
  size_t bucket = 0;
  if (micros > kFirstBoundMicros) {
    double b = std::ceil(std::log(micros / kFirstBoundMicros) / std::log(kBucketGrowth));
    bucket = b >= double(kBuckets - 1) ? kBuckets - 1 : size_t(b);
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (second != current_.second) {
    CloseWindow();
    current_.second = second;
  }
  ++current_.count;
  ++current_.buckets[bucket];
}

double ClientLatencyThrottler::BaselineMicros() const {
  if (quiet_.size() < options_.min_baseline_windows) return 0;
  // The first quartile, not the median: seconds disturbed by something else
  // (another tool's locks, a burst) do not raise the bar unless they are
  // most of the recent ones.
  std::vector<double> v(quiet_.begin(), quiet_.end());
  std::nth_element(v.begin(), v.begin() + v.size() / 4, v.end());
  return v[v.size() / 4];
}

std::string ClientLatencyThrottler::ReasonAt(Clock::time_point now) {
  int64_t second = SecondOf(now);
  std::lock_guard<std::mutex> lock(mu_);
  if (current_.second >= 0 && current_.second < second) CloseWindow();
  asked_second_ = second;
  if (last_second_ < second - 2 || last_count_ < options_.min_statements) return "";  // no recent verdict
  double baseline = BaselineMicros();
  if (baseline <= 0) return "";
  double limit = std::max(baseline * options_.max_ratio,
                          baseline + double(options_.min_excess.count()));
  if (last_p95_ <= limit) return "";
  return "client p95 " + Millis(last_p95_) + " over " + Millis(limit) + " (p95 without a copy " + Millis(baseline) +
         ")";
}

ClientLatencyThrottler::Snapshot ClientLatencyThrottler::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  Snapshot s;
  s.last_p95_ms = last_p95_ / 1000.0;
  s.last_count = last_count_;
  s.baseline_p95_ms = BaselineMicros() / 1000.0;
  s.baseline_windows = quiet_.size();
  return s;
}

}  // namespace sealgate::migration
