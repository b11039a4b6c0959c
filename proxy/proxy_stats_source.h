// Reports the proxy's shared ProxyStats on /metrics and under "proxy" in
// /status. Reads only relaxed atomics, so a scrape never waits for a worker.
#pragma once

#include "proxy/metrics.h"
#include "proxy/worker.h"

namespace sealgate::proxy {

class ProxyStatsSource : public StatusSource {
 public:
  // `stats` is not owned and must outlive this source's registration.
  explicit ProxyStatsSource(const ProxyStats* stats) : stats_(stats) {}

  // sealgate_client_connections_total, sealgate_client_connections_open,
  // sealgate_commands_forwarded_total, sealgate_proxy_bytes_total{from=client|upstream},
  // sealgate_errors_total{kind=malformed_session|upstream_connect}.
  void AppendMetrics(MetricsWriter& out) const override;
  // "proxy": {connections_total, connections_open, commands_forwarded,
  //           bytes_from_clients, bytes_from_upstream, sessions_malformed,
  //           upstream_connect_failures} (numbers).
  void AppendStatus(picojson::object& status) const override;

 private:
  const ProxyStats* stats_;
};

}  // namespace sealgate::proxy
