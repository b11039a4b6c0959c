// Throttler: asked whether the copy should hold off. The engine asks from one
// watcher thread of its own, never from a migration's writer, so a slow or
// unreachable server never delays applying the binlog; the copiers read the
// engine's cached answer. Implementations must be thread-safe all the same.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "binlog/binlog_stream.h"
#include "migration/sql_conn.h"

namespace sealgate::migration {

class Throttler {
 public:
  virtual ~Throttler() = default;
  // Empty when copying may go on; otherwise why not (e.g. "Threads_running=80").
  virtual std::string Reason() = 0;
};

// Throttles while the server's Threads_running exceeds `max_threads_running`
// (checked at most every `interval`; the answer is cached in between).
class ThreadsRunningThrottler : public Throttler {
 public:
  ThreadsRunningThrottler(binlog::ServerEndpoint server, int max_threads_running,
                          std::chrono::milliseconds interval = std::chrono::milliseconds(500))
      : server_(std::move(server)), max_(max_threads_running), interval_(interval) {}
  std::string Reason() override;

 private:
  binlog::ServerEndpoint server_;
  int max_;
  std::chrono::milliseconds interval_;
  std::mutex mu_;
  SqlConn conn_;                                      // guarded by mu_
  std::chrono::steady_clock::time_point checked_{};   // guarded by mu_
  std::string reason_;                                // guarded by mu_
};

// The verdict on one replica's SHOW REPLICA STATUS (or SHOW SLAVE STATUS)
// result: empty when its lag is known and at most `max_lag`; otherwise why the
// copy should wait. A server that is not replicating, or whose replication is
// stopped (Seconds_Behind_Master/Source NULL), throttles: its lag is unknown.
std::string ReplicaLagVerdict(const std::string& replica, const std::vector<std::string>& columns,
                              const std::vector<SqlRow>& rows, std::chrono::seconds max_lag);

// Throttles while any replica lags more than `max_lag`, or cannot be asked
// (an unreachable replica may be the most lagging one). Each replica is asked
// at most every `interval` with the admin account's credentials.
class ReplicaLagThrottler : public Throttler {
 public:
  struct Options {
    std::vector<binlog::ServerEndpoint> replicas;
    std::chrono::seconds max_lag{10};
    std::chrono::milliseconds interval{1000};
  };
  explicit ReplicaLagThrottler(Options options);
  std::string Reason() override;

 private:
  std::string Ask(size_t i);  // REQUIRES(mu_)

  const Options options_;
  std::mutex mu_;
  std::vector<SqlConn> conns_;                        // guarded by mu_, one per replica
  std::chrono::steady_clock::time_point checked_{};   // guarded by mu_
  std::string reason_;                                // guarded by mu_
};

// Throttles while any of its parts does; the reasons are joined by "; ".
class CompositeThrottler : public Throttler {
 public:
  explicit CompositeThrottler(std::vector<std::shared_ptr<Throttler>> parts) : parts_(std::move(parts)) {}
  std::string Reason() override;

 private:
  const std::vector<std::shared_ptr<Throttler>> parts_;
};

}  // namespace sealgate::migration
