// Server: the running proxy. Binds the listening sockets, starts one Worker
// per thread, and shuts down gracefully on SIGTERM/SIGINT.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/log.h"
#include "common/status.h"
#include "deploy/seal_blockers.h"
#include "proxy/config.h"
#include "proxy/hold_gate.h"
#include "proxy/interceptor.h"
#include "proxy/worker.h"

namespace sealgate::proxy {

class Server : public deploy::SessionDirectory {
 public:
  Server(const Config& config, Logger* logger);
  ~Server();

  // Resolves the upstream, binds `listen` once per worker, starts the workers.
  // Errors are one-line reasons suitable for the exit message.
  Status Start();
  // Blocks until SIGTERM/SIGINT, then drains sessions and returns.
  void RunUntilSignal();
  // Thread-safe: begins a graceful shutdown (as SIGTERM does).
  void Shutdown();

  ProxyStats& stats() { return stats_; }
  // Valid after Start().
  HoldGate& hold_gate() { return *hold_gate_; }
  // Statements sealgate answers itself; set before Start() (not owned).
  void set_interceptor(StatementInterceptor* interceptor) { interceptor_ = interceptor; }
  // Gets client statement latencies (the copy's latency throttle); set before Start() (not owned).
  void set_client_latency(migration::ClientLatencyThrottler* sink) { client_latency_ = sink; }
  int worker_count() const { return static_cast<int>(workers_.size()); }
  // deploy::SessionDirectory: what a proxy session last sent (thread-safe).
  std::optional<std::string> LastStatement(uint64_t connection_id) override;
  // The proxy session whose upstream connection has this id (thread-safe).
  std::optional<uint64_t> SessionOf(uint64_t connection_id);

 private:
  Config config_;
  Logger* logger_;
  ProxyStats stats_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<HoldGate> hold_gate_;
  StatementInterceptor* interceptor_ = nullptr;
  migration::ClientLatencyThrottler* client_latency_ = nullptr;
};

// Resolves host:port (numeric or by name) to the first address found.
StatusOr<sockaddr_storage> ResolveHostPort(const HostPort& hp);

// Creates a non-blocking TCP socket bound to `addr` with SO_REUSEPORT.
StatusOr<int> BindListener(const HostPort& addr);

}  // namespace sealgate::proxy
