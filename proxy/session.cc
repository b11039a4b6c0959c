#include "proxy/session.h"

#include <cstring>

#include "protocol/constants.h"
#include "protocol/frame.h"
#include "protocol/handshake.h"
#include "protocol/messages.h"
#include "protocol/wire.h"
#include "proxy/proxy_errors.h"
#include "proxy/tls_channel.h"
#include "proxy/worker.h"

namespace sealgate::proxy {

namespace {

using protocol::Command;

constexpr size_t kPauseReadingAbove = 4 << 20;  // bytes queued towards a peer
constexpr size_t kResumeReadingBelow = 1 << 20;

struct WriteReq {
  uv_write_t req;
  std::string data;
};


}  // namespace

Session::Session(Worker* worker, uint64_t id) : worker_(worker), id_(id) {
  client_.session = upstream_.session = this;
  client_.side = Side::kClient;
  upstream_.side = Side::kUpstream;
}

Session::~Session() = default;

void Session::Start(uv_stream_t* listener) {
  uv_tcp_init(worker_->loop(), &client_.h.tcp);
  client_.h.handle.data = &client_;
  client_.open = true;
  ++open_handles_;
  if (uv_accept(listener, &client_.h.stream) != 0) {
    Close("accept failed");
    return;
  }
  uv_tcp_nodelay(&client_.h.tcp, 1);
  upstream_.open = true;
  ++open_handles_;
  connect_req_.data = this;
  int rc = 0;
  if (!worker_->upstream_socket().empty()) {
    uv_pipe_init(worker_->loop(), &upstream_.h.pipe, 0);
    upstream_.h.handle.data = &upstream_;
    uv_pipe_connect(&connect_req_, &upstream_.h.pipe, worker_->upstream_socket().c_str(), &Session::OnConnect);
  } else {
    uv_tcp_init(worker_->loop(), &upstream_.h.tcp);
    upstream_.h.handle.data = &upstream_;
    rc = uv_tcp_connect(&connect_req_, &upstream_.h.tcp, worker_->upstream_addr(), &Session::OnConnect);
  }
  if (rc != 0) {
    worker_->stats()->upstream_connect_failures.fetch_add(1, std::memory_order_relaxed);
    SendError(error::kUpstreamUnavailable, "", std::string("sealgate cannot reach the upstream server: ") + uv_strerror(rc), 0);
    Close("upstream connect failed");
    return;
  }
  StartReading(client_);
}

void Session::OnConnect(uv_connect_t* req, int status) {
  auto* self = static_cast<Session*>(req->data);
  if (self->phase_ == Phase::kClosing) return;
  if (status < 0) {
    self->worker_->stats()->upstream_connect_failures.fetch_add(1, std::memory_order_relaxed);
    self->SendError(error::kUpstreamUnavailable, "",
                    std::string("sealgate cannot reach the upstream server: ") + uv_strerror(status) +
                        "; check that it is running and --upstream points at it",
                    0);
    self->Close("upstream connect failed");
    return;
  }
  if (self->worker_->upstream_socket().empty()) {
    uv_tcp_nodelay(&self->upstream_.h.tcp, 1);
    sockaddr_storage local;
    int len = sizeof local;
    char ip[INET6_ADDRSTRLEN] = {0};
    if (uv_tcp_getsockname(&self->upstream_.h.tcp, reinterpret_cast<sockaddr*>(&local), &len) == 0) {
      if (local.ss_family == AF_INET) uv_ip4_name(reinterpret_cast<sockaddr_in*>(&local), ip, sizeof ip);
      else uv_ip6_name(reinterpret_cast<sockaddr_in6*>(&local), ip, sizeof ip);
    }
    self->upstream_host_ = ip;
  } else {
    self->upstream_host_ = "localhost";
  }
  self->phase_ = Phase::kGreeting;
  self->StartReading(self->upstream_);
}

void Session::StartReading(Conn& c) {
  if (c.reading || !c.open) return;
  c.reading = true;
  uv_read_start(&c.h.stream, &Session::OnAlloc, &Session::OnRead);
}

void Session::StopReading(Conn& c) {
  if (!c.reading) return;
  c.reading = false;
  uv_read_stop(&c.h.stream);
}

void Session::OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* c = static_cast<Conn*>(handle->data);
  // Bytes read are consumed (forwarded or copied) before the next read on this loop.
  buf->base = c->session->worker_->read_buffer();
  buf->len = Worker::kReadBufferSize;
}

void Session::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* c = static_cast<Conn*>(stream->data);
  Session* self = c->session;
  if (nread == 0 || self->phase_ == Phase::kClosing) return;
  if (nread < 0) {
    self->Close(c->side == Side::kClient ? "client disconnected" : "upstream disconnected");
    return;
  }
  bool client = c->side == Side::kClient;
  (client ? self->worker_->stats()->bytes_from_clients : self->worker_->stats()->bytes_from_upstream)
      .fetch_add(nread, std::memory_order_relaxed);
  TlsChannel* tls = client ? self->client_tls_.get() : self->upstream_tls_.get();
  if (!tls) {
    if (client) self->OnClientData(buf->base, static_cast<size_t>(nread));
    else self->OnUpstreamData(buf->base, static_cast<size_t>(nread));
    return;
  }
  std::string plain;
  Status s = tls->Feed(buf->base, static_cast<size_t>(nread), &plain);
  self->FlushTls(c->side);
  if (!s.ok()) {
    self->worker_->logger()->Warn("session", "session=" + std::to_string(self->id_) + " " + s.message());
    self->Close("TLS failure");
    return;
  }
  if (tls->handshake_done() && !client && self->phase_ == Phase::kUpstreamTls) self->OnUpstreamTlsReady();
  if (plain.empty() || self->phase_ == Phase::kClosing) return;
  if (client) self->OnClientData(plain.data(), plain.size());
  else self->OnUpstreamData(plain.data(), plain.size());
}

void Session::FlushTls(Side side) {
  TlsChannel* tls = side == Side::kClient ? client_tls_.get() : upstream_tls_.get();
  std::string out = tls->TakeOutput();
  if (!out.empty()) SendRaw(side, out.data(), out.size());
}

void Session::Send(Side side, const char* data, size_t n) {
  TlsChannel* tls = side == Side::kClient ? client_tls_.get() : upstream_tls_.get();
  if (!tls) {
    SendRaw(side, data, n);
    return;
  }
  Status s = tls->Write(data, n);
  if (!s.ok()) {
    Close("TLS write failed");
    return;
  }
  FlushTls(side);
}

void Session::SendRaw(Side side, const char* data, size_t n) {
  Conn& c = conn(side);
  if (!c.open || n == 0) return;
  auto* stream = &c.h.stream;
  if (stream->write_queue_size == 0) {
    uv_buf_t buf = uv_buf_init(const_cast<char*>(data), static_cast<unsigned>(n));
    int written = uv_try_write(stream, &buf, 1);
    if (written == static_cast<int>(n)) return;
    if (written > 0) {
      data += written;
      n -= written;
    } else if (written != UV_EAGAIN) {
      Close(side == Side::kClient ? "write to client failed" : "write to upstream failed");
      return;
    }
  }
  auto* req = new WriteReq;
  req->data.assign(data, n);
  req->req.data = this;
  uv_buf_t buf = uv_buf_init(req->data.data(), static_cast<unsigned>(req->data.size()));
  uv_write(&req->req, stream, &buf, 1, &Session::OnWrite);
  ApplyBackpressure();
}

void Session::ApplyBackpressure() {
  // Stop reading from a side while the other side's outgoing queue is long.
  auto queued = [](Conn& c) { return c.open ? c.h.stream.write_queue_size : 0; };
  if (queued(client_) > kPauseReadingAbove) StopReading(upstream_);
  else if (queued(client_) < kResumeReadingBelow && phase_ != Phase::kClosing && phase_ != Phase::kConnecting) StartReading(upstream_);
  if (queued(upstream_) > kPauseReadingAbove) StopReading(client_);
  else if (queued(upstream_) < kResumeReadingBelow && phase_ != Phase::kClosing && !paused_) StartReading(client_);
}

void Session::OnWrite(uv_write_t* req, int status) {
  auto* self = static_cast<Session*>(req->data);
  delete reinterpret_cast<WriteReq*>(req);
  if (self->phase_ == Phase::kClosing) return;
  if (status < 0) {
    self->Close("write failed");
    return;
  }
  self->ApplyBackpressure();
}

void Session::SendShifted(Side side, const char* data, size_t n, int shift) {
  if (shift == 0) {
    Send(side, data, n);
    return;
  }
  // Connection-phase sequence ids differ by one on a side that did an SSLRequest.
  std::string copy(data, n);
  for (size_t at = 0; at + 4 <= copy.size();) {
    copy[at + 3] = static_cast<char>(static_cast<uint8_t>(copy[at + 3]) + shift);
    at += 4 + protocol::LoadLE(reinterpret_cast<const unsigned char*>(copy.data()) + at, 3);
  }
  Send(side, copy.data(), copy.size());
}

void Session::SendError(uint16_t code, const char* sqlstate, const std::string& message, uint8_t seq) {
  std::string out;
  protocol::AppendPacket(&out, seq, protocol::BuildErr(code, sqlstate, message));
  Send(Side::kClient, out.data(), out.size());
}

void Session::Close(const char* reason) {
  if (phase_ == Phase::kClosing) return;
  bool was_authenticated = phase_ == Phase::kCommand;
  phase_ = Phase::kClosing;
  worker_->ForgetConnection(server_connection_id_);
  worker_->logger()->Debug("session", "session=" + std::to_string(id_) + " closed: " + reason);
  if (was_authenticated && worker_->interceptor()) worker_->interceptor()->OnSessionClosed(id_);
  if (keepalive_open_) uv_close(reinterpret_cast<uv_handle_t*>(&keepalive_), &Session::OnTimerClosed);
  for (Conn* c : {&client_, &upstream_}) {
    if (c->open && !uv_is_closing(&c->h.handle)) {
      uv_close(&c->h.handle, &Session::OnClosed);
    }
  }
}

void Session::OnTimerClosed(uv_handle_t* handle) {
  auto* self = static_cast<Session*>(handle->data);
  self->keepalive_open_ = false;
  if (--self->open_handles_ == 0) {
    self->worker_->Unregister(self);
    delete self;
  }
}

void Session::OnClosed(uv_handle_t* handle) {
  auto* c = static_cast<Conn*>(handle->data);
  Session* self = c->session;
  c->open = false;
  if (--self->open_handles_ == 0) {
    self->worker_->Unregister(self);
    delete self;
  }
}

bool Session::idle() const {
  return phase_ == Phase::kCommand && tracker_->idle() && client_in_.empty() && !tracker_->in_transaction() &&
         !state_.holds_session_locks();
}

void Session::CloseWhenIdle() {
  close_when_idle_ = true;
  if (idle() || phase_ == Phase::kConnecting) Close("shutdown");
}

}  // namespace sealgate::proxy
