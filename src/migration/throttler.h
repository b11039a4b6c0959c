// Throttler: asked by the copier before each chunk whether to hold off.
// Implementations must be thread-safe (several copiers ask concurrently).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

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

}  // namespace sealgate::migration
