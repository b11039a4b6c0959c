#include "proxy/proxy_stats_source.h"

namespace sealgate::proxy {
namespace {

double Read(const std::atomic<uint64_t>& v) { return static_cast<double>(v.load(std::memory_order_relaxed)); }
double Read(const std::atomic<int64_t>& v) { return static_cast<double>(v.load(std::memory_order_relaxed)); }

}  // namespace

void ProxyStatsSource::AppendMetrics(MetricsWriter& out) const {
  out.WriteCounter("sealgate_client_connections_total", "Client connections accepted.", {},
                   Read(stats_->connections_total));
  out.WriteGauge("sealgate_client_connections_open", "Client connections open now.", {},
                 Read(stats_->connections_open));
  out.WriteCounter("sealgate_commands_forwarded_total", "Client commands forwarded to the upstream.", {},
                   Read(stats_->commands_forwarded));
  const char* bytes_help = "Bytes relayed by the proxy, by where they came from.";
  out.WriteCounter("sealgate_proxy_bytes_total", bytes_help, {{"from", "client"}}, Read(stats_->bytes_from_clients));
  out.WriteCounter("sealgate_proxy_bytes_total", bytes_help, {{"from", "upstream"}},
                   Read(stats_->bytes_from_upstream));
  const char* errors_help = "Errors, by kind.";
  out.WriteCounter("sealgate_errors_total", errors_help, {{"kind", "malformed_session"}},
                   Read(stats_->sessions_malformed));
  out.WriteCounter("sealgate_errors_total", errors_help, {{"kind", "upstream_connect"}},
                   Read(stats_->upstream_connect_failures));
  if (latency_) {
    ClientLatencyReading reading = latency_();
    const char* help = "p95 of client statements through the proxy: in the last complete second, and the first "
                       "quartile over recent seconds without a copy running (what the copy's latency throttle compares with; "
                       "0 until known).";
    out.WriteGauge("sealgate_client_statement_p95_seconds", help, {{"window", "last_second"}},
                   reading.last_second_p95);
    out.WriteGauge("sealgate_client_statement_p95_seconds", help, {{"window", "without_copy"}},
                   reading.without_copy_p95);
  }
}

void ProxyStatsSource::AppendStatus(picojson::object& status) const {
  picojson::object proxy;
  proxy["connections_total"] = picojson::value(Read(stats_->connections_total));
  proxy["connections_open"] = picojson::value(Read(stats_->connections_open));
  proxy["commands_forwarded"] = picojson::value(Read(stats_->commands_forwarded));
  proxy["bytes_from_clients"] = picojson::value(Read(stats_->bytes_from_clients));
  proxy["bytes_from_upstream"] = picojson::value(Read(stats_->bytes_from_upstream));
  proxy["sessions_malformed"] = picojson::value(Read(stats_->sessions_malformed));
  proxy["upstream_connect_failures"] = picojson::value(Read(stats_->upstream_connect_failures));
  status["proxy"] = picojson::value(std::move(proxy));
}

}  // namespace sealgate::proxy
