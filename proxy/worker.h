// Worker: one libuv loop on its own thread, with its own listening socket
// (SO_REUSEPORT spreads connections across workers) and the sessions it
// accepted. Handles are touched only on this thread; other threads talk to it
// through RequestShutdown (uv_async_t).
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>
#include <memory>
#include <cstdint>
#include <string>
#include <thread>

#include "common/log.h"
#include "common/status.h"
#include "proxy/tls_channel.h"

namespace sealgate::migration {
class ClientLatencyThrottler;
}  // namespace sealgate::migration

namespace sealgate::proxy {

class Session;

// Counters shared by all workers (relaxed atomics: read by the metrics endpoint).
struct ProxyStats {
  std::atomic<uint64_t> connections_total{0};
  std::atomic<int64_t> connections_open{0};
  std::atomic<uint64_t> commands_forwarded{0};
  std::atomic<uint64_t> bytes_from_clients{0};
  std::atomic<uint64_t> bytes_from_upstream{0};
  std::atomic<uint64_t> sessions_malformed{0};
  std::atomic<uint64_t> upstream_connect_failures{0};
};

class HoldGate;
class StatementInterceptor;

struct WorkerOptions {
  int index = 0;
  sockaddr_storage upstream;   // resolved upstream address
  std::string upstream_socket;  // if set: connect to the upstream over this Unix socket instead
  size_t max_packet_bytes = size_t{1} << 30;
  std::shared_ptr<TlsContext> server_tls;    // terminate client TLS with this, if set
  std::shared_ptr<TlsContext> upstream_tls;  // speak TLS to the upstream with this, if set
  StatementInterceptor* interceptor = nullptr;  // statements sealgate answers itself (not owned)
  uint64_t keepalive_ms = 60000;                // upstream ping interval while a client waits on sealgate
  // Gets every client statement's latency (forwarded to its response's end);
  // may be null (not owned, thread-safe).
  migration::ClientLatencyThrottler* client_latency = nullptr;
};

class Worker {
 public:
  Worker(const WorkerOptions& options, ProxyStats* stats, Logger* logger);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Takes ownership of a bound, listening-ready socket and starts the loop thread.
  Status Start(int listen_fd);
  // Thread-safe: stop accepting, close idle sessions now and busy ones when
  // they become idle, and end the loop after `grace_seconds` at the latest.
  void RequestShutdown(double grace_seconds);
  void Join();

  // Thread-safe: runs `fn` on the loop thread soon.
  void Post(std::function<void()> fn);

  // Thread-safe hold control (used by HoldGate). BeginHold: new statements of
  // sessions at a statement boundary are held once hold_applied() is true.
  // EndHold releases them.
  void BeginHold();
  void EndHold();
  bool hold_applied() const { return hold_applied_.load(std::memory_order_acquire); }

  // Loop-thread API for sessions.
  bool holding() const { return holding_; }
  StatementInterceptor* interceptor() const { return options_.interceptor; }
  migration::ClientLatencyThrottler* client_latency() const { return options_.client_latency; }
  uint64_t keepalive_ms() const { return options_.keepalive_ms; }
  Session* FindSession(uint64_t id);
  uv_loop_t* loop() { return &loop_; }
  const std::string& upstream_socket() const { return options_.upstream_socket; }
  const sockaddr* upstream_addr() const { return reinterpret_cast<const sockaddr*>(&options_.upstream); }
  size_t max_packet_bytes() const { return options_.max_packet_bytes; }
  const std::shared_ptr<TlsContext>& server_tls() const { return options_.server_tls; }
  const std::shared_ptr<TlsContext>& upstream_tls() const { return options_.upstream_tls; }
  ProxyStats* stats() { return stats_; }
  Logger* logger() { return logger_; }
  bool shutting_down() const { return shutting_down_; }
  // What each session last sent, by its upstream connection id (for naming
  // what blocks a seal). NoteStatement: loop thread; LastStatement: any thread.
  void NoteStatement(uint32_t connection_id, uint64_t session_id, std::string_view sql);
  void ForgetConnection(uint32_t connection_id);
  std::optional<std::string> LastStatement(uint64_t connection_id);
  std::optional<uint64_t> SessionOf(uint64_t connection_id);
  void Register(Session* s);
  void Unregister(Session* s);
  // A scratch buffer for client reads (their bytes are copied or forwarded at once).
  char* read_buffer() { return read_buffer_; }
  static constexpr size_t kReadBufferSize = 64 * 1024;

 private:
  static void OnConnection(uv_stream_t* listener, int status);
  static void OnAsync(uv_async_t* handle);
  static void OnGraceTimer(uv_timer_t* handle);
  void Run();
  void RunPosted();
  void ApplyHold(bool on);
  void BeginShutdown();
  void MaybeFinish();

  WorkerOptions options_;
  ProxyStats* stats_;
  Logger* logger_;
  uv_loop_t loop_;
  uv_tcp_t listener_;
  uv_async_t async_;
  uv_timer_t grace_timer_;
  std::thread thread_;
  std::atomic<bool> shutdown_requested_{false};
  std::atomic<double> grace_seconds_{30};
  bool shutting_down_ = false;
  bool holding_ = false;
  std::atomic<bool> hold_applied_{false};
  std::mutex posted_mu_;
  std::vector<std::function<void()>> posted_;  // GUARDED_BY(posted_mu_)
  bool accepting_posts_ = true;                // GUARDED_BY(posted_mu_)
  std::unordered_map<uint64_t, Session*> by_id_;
  std::mutex statements_mu_;
  struct Known {
    uint64_t session_id = 0;
    std::string last_statement;
  };
  std::unordered_map<uint32_t, Known> known_;  // by upstream connection id; GUARDED_BY(statements_mu_)
  bool finished_ = false;
  Session* sessions_ = nullptr;
  uint64_t next_session_id_;
  char read_buffer_[kReadBufferSize];
};

}  // namespace sealgate::proxy
