// Reports the proxy's shared ProxyStats on /metrics and under "proxy" in
// /status. Reads only relaxed atomics, so a scrape never waits for a worker.
#pragma once

#include <functional>

#include "proxy/metrics.h"
#include "proxy/worker.h"

namespace sealgate::proxy {

// Client statement latency as the copy's latency throttle sees it (seconds;
// 0 until known).
struct ClientLatencyReading {
  double last_second_p95 = 0;
  double without_copy_p95 = 0;
};

class ProxyStatsSource : public StatusSource {
 public:
  // `stats` is not owned and must outlive this source's registration;
  // `latency` may be empty (no latency throttle).
  explicit ProxyStatsSource(const ProxyStats* stats, std::function<ClientLatencyReading()> latency = nullptr)
      : stats_(stats), latency_(std::move(latency)) {}

  // sealgate_client_connections_total, sealgate_client_connections_open,
  // sealgate_commands_forwarded_total, sealgate_proxy_bytes_total{from=client|upstream},
  // sealgate_errors_total{kind=malformed_session|upstream_connect}; with
  // `latency`: sealgate_client_statement_p95_seconds{window=last_second|without_copy}.
  void AppendMetrics(MetricsWriter& out) const override;
  // "proxy": {connections_total, connections_open, commands_forwarded,
  //           bytes_from_clients, bytes_from_upstream, sessions_malformed,
  //           upstream_connect_failures} (numbers).
  void AppendStatus(picojson::object& status) const override;

 private:
  const ProxyStats* stats_;
  std::function<ClientLatencyReading()> latency_;
};

}  // namespace sealgate::proxy
