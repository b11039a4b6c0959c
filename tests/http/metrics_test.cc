#include "proxy/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "prometheus_check.h"
#include "proxy/proxy_stats_source.h"

namespace sealgate::proxy {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

void ExpectValidExposition(const std::string& text) {
  testing::ParsedExposition parsed = testing::CheckExposition(text);
  for (const std::string& problem : parsed.problems) ADD_FAILURE() << problem << "\n" << text;
}

TEST(PrometheusTest, RendersCountersAndGaugesWithHelpAndType) {
  MetricsRegistry registry;
  Counter* holds = registry.AddCounter("sealgate_holds_total", "Seal holds taken.").value();
  Gauge* lag = registry.AddGauge("sealgate_binlog_lag_seconds", "Binlog lag.", {{"stream", "main"}}).value();
  holds->Increment();
  holds->Increment(2);
  lag->Set(1.5);
  lag->Add(-0.25);
  std::string text = registry.RenderMetrics();
  EXPECT_EQ(Lines(text), (std::vector<std::string>{
                             "# HELP sealgate_holds_total Seal holds taken.",
                             "# TYPE sealgate_holds_total counter",
                             "sealgate_holds_total 3",
                             "# HELP sealgate_binlog_lag_seconds Binlog lag.",
                             "# TYPE sealgate_binlog_lag_seconds gauge",
                             "sealgate_binlog_lag_seconds{stream=\"main\"} 1.25",
                         }));
  ExpectValidExposition(text);
}

TEST(PrometheusTest, EscapesLabelValuesAndHelp) {
  MetricsRegistry registry;
  registry.AddCounter("m_total", "a \\ backslash\nand a newline \"quoted\"",
                      {{"table", "db.\"t\"\\x\ny"}, {"kind", ""}})
      .value()
      ->Increment();
  std::string text = registry.RenderMetrics();
  EXPECT_EQ(Lines(text), (std::vector<std::string>{
                             "# HELP m_total a \\\\ backslash\\nand a newline \"quoted\"",
                             "# TYPE m_total counter",
                             "m_total{table=\"db.\\\"t\\\"\\\\x\\ny\",kind=\"\"} 1",
                         }));
  ExpectValidExposition(text);
}

TEST(PrometheusTest, HistogramHasCumulativeBucketsSumAndCount) {
  MetricsRegistry registry;
  Histogram* h = registry.AddHistogram("sealgate_hold_seconds", "Seal hold duration.", {0.25, 1, 10},
                                       {{"deploy", "d1"}}).value();
  for (double v : {0.125, 0.25, 0.5, 5.0, 50.0}) h->Observe(v);  // exact in binary: the sum is too
  std::string text = registry.RenderMetrics();
  EXPECT_EQ(Lines(text), (std::vector<std::string>{
                             "# HELP sealgate_hold_seconds Seal hold duration.",
                             "# TYPE sealgate_hold_seconds histogram",
                             "sealgate_hold_seconds_bucket{deploy=\"d1\",le=\"0.25\"} 2",
                             "sealgate_hold_seconds_bucket{deploy=\"d1\",le=\"1\"} 3",
                             "sealgate_hold_seconds_bucket{deploy=\"d1\",le=\"10\"} 4",
                             "sealgate_hold_seconds_bucket{deploy=\"d1\",le=\"+Inf\"} 5",
                             "sealgate_hold_seconds_sum{deploy=\"d1\"} 55.875",
                             "sealgate_hold_seconds_count{deploy=\"d1\"} 5",
                         }));
  ExpectValidExposition(text);
}

TEST(PrometheusTest, EmptyHistogramWithoutLabels) {
  MetricsWriter writer;
  writer.WriteHistogram("h_seconds", "h", {}, Histogram(HoldDurationBuckets()).Snapshot());
  std::vector<std::string> lines = Lines(writer.Text());
  ASSERT_EQ(lines.size(), 2 + HoldDurationBuckets().size() + 1 + 2);
  EXPECT_EQ(lines[2], "h_seconds_bucket{le=\"0.001\"} 0");
  EXPECT_EQ(lines[lines.size() - 3], "h_seconds_bucket{le=\"+Inf\"} 0");
  EXPECT_EQ(lines[lines.size() - 2], "h_seconds_sum 0");
  EXPECT_EQ(lines.back(), "h_seconds_count 0");
  ExpectValidExposition(writer.Text());
}

TEST(PrometheusTest, FormatsValues) {
  EXPECT_EQ(FormatMetricValue(0), "0");
  EXPECT_EQ(FormatMetricValue(-0.0), "0");
  EXPECT_EQ(FormatMetricValue(42), "42");
  EXPECT_EQ(FormatMetricValue(-3), "-3");
  EXPECT_EQ(FormatMetricValue(0.1), "0.1");
  EXPECT_EQ(FormatMetricValue(2.5e-7), "2.5e-07");
  EXPECT_EQ(FormatMetricValue(9007199254740993.0), "9007199254740992");  // the nearest double
  EXPECT_EQ(FormatMetricValue(1e20), "1e+20");
  EXPECT_EQ(FormatMetricValue(123456789012345.0), "123456789012345");
  EXPECT_EQ(FormatMetricValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatMetricValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatMetricValue(std::nan("")), "NaN");
  double third = 1.0 / 3;
  EXPECT_EQ(std::strtod(FormatMetricValue(third).c_str(), nullptr), third);
}

TEST(MetricsTest, SameNameAndLabelsGiveTheSameMetric) {
  MetricsRegistry registry;
  Counter* a = registry.AddCounter("c_total", "c", {{"k", "1"}}).value();
  Counter* b = registry.AddCounter("c_total", "c", {{"k", "1"}}).value();
  Counter* other = registry.AddCounter("c_total", "c", {{"k", "2"}}).value();
  EXPECT_EQ(a, b);
  EXPECT_NE(a, other);
  a->Increment();
  other->Increment(5);
  std::string text = registry.RenderMetrics();
  EXPECT_EQ(Lines(text), (std::vector<std::string>{"# HELP c_total c", "# TYPE c_total counter",
                                                   "c_total{k=\"1\"} 1", "c_total{k=\"2\"} 5"}));
}

TEST(MetricsTest, RefusesInvalidNamesAndTypeConflicts) {
  MetricsRegistry registry;
  EXPECT_EQ(registry.AddCounter("1abc", "x").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.AddCounter("a-b", "x").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.AddCounter("ok", "x", {{"__name", "v"}}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.AddCounter("ok", "x", {{"a:b", "v"}}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.AddHistogram("h", "x", {1}, {{"le", "1"}}).status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(registry.AddGauge("ns:lag_seconds", "x").ok());
  StatusOr<Counter*> conflict = registry.AddCounter("ns:lag_seconds", "x");
  EXPECT_EQ(conflict.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(conflict.status().message().find("gauge"), std::string::npos);
}

TEST(MetricsTest, HistogramNormalisesBoundsAndIgnoresNaN) {
  Histogram h({10, 1, std::nan(""), 1, std::numeric_limits<double>::infinity()});
  h.Observe(std::nan(""));
  h.Observe(1);
  h.Observe(20);
  HistogramSnapshot s = h.Snapshot();
  EXPECT_EQ(s.upper_bounds, (std::vector<double>{1, 10}));
  EXPECT_EQ(s.bucket_counts, (std::vector<uint64_t>{1, 0, 1}));
  EXPECT_EQ(s.count, 2u);
  EXPECT_EQ(s.sum, 21);
}

TEST(MetricsTest, ConcurrentUpdatesAreAllCounted) {
  Counter c;
  Gauge g;
  Histogram h({1});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.Increment();
        g.Add(0.5);
        h.Observe(i % 2 ? 0.5 : 2);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), 40000u);
  EXPECT_EQ(g.value(), 20000);
  HistogramSnapshot s = h.Snapshot();
  EXPECT_EQ(s.bucket_counts, (std::vector<uint64_t>{20000, 20000}));
  EXPECT_EQ(s.count, 40000u);
}

// A source writing to a family another source also writes to.
class ErrorSource : public StatusSource {
 public:
  ErrorSource(std::string kind, std::string key) : kind_(std::move(kind)), key_(std::move(key)) {}
  void AppendMetrics(MetricsWriter& out) const override {
    out.WriteGauge("x_" + key_, "per source", {}, 1);
    out.WriteCounter("sealgate_errors_total", "Errors, by kind.", {{"kind", kind_}}, 7);
  }
  void AppendStatus(picojson::object& status) const override {
    picojson::object mine;
    mine["kind"] = picojson::value(kind_);
    status[key_] = picojson::value(mine);
  }
  std::string UnhealthyReason() const override { return unhealthy_; }
  std::string unhealthy_;

 private:
  std::string kind_;
  std::string key_;
};

TEST(PrometheusTest, SourcesShareAFamilyUnderOneHelpAndType) {
  MetricsRegistry registry;
  ErrorSource a("binlog_lost", "a"), b("duplicate_key", "b");
  registry.AddSource(&a);
  registry.AddSource(&b);
  registry.AddSource(&a);  // once only
  std::string text = registry.RenderMetrics();
  EXPECT_EQ(Lines(text), (std::vector<std::string>{
                             "# HELP x_a per source",
                             "# TYPE x_a gauge",
                             "x_a 1",
                             "# HELP sealgate_errors_total Errors, by kind.",
                             "# TYPE sealgate_errors_total counter",
                             "sealgate_errors_total{kind=\"binlog_lost\"} 7",
                             "sealgate_errors_total{kind=\"duplicate_key\"} 7",
                             "# HELP x_b per source",
                             "# TYPE x_b gauge",
                             "x_b 1",
                         }));
  ExpectValidExposition(text);
  registry.RemoveSource(&a);
  EXPECT_EQ(registry.RenderMetrics().find("binlog_lost"), std::string::npos);
}

TEST(PrometheusTest, WriterDropsSamplesThatWouldBreakTheFormat) {
  MetricsWriter w;
  w.WriteCounter("good_total", "g", {}, 1);
  w.WriteGauge("good_total", "g", {}, 2);             // type conflict
  w.WriteGauge("bad name", "b", {}, 3);               // invalid name
  w.WriteGauge("g", "b", {{"bad-label", "v"}}, 4);    // invalid label name
  w.WriteHistogram("h", "h", {{"le", "1"}}, Histogram({1}).Snapshot());
  EXPECT_EQ(w.dropped_samples(), 4u);
  EXPECT_EQ(Lines(w.Text()), (std::vector<std::string>{
                                 "# HELP good_total g", "# TYPE good_total counter", "good_total 1",
                                 "# dropped 4 samples with an invalid name or a conflicting type"}));
  ExpectValidExposition(w.Text());
}

TEST(MetricsTest, StatusMergesSourcesAndHealthJoinsReasons) {
  MetricsRegistry registry;
  ErrorSource a("k1", "alpha"), b("k2", "beta");
  registry.AddSource(&a);
  registry.AddSource(&b);
  picojson::value status = registry.RenderStatus();
  ASSERT_TRUE(status.is<picojson::object>());
  EXPECT_EQ(status.serialize(), R"({"alpha":{"kind":"k1"},"beta":{"kind":"k2"}})");
  EXPECT_EQ(registry.UnhealthyReasons(), "");
  a.unhealthy_ = "shutting down";
  b.unhealthy_ = "metadata schema unreachable";
  EXPECT_EQ(registry.UnhealthyReasons(), "shutting down; metadata schema unreachable");
}

TEST(PrometheusTest, ProxyStatsSourceRendersEveryCounter) {
  ProxyStats stats;
  stats.connections_total = 12;
  stats.connections_open = 3;
  stats.commands_forwarded = 400;
  stats.bytes_from_clients = 5000;
  stats.bytes_from_upstream = 90000;
  stats.sessions_malformed = 1;
  stats.upstream_connect_failures = 2;
  ProxyStatsSource source(&stats);
  MetricsRegistry registry;
  registry.AddSource(&source);
  std::string text = registry.RenderMetrics();
  EXPECT_EQ(Lines(text), (std::vector<std::string>{
                             "# HELP sealgate_client_connections_total Client connections accepted.",
                             "# TYPE sealgate_client_connections_total counter",
                             "sealgate_client_connections_total 12",
                             "# HELP sealgate_client_connections_open Client connections open now.",
                             "# TYPE sealgate_client_connections_open gauge",
                             "sealgate_client_connections_open 3",
                             "# HELP sealgate_commands_forwarded_total Client commands forwarded to the upstream.",
                             "# TYPE sealgate_commands_forwarded_total counter",
                             "sealgate_commands_forwarded_total 400",
                             "# HELP sealgate_proxy_bytes_total Bytes relayed by the proxy, by where they came from.",
                             "# TYPE sealgate_proxy_bytes_total counter",
                             "sealgate_proxy_bytes_total{from=\"client\"} 5000",
                             "sealgate_proxy_bytes_total{from=\"upstream\"} 90000",
                             "# HELP sealgate_errors_total Errors, by kind.",
                             "# TYPE sealgate_errors_total counter",
                             "sealgate_errors_total{kind=\"malformed_session\"} 1",
                             "sealgate_errors_total{kind=\"upstream_connect\"} 2",
                         }));
  ExpectValidExposition(text);
}

TEST(MetricsTest, ProxyStatsSourceStatusShape) {
  ProxyStats stats;
  stats.connections_total = 7;
  stats.connections_open = 1;
  ProxyStatsSource source(&stats);
  MetricsRegistry registry;
  registry.AddSource(&source);
  picojson::value status = registry.RenderStatus();
  ASSERT_TRUE(status.contains("proxy"));
  const picojson::object& proxy = status.get("proxy").get<picojson::object>();
  for (const char* key : {"connections_total", "connections_open", "commands_forwarded", "bytes_from_clients",
                          "bytes_from_upstream", "sessions_malformed", "upstream_connect_failures"}) {
    ASSERT_TRUE(proxy.count(key)) << key;
    EXPECT_TRUE(proxy.at(key).is<double>()) << key;
  }
  EXPECT_EQ(proxy.size(), 7u);
  EXPECT_EQ(proxy.at("connections_total").get<double>(), 7);
  EXPECT_EQ(proxy.at("connections_open").get<double>(), 1);
}

}  // namespace
}  // namespace sealgate::proxy
