// Metrics for the loopback operator endpoint: counters, gauges and
// fixed-bucket histograms owned by a MetricsRegistry, plus StatusSources that
// contribute samples and /status JSON at scrape time.
//
// Output is the Prometheus text exposition format 0.0.4: each family once,
// with its "# HELP" and "# TYPE" lines, then its samples; label values escape
// backslash, double quote and newline; HELP text escapes backslash and newline.
//
// Threads: Counter, Gauge and Histogram may be updated from any thread.
// MetricsRegistry is thread-safe; rendering runs on the HTTP thread and calls
// the registered sources there, so a source must be cheap and must not block
// on I/O (read atomics or take a short lock of its own).
// There is no global registry: the proxy's main owns one and passes it on.
#pragma once

#include <picojson.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace sealgate::proxy {

using Labels = std::vector<std::pair<std::string, std::string>>;

enum class MetricType { kCounter, kGauge, kHistogram };

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool IsValidMetricName(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" (reserved by Prometheus).
bool IsValidLabelName(std::string_view name);

// A histogram at one instant.
struct HistogramSnapshot {
  std::vector<double> upper_bounds;     // finite, strictly ascending; +Inf is implied
  std::vector<uint64_t> bucket_counts;  // per bucket, NOT cumulative; one more than upper_bounds (the +Inf bucket)
  double sum = 0;
  uint64_t count = 0;                   // always the total of bucket_counts
};

// One scrape being assembled. Samples of a family stay together even when
// several sources write to it (e.g. sealgate_errors_total{kind=...}); the first
// writer's HELP text is kept. A sample whose name or label names are invalid,
// or whose type differs from its family's, is dropped and counted; Text() ends
// with a comment line saying how many were dropped.
class MetricsWriter {
 public:
  void WriteCounter(std::string_view name, std::string_view help, const Labels& labels, double value);
  void WriteGauge(std::string_view name, std::string_view help, const Labels& labels, double value);
  // Renders name_bucket{...,le="..."} (cumulative), name_sum and name_count.
  void WriteHistogram(std::string_view name, std::string_view help, const Labels& labels,
                      const HistogramSnapshot& histogram);

  std::string Text() const;
  size_t dropped_samples() const { return dropped_; }

 private:
  struct Family {
    std::string name;
    std::string help;
    MetricType type;
    std::string samples;  // rendered lines
  };
  // The family to append to, or nullptr (and a drop) if the sample is refused.
  Family* Accept(std::string_view name, std::string_view help, MetricType type, const Labels& labels);

  std::vector<Family> families_;  // in order of first appearance
  size_t dropped_ = 0;
};

// Renders a sample value: integers without exponent, "+Inf", "-Inf", "NaN",
// otherwise the shortest form that reads back to the same double.
std::string FormatMetricValue(double value);

class Counter {
 public:
  void Increment(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double delta);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Fixed buckets chosen at construction. Bounds are sorted, and non-finite or
// repeated bounds dropped. An observation v lands in the first bucket whose
// bound is >= v (Prometheus "le"); NaN observations are ignored.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double value);
  HistogramSnapshot Snapshot() const;

 private:
  mutable std::mutex mu_;
  HistogramSnapshot state_;  // guarded by mu_
};

// Seconds, for seal hold durations: 1 ms .. 30 s.
std::vector<double> HoldDurationBuckets();

// A component that reports itself at scrape time. Its methods run on the HTTP
// thread with the registry locked: they must not call back into the registry.
class StatusSource {
 public:
  virtual ~StatusSource() = default;
  // Appends this component's samples to /metrics.
  virtual void AppendMetrics(MetricsWriter& out) const = 0;
  // Adds this component's top-level keys to the /status object (keys must not
  // collide with other sources'; a later source overwrites an earlier one's).
  virtual void AppendStatus(picojson::object& status) const = 0;
  // Empty while healthy; otherwise why /healthz should answer 503.
  virtual std::string UnhealthyReason() const { return {}; }
};

class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Get-or-create: the same name and labels return the same object, which
  // lives as long as the registry. Errors: an invalid name or label name
  // (kInvalidArgument), or a name already registered with another type
  // (kFailedPrecondition). Histograms may not use the label "le".
  StatusOr<Counter*> AddCounter(const std::string& name, const std::string& help, const Labels& labels = {});
  StatusOr<Gauge*> AddGauge(const std::string& name, const std::string& help, const Labels& labels = {});
  StatusOr<Histogram*> AddHistogram(const std::string& name, const std::string& help,
                                    std::vector<double> upper_bounds, const Labels& labels = {});

  // `source` is not owned. After RemoveSource returns, no scrape uses it.
  void AddSource(const StatusSource* source);
  void RemoveSource(const StatusSource* source);

  // Owned metrics first (in registration order), then each source's.
  std::string RenderMetrics() const;
  // An object with every source's keys.
  picojson::value RenderStatus() const;
  // "" when every source is healthy, else their reasons joined by "; ".
  std::string UnhealthyReasons() const;

 private:
  struct Entry {
    std::string name;
    std::string help;
    Labels labels;
    MetricType type;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
  };
  // The existing entry for name+labels, a new one holding its metric, or an error.
  StatusOr<Entry*> FindOrAdd(const std::string& name, const std::string& help, const Labels& labels,
                             MetricType type, std::vector<double> upper_bounds);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_;  // guarded by mu_
  std::vector<const StatusSource*> sources_;     // guarded by mu_
};

}  // namespace sealgate::proxy
