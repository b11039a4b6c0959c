#include "proxy/metrics.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace sealgate::proxy {
namespace {

bool IsNameChar(char c, bool allow_colon) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || (allow_colon && c == ':');
}

bool IsValidName(std::string_view name, bool allow_colon) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) return false;
  return std::all_of(name.begin(), name.end(), [&](char c) { return IsNameChar(c, allow_colon); });
}

// Escapes backslash and newline, and also '"' when `quote` (label values).
std::string Escape(std::string_view text, bool quote) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '"' && quote) out += "\\\"";
    else out += c;
  }
  return out;
}

// `name{l="v",...}` or just `name`; `le` (for buckets) goes last.
std::string SampleName(std::string_view name, const Labels& labels, const std::string* le = nullptr) {
  std::string out(name);
  if (labels.empty() && le == nullptr) return out;
  out += '{';
  bool first = true;
  for (const auto& [key, value] : labels) {
    if (!first) out += ',';
    first = false;
    out += key + "=\"" + Escape(value, true) + "\"";
  }
  if (le != nullptr) out += std::string(first ? "" : ",") + "le=\"" + *le + "\"";
  out += '}';
  return out;
}

const char* TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kHistogram: return "histogram";
  }
  return "untyped";
}

}  // namespace

bool IsValidMetricName(std::string_view name) { return IsValidName(name, true); }

bool IsValidLabelName(std::string_view name) {
  return IsValidName(name, false) && name.substr(0, 2) != "__";
}

std::string FormatMetricValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == 0) return "0";
  char buf[64];
  if (value == std::trunc(value) && std::fabs(value) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", value);
    return buf;
  }
  for (int precision = 15; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  return buf;
}

MetricsWriter::Family* MetricsWriter::Accept(std::string_view name, std::string_view help, MetricType type,
                                             const Labels& labels) {
  bool labels_ok = std::all_of(labels.begin(), labels.end(), [&](const auto& label) {
    return IsValidLabelName(label.first) && !(type == MetricType::kHistogram && label.first == "le");
  });
  if (!IsValidMetricName(name) || !labels_ok) {
    ++dropped_;
    return nullptr;
  }
  for (Family& family : families_) {
    if (family.name != name) continue;
    if (family.type == type) return &family;
    ++dropped_;
    return nullptr;
  }
  families_.push_back(Family{std::string(name), std::string(help), type, {}});
  return &families_.back();
}

void MetricsWriter::WriteCounter(std::string_view name, std::string_view help, const Labels& labels, double value) {
  if (Family* f = Accept(name, help, MetricType::kCounter, labels)) {
    f->samples += SampleName(name, labels) + " " + FormatMetricValue(value) + "\n";
  }
}

void MetricsWriter::WriteGauge(std::string_view name, std::string_view help, const Labels& labels, double value) {
  if (Family* f = Accept(name, help, MetricType::kGauge, labels)) {
    f->samples += SampleName(name, labels) + " " + FormatMetricValue(value) + "\n";
  }
}

void MetricsWriter::WriteHistogram(std::string_view name, std::string_view help, const Labels& labels,
                                   const HistogramSnapshot& histogram) {
  Family* f = Accept(name, help, MetricType::kHistogram, labels);
  if (f == nullptr) return;
  std::string bucket = std::string(name) + "_bucket";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < histogram.bucket_counts.size(); ++i) {
    cumulative += histogram.bucket_counts[i];
    std::string le = i < histogram.upper_bounds.size() ? FormatMetricValue(histogram.upper_bounds[i]) : "+Inf";
    f->samples += SampleName(bucket, labels, &le) + " " + std::to_string(cumulative) + "\n";
  }
  f->samples += SampleName(std::string(name) + "_sum", labels) + " " + FormatMetricValue(histogram.sum) + "\n";
  f->samples += SampleName(std::string(name) + "_count", labels) + " " + std::to_string(histogram.count) + "\n";
}

std::string MetricsWriter::Text() const {
  std::string out;
  for (const Family& f : families_) {
    out += "# HELP " + f.name + " " + Escape(f.help, false) + "\n";
    out += "# TYPE " + f.name + " " + TypeName(f.type) + "\n";
    out += f.samples;
  }
  if (dropped_ > 0) {
    out += "# dropped " + std::to_string(dropped_) + " samples with an invalid name or a conflicting type\n";
  }
  return out;
}

void Gauge::Add(double delta) {
  double current = value_.load(std::memory_order_relaxed);
  while (!value_.compare_exchange_weak(current, current + delta, std::memory_order_relaxed)) {
  }
}

Histogram::Histogram(std::vector<double> upper_bounds) {
  upper_bounds.erase(std::remove_if(upper_bounds.begin(), upper_bounds.end(), [](double b) { return !std::isfinite(b); }),
                     upper_bounds.end());
  std::sort(upper_bounds.begin(), upper_bounds.end());
  upper_bounds.erase(std::unique(upper_bounds.begin(), upper_bounds.end()), upper_bounds.end());
  state_.bucket_counts.assign(upper_bounds.size() + 1, 0);
  state_.upper_bounds = std::move(upper_bounds);
}

void Histogram::Observe(double value) {
  if (std::isnan(value)) return;
  const std::vector<double>& bounds = state_.upper_bounds;  // never changes after construction
  size_t bucket = std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin();
  std::lock_guard<std::mutex> lock(mu_);
  ++state_.bucket_counts[bucket];
  state_.sum += value;
  ++state_.count;
}

HistogramSnapshot Histogram::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

std::vector<double> HoldDurationBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

StatusOr<MetricsRegistry::Entry*> MetricsRegistry::FindOrAdd(const std::string& name, const std::string& help,
                                                             const Labels& labels, MetricType type,
                                                             std::vector<double> upper_bounds) {
  if (!IsValidMetricName(name)) return Status::InvalidArgument("invalid metric name '" + name + "'");
  for (const auto& [key, value] : labels) {
    if (!IsValidLabelName(key) || (type == MetricType::kHistogram && key == "le")) {
      return Status::InvalidArgument("invalid label name '" + key + "' on metric " + name);
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& entry : entries_) {
    if (entry->name != name) continue;
    if (entry->type != type) {
      return Status::FailedPrecondition("metric " + name + " is already registered as a " + TypeName(entry->type));
    }
    if (entry->labels == labels) return entry.get();
  }
  auto entry = std::make_unique<Entry>();
  entry->name = name;
  entry->help = help;
  entry->labels = labels;
  entry->type = type;
  // Created under the lock: a scrape never sees an entry without its metric.
  if (type == MetricType::kCounter) entry->counter = std::make_unique<Counter>();
  if (type == MetricType::kGauge) entry->gauge = std::make_unique<Gauge>();
  if (type == MetricType::kHistogram) entry->histogram = std::make_unique<Histogram>(std::move(upper_bounds));
  entries_.push_back(std::move(entry));
  return entries_.back().get();
}

StatusOr<Counter*> MetricsRegistry::AddCounter(const std::string& name, const std::string& help, const Labels& labels) {
  StatusOr<Entry*> entry = FindOrAdd(name, help, labels, MetricType::kCounter, {});
  if (!entry.ok()) return entry.status();
  return (*entry)->counter.get();
}

StatusOr<Gauge*> MetricsRegistry::AddGauge(const std::string& name, const std::string& help, const Labels& labels) {
  StatusOr<Entry*> entry = FindOrAdd(name, help, labels, MetricType::kGauge, {});
  if (!entry.ok()) return entry.status();
  return (*entry)->gauge.get();
}

StatusOr<Histogram*> MetricsRegistry::AddHistogram(const std::string& name, const std::string& help,
                                                   std::vector<double> upper_bounds, const Labels& labels) {
  StatusOr<Entry*> entry = FindOrAdd(name, help, labels, MetricType::kHistogram, std::move(upper_bounds));
  if (!entry.ok()) return entry.status();
  return (*entry)->histogram.get();
}

void MetricsRegistry::AddSource(const StatusSource* source) {
  std::lock_guard<std::mutex> lock(mu_);
  if (std::find(sources_.begin(), sources_.end(), source) == sources_.end()) sources_.push_back(source);
}

void MetricsRegistry::RemoveSource(const StatusSource* source) {
  // Scrapes hold mu_ while they call sources, so once this lock is taken no
  // scrape is inside `source`.
  std::lock_guard<std::mutex> lock(mu_);
  sources_.erase(std::remove(sources_.begin(), sources_.end(), source), sources_.end());
}

std::string MetricsRegistry::RenderMetrics() const {
  MetricsWriter writer;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& entry : entries_) {
    switch (entry->type) {
      case MetricType::kCounter:
        writer.WriteCounter(entry->name, entry->help, entry->labels, static_cast<double>(entry->counter->value()));
        break;
      case MetricType::kGauge:
        writer.WriteGauge(entry->name, entry->help, entry->labels, entry->gauge->value());
        break;
      case MetricType::kHistogram:
        writer.WriteHistogram(entry->name, entry->help, entry->labels, entry->histogram->Snapshot());
        break;
    }
  }
  for (const StatusSource* source : sources_) source->AppendMetrics(writer);
  return writer.Text();
}

picojson::value MetricsRegistry::RenderStatus() const {
  picojson::object status;
  std::lock_guard<std::mutex> lock(mu_);
  for (const StatusSource* source : sources_) source->AppendStatus(status);
  return picojson::value(std::move(status));
}

std::string MetricsRegistry::UnhealthyReasons() const {
  std::string reasons;
  std::lock_guard<std::mutex> lock(mu_);
  for (const StatusSource* source : sources_) {
    std::string reason = source->UnhealthyReason();
    if (reason.empty()) continue;
    if (!reasons.empty()) reasons += "; ";
    reasons += reason;
  }
  return reasons;
}

}  // namespace sealgate::proxy
