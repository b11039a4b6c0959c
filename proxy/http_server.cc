#include "proxy/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>

#include <algorithm>
#include <vector>

namespace sealgate::proxy {
namespace {

// After the last answer: how long to wait for the client's EOF before closing.
constexpr double kLingerSeconds = 2;

std::string AddressText(const std::string& host, int port) {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string Unbracketed(std::string host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";
  return host;
}

// `host` as a socket address; `loopback` says whether it is one.
Status ResolveHost(const std::string& given, int port, sockaddr_storage* out, bool* loopback) {
  std::string host = Unbracketed(given);
  if (port < 0 || port > 65535) return Status::InvalidArgument("http port " + std::to_string(port) + " is out of range");
  if (host.find(':') != std::string::npos) {
    auto* a6 = reinterpret_cast<sockaddr_in6*>(out);
    if (uv_ip6_addr(host.c_str(), port, a6) != 0) return Status::InvalidArgument("http host " + host + " is not an IP address");
    *loopback = IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr);
  } else {
    auto* a4 = reinterpret_cast<sockaddr_in*>(out);
    if (uv_ip4_addr(host.c_str(), port, a4) != 0) return Status::InvalidArgument("http host " + host + " is not an IP address");
    *loopback = (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
  }
  return Status::Ok();
}

// Compares in time that depends on the lengths only, not on where they differ.
bool SameSecret(const std::string& given, const std::string& secret) {
  if (secret.empty()) return given.empty();
  unsigned char diff = given.size() == secret.size() ? 0 : 1;
  for (size_t i = 0; i < given.size(); ++i) diff |= static_cast<unsigned char>(given[i] ^ secret[i % secret.size()]);
  return diff == 0;
}

}  // namespace

bool IsLoopbackHost(const std::string& host) {
  sockaddr_storage addr{};
  bool loopback = false;
  return ResolveHost(host, 0, &addr, &loopback).ok() && loopback;
}

struct HttpServer::Connection {
  HttpServer* server = nullptr;
  uv_tcp_t tcp;
  uv_timer_t timer;
  uv_shutdown_t shutdown_req;
  std::string input;
  int open_handles = 2;   // tcp and timer; deleted when both closed
  bool closing = false;
  bool finishing = false; // last answer queued: discard input, wait for EOF
  bool paused = false;    // reading stopped for backpressure
  bool peer_done = false; // the client sent EOF: close once the queued answers are written
};

struct HttpServer::WriteRequest {
  uv_write_t req;
  std::string bytes;  // kept alive until the write completes
  Connection* conn;
};

HttpServer::HttpServer(HttpServerOptions options, const MetricsRegistry* registry, Logger* logger)
    : options_(std::move(options)), registry_(registry), logger_(logger) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  if (started_) return Status::FailedPrecondition("http server already started");
  uv_loop_init(&loop_);
  Status bound = Bind();
  if (!bound.ok()) {
    // Let the loop run the listener's close callback, then release it.
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
    return bound;
  }
  uv_async_init(&loop_, &async_, &HttpServer::OnAsync);
  async_.data = this;
  started_ = true;
  thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
  logger_->Info("http", "listening addr=" + AddressText(options_.host, port_) +
                            " auth=" + (options_.token.empty() ? "none" : "bearer-token"));
  return Status::Ok();
}

Status HttpServer::Bind() {
  sockaddr_storage addr{};
  bool loopback = false;
  SEALGATE_RETURN_IF_ERROR(ResolveHost(options_.host, options_.port, &addr, &loopback));
  if (!loopback && options_.token.empty() && !options_.allow_unauthenticated) {
    return Status::InvalidArgument("http host " + options_.host +
                                   " is not a loopback address and /status and /metrics name deploys and tables: set "
                                   "http.token (--http-token-file, or SEALGATE_HTTP_TOKEN), or "
                                   "http.allow_unauthenticated=true to serve them to anyone who can connect");
  }
  uv_tcp_init(&loop_, &listener_);
  listener_.data = this;
  int rc = uv_tcp_bind(&listener_, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 128, &HttpServer::OnConnection);
  sockaddr_storage bound{};
  int len = sizeof bound;
  if (rc == 0) rc = uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&bound), &len);
  if (rc != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
    return Status::Unavailable("cannot listen for http on " + AddressText(options_.host, options_.port) + ": " +
                               uv_strerror(rc));
  }
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return Status::Ok();
}

void HttpServer::Stop() {
  if (!started_) return;
  started_ = false;
  stop_requested_ = true;
  uv_async_send(&async_);
  thread_.join();
  uv_loop_close(&loop_);
}

void HttpServer::OnAsync(uv_async_t* handle) {
  auto* self = static_cast<HttpServer*>(handle->data);
  if (self->stop_requested_) self->CloseAll();
}

void HttpServer::CloseAll() {
  uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
  std::vector<Connection*> open(connections_.begin(), connections_.end());
  for (Connection* conn : open) Close(conn);
  // uv_run returns once the close callbacks have run: no handle is left.
}

void HttpServer::OnConnection(uv_stream_t* listener, int status) {
  auto* self = static_cast<HttpServer*>(listener->data);
  if (status < 0) {
    self->logger_->Warn("http", std::string("accept failed: ") + uv_strerror(status));
    return;
  }
  auto* conn = new Connection;
  conn->server = self;
  uv_tcp_init(&self->loop_, &conn->tcp);
  uv_timer_init(&self->loop_, &conn->timer);
  conn->tcp.data = conn;
  conn->timer.data = conn;
  self->connections_.insert(conn);
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&conn->tcp)) != 0 ||
      self->connections_.size() > self->options_.max_connections) {
    self->Close(conn);
    return;
  }
  self->RestartTimer(conn, self->options_.request_timeout_seconds);
  uv_read_start(reinterpret_cast<uv_stream_t*>(&conn->tcp), &HttpServer::OnAlloc, &HttpServer::OnRead);
}

void HttpServer::OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  // One buffer serves every connection: each read is copied out at once.
  HttpServer* self = static_cast<Connection*>(handle->data)->server;
  *buf = uv_buf_init(self->read_buffer_, sizeof self->read_buffer_);
}

void HttpServer::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* conn = static_cast<Connection*>(stream->data);
  if (nread < 0) {
    conn->server->OnPeerDone(conn, nread);
    return;
  }
  if (conn->finishing || nread == 0) return;
  conn->input.append(buf->base, static_cast<size_t>(nread));
  conn->server->ProcessInput(conn);
}

void HttpServer::OnPeerDone(Connection* conn, ssize_t why) {
  // A client may half-close right after its request: answers still queued
  // are delivered first, then the connection closes (OnWrite).
  auto* stream = reinterpret_cast<uv_stream_t*>(&conn->tcp);
  if (why != UV_EOF || uv_stream_get_write_queue_size(stream) == 0) {
    Close(conn);
    return;
  }
  conn->peer_done = true;
  conn->finishing = true;
  uv_read_stop(stream);
}

void HttpServer::ProcessInput(Connection* conn) {
  while (!conn->finishing && !conn->closing) {
    http::ParseResult parsed = http::ParseRequest(conn->input, options_.limits);
    if (parsed.outcome == http::ParseOutcome::kNeedMore) return;
    if (parsed.outcome == http::ParseOutcome::kInvalid) {
      logger_->Debug("http", "refused request status=" + std::to_string(parsed.error_status) + " reason=\"" +
                                 parsed.error + "\"");
      Send(conn, http::SerializeResponse(http::ErrorResponse(parsed), {}));
      FinishAfterWrites(conn);
      return;
    }
    const http::Request& request = parsed.request;
    http::SerializeOptions how;
    how.head_only = request.method == http::Method::kHead;
    how.keep_alive = request.keep_alive;
    Send(conn, http::SerializeResponse(Answer(request), how));
    conn->input.erase(0, parsed.consumed);
    if (!request.keep_alive) {
      FinishAfterWrites(conn);
      return;
    }
    RestartTimer(conn, options_.request_timeout_seconds);
    if (uv_stream_get_write_queue_size(reinterpret_cast<uv_stream_t*>(&conn->tcp)) > options_.max_queued_output_bytes) {
      uv_read_stop(reinterpret_cast<uv_stream_t*>(&conn->tcp));
      conn->paused = true;
      return;
    }
  }
}

bool HttpServer::Authorized(const http::Request& request) const {
  if (options_.token.empty() || request.path == "/healthz") return true;
  const std::string* given = request.Header("authorization");
  if (!given || given->size() < 7 || strncasecmp(given->c_str(), "Bearer ", 7) != 0) return false;
  std::string token = given->substr(7);
  while (!token.empty() && token.front() == ' ') token.erase(0, 1);
  return SameSecret(token, options_.token);
}

http::Response HttpServer::Answer(const http::Request& request) const {
  http::Response response;
  if (!Authorized(request)) {
    response.status = 401;
    response.body = "this endpoint needs \"Authorization: Bearer <token>\" (sealgate's http.token); /healthz does not\n";
    response.extra_headers.emplace_back("WWW-Authenticate", "Bearer realm=\"sealgate\"");
    return response;
  }
  if (request.path == "/metrics") {
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    response.body = registry_->RenderMetrics();
  } else if (request.path == "/status") {
    response.content_type = "application/json";
    response.body = registry_->RenderStatus().serialize(true);
  } else if (request.path == "/healthz") {
    std::string reasons = registry_->UnhealthyReasons();
    response.status = reasons.empty() ? 200 : 503;
    response.body = reasons.empty() ? "ok\n" : reasons + "\n";
  } else {
    response.status = 404;
    response.body = "not found; this endpoint serves /metrics, /status and /healthz\n";
  }
  return response;
}

void HttpServer::Send(Connection* conn, std::string bytes) {
  auto* write = new WriteRequest;
  write->bytes = std::move(bytes);
  write->conn = conn;
  write->req.data = write;
  uv_buf_t buf = uv_buf_init(write->bytes.data(), static_cast<unsigned>(write->bytes.size()));
  int rc = uv_write(&write->req, reinterpret_cast<uv_stream_t*>(&conn->tcp), &buf, 1, &HttpServer::OnWrite);
  if (rc != 0) {
    delete write;
    Close(conn);
  }
}

void HttpServer::OnWrite(uv_write_t* req, int status) {
  auto* write = static_cast<WriteRequest*>(req->data);
  Connection* conn = write->conn;
  delete write;
  if (conn->closing) return;  // cancelled by Close; the connection is still allocated
  HttpServer* self = conn->server;
  if (status < 0) {
    self->Close(conn);
    return;
  }
  auto* stream = reinterpret_cast<uv_stream_t*>(&conn->tcp);
  if (conn->peer_done) {
    if (uv_stream_get_write_queue_size(stream) == 0) self->Close(conn);
    return;
  }
  if (conn->paused && uv_stream_get_write_queue_size(stream) <= self->options_.max_queued_output_bytes / 2) {
    conn->paused = false;
    uv_read_start(stream, &HttpServer::OnAlloc, &HttpServer::OnRead);
    self->ProcessInput(conn);
  }
}

void HttpServer::FinishAfterWrites(Connection* conn) {
  // Half-close after the queued answer, and keep reading until the client's
  // EOF: closing with unread input would reset the connection and could
  // destroy the answer before the client reads it.
  conn->finishing = true;
  conn->input.clear();
  if (conn->paused) {
    conn->paused = false;
    uv_read_start(reinterpret_cast<uv_stream_t*>(&conn->tcp), &HttpServer::OnAlloc, &HttpServer::OnRead);
  }
  conn->shutdown_req.data = conn;
  if (uv_shutdown(&conn->shutdown_req, reinterpret_cast<uv_stream_t*>(&conn->tcp), &HttpServer::OnShutdown) != 0) {
    Close(conn);
    return;
  }
  RestartTimer(conn, std::min(kLingerSeconds, options_.request_timeout_seconds));
}

void HttpServer::OnShutdown(uv_shutdown_t* req, int status) {
  auto* conn = static_cast<Connection*>(req->data);
  if (conn->closing) return;
  if (status < 0 || conn->peer_done) conn->server->Close(conn);
}

void HttpServer::RestartTimer(Connection* conn, double seconds) {
  uv_timer_start(&conn->timer, &HttpServer::OnTimer, static_cast<uint64_t>(seconds * 1000), 0);
}

void HttpServer::OnTimer(uv_timer_t* handle) {
  auto* conn = static_cast<Connection*>(handle->data);
  conn->server->Close(conn);
}

void HttpServer::Close(Connection* conn) {
  if (conn->closing) return;
  conn->closing = true;
  connections_.erase(conn);
  uv_close(reinterpret_cast<uv_handle_t*>(&conn->tcp), &HttpServer::OnConnectionHandleClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&conn->timer), &HttpServer::OnConnectionHandleClosed);
}

void HttpServer::OnConnectionHandleClosed(uv_handle_t* handle) {
  auto* conn = static_cast<Connection*>(handle->data);
  if (--conn->open_handles == 0) delete conn;
}

}  // namespace sealgate::proxy
