// HttpServer: the loopback operator endpoint (DESIGN.md §5, `--http`).
//
//   GET|HEAD /metrics  200, Prometheus text (registry->RenderMetrics())
//   GET|HEAD /status   200, JSON object (registry->RenderStatus())
//   GET|HEAD /healthz  200 "ok", or 503 with the sources' unhealthy reasons
//   anything else      404; other methods 405; malformed 400; huge head 413
// The query string is ignored. Keep-alive and pipelining are honoured.
//
// /metrics and /status name deploys and tables. With a token set, every
// request but /healthz needs "Authorization: Bearer <token>" (401 otherwise).
// The server binds a loopback address, or any address when a token is set or
// unauthenticated access is allowed explicitly; otherwise Start refuses.
//
// The server runs its own libuv loop on its own thread; its handles are
// touched only there (Start sets them up before the thread exists).
//
// Lifetime: `registry` and `logger` are not owned and must outlive the server.
// Start once; Stop (or the destructor) closes the listener and every open
// connection at once and joins the thread. Stop is idempotent and may be
// called from any thread except the server's own.
#pragma once

#include <uv.h>

#include <atomic>
#include <string>
#include <thread>
#include <unordered_set>

#include "common/log.h"
#include "common/status.h"
#include "proxy/http_request.h"
#include "proxy/metrics.h"

namespace sealgate::proxy {

struct HttpServerOptions {
  std::string host = "127.0.0.1";  // an IPv4 or IPv6 address, or "localhost"
  int port = 9033;                 // 0: the kernel picks a free port (see port())
  // Non-empty: required as a bearer token by everything but /healthz.
  std::string token;
  // Serve /metrics and /status without a token on a non-loopback address.
  bool allow_unauthenticated = false;
  size_t max_connections = 64;     // connections past this are closed at once
  // Each request head must arrive within this long of the connection's accept
  // or of the previous answer; otherwise the connection is closed. This bounds
  // both idle keep-alive connections and clients that trickle bytes.
  double request_timeout_seconds = 10;
  // Reading a connection pauses while more answer bytes than this wait to be
  // sent, so a client pipelining requests without reading cannot grow memory.
  size_t max_queued_output_bytes = 4 * 1024 * 1024;
  http::RequestLimits limits;
};

// "localhost", 127.0.0.0/8 or ::1 (brackets allowed).
bool IsLoopbackHost(const std::string& host);

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, const MetricsRegistry* registry, Logger* logger);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens, then starts the loop thread. On failure nothing keeps
  // running and the Status has a one-line reason naming the address, e.g.
  // "cannot listen for http on 127.0.0.1:9033: address already in use".
  Status Start();
  // The bound port once Start succeeded (the chosen one when options.port was 0).
  int port() const { return port_; }
  void Stop();

 private:
  struct Connection;
  struct WriteRequest;
  static void OnAsync(uv_async_t* handle);
  static void OnConnection(uv_stream_t* listener, int status);
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnWrite(uv_write_t* req, int status);
  static void OnShutdown(uv_shutdown_t* req, int status);
  static void OnTimer(uv_timer_t* handle);
  static void OnConnectionHandleClosed(uv_handle_t* handle);

  Status Bind();
  void OnPeerDone(Connection* conn, ssize_t why);
  void ProcessInput(Connection* conn);
  http::Response Answer(const http::Request& request) const;
  bool Authorized(const http::Request& request) const;
  void Send(Connection* conn, std::string bytes);
  void FinishAfterWrites(Connection* conn);
  void RestartTimer(Connection* conn, double seconds);
  void Close(Connection* conn);
  void CloseAll();

  HttpServerOptions options_;
  const MetricsRegistry* registry_;
  Logger* logger_;
  int port_ = 0;
  bool started_ = false;
  std::atomic<bool> stop_requested_{false};
  std::thread thread_;
  // Loop-thread state (and Start's before the thread exists).
  uv_loop_t loop_;
  uv_tcp_t listener_;
  uv_async_t async_;
  std::unordered_set<Connection*> connections_;
  char read_buffer_[16 * 1024];
};

}  // namespace sealgate::proxy
