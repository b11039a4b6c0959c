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

// Tags passed through the response tracker: the low 32 bits are the
// SessionState effects of a COM_QUERY.
constexpr uint64_t kTagResetsSession = 1ull << 40;

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
  if (self->worker_->upstream_socket().empty()) uv_tcp_nodelay(&self->upstream_.h.tcp, 1);
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
  else if (queued(upstream_) < kResumeReadingBelow && phase_ != Phase::kClosing) StartReading(client_);
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
  phase_ = Phase::kClosing;
  worker_->logger()->Debug("session", "session=" + std::to_string(id_) + " closed: " + reason);
  for (Conn* c : {&client_, &upstream_}) {
    if (c->open && !uv_is_closing(&c->h.handle)) {
      uv_close(&c->h.handle, &Session::OnClosed);
    }
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

// ---- connection phase -------------------------------------------------------

void Session::HandleGreeting() {
  protocol::LogicalPacket pkt;
  auto r = protocol::ParseLogicalPacket(upstream_in_, &pkt, 1 << 20);
  if (r == protocol::FrameResult::kNeedMore) return;
  if (r == protocol::FrameResult::kInvalid || pkt.payload.empty()) {
    worker_->stats()->sessions_malformed.fetch_add(1, std::memory_order_relaxed);
    SendError(error::kUpstreamProtocol, "", "sealgate received a malformed greeting from the upstream server", 0);
    Close("malformed greeting from upstream");
    return;
  }
  upstream_in_.erase(0, pkt.wire_size);
  if (static_cast<uint8_t>(pkt.payload[0]) == protocol::kErrHeader) {
    // e.g. "Too many connections", "Host is blocked": the client sees the server's own words.
    std::string out;
    protocol::AppendPacket(&out, pkt.seq, pkt.payload);
    Send(Side::kClient, out.data(), out.size());
    Close("upstream refused the connection");
    return;
  }
  auto greeting = protocol::ParseGreeting(pkt.payload);
  uint64_t offer_tls = worker_->server_tls() ? protocol::cap::kSsl : 0;
  Status cleared = greeting.ok() ? protocol::ClearGreetingCapabilities(&pkt.payload, protocol::OpaqueCapabilities(),
                                                                       offer_tls)
                                 : greeting.status();
  if (!cleared.ok()) {
    worker_->stats()->sessions_malformed.fetch_add(1, std::memory_order_relaxed);
    SendError(error::kUpstreamProtocol, "", "sealgate cannot read the upstream greeting: " + cleared.message(), 0);
    Close("bad greeting from upstream");
    return;
  }
  server_caps_ = greeting->capabilities & ~protocol::OpaqueCapabilities();
  if (worker_->upstream_tls() && !(greeting->capabilities & protocol::cap::kSsl)) {
    SendError(error::kUpstreamProtocol, "",
              "sealgate is configured to speak TLS to the upstream, but the upstream server does not offer TLS; "
              "configure ssl on the server or turn off tls.upstream",
              0);
    Close("upstream does not offer TLS");
    return;
  }
  std::string out;
  protocol::AppendPacket(&out, pkt.seq, pkt.payload);
  Send(Side::kClient, out.data(), out.size());
  phase_ = Phase::kHandshakeResponse;
  if (!client_in_.empty()) HandleHandshakeResponse();
}

void Session::HandleHandshakeResponse() {
  protocol::LogicalPacket pkt;
  auto r = protocol::ParseLogicalPacket(client_in_, &pkt, 1 << 20);
  if (r == protocol::FrameResult::kNeedMore) return;
  uint8_t reply_seq = static_cast<uint8_t>(pkt.seq + 1);
  if (r == protocol::FrameResult::kInvalid) {
    worker_->stats()->sessions_malformed.fetch_add(1, std::memory_order_relaxed);
    SendError(1043, "08S01", "Bad handshake: the handshake response is too large", 2);
    Close("oversized handshake response");
    return;
  }
  client_in_.erase(0, pkt.wire_size);
  auto response = protocol::ParseHandshakeResponse(pkt.payload);
  if (!response.ok()) {
    worker_->stats()->sessions_malformed.fetch_add(1, std::memory_order_relaxed);
    SendError(1043, "08S01", "Bad handshake: " + response.status().message(), reply_seq);
    Close("malformed handshake response");
    return;
  }
  if (response->is_ssl_request && worker_->server_tls() && !client_tls_) {
    client_tls_ = std::make_unique<TlsChannel>(worker_->server_tls(), TlsChannel::Role::kServer);
    client_seq_shift_ = 1;
    if (!client_in_.empty()) {
      // Bytes after the SSLRequest are the start of the TLS handshake.
      std::string early = std::move(client_in_);
      client_in_.clear();
      std::string plain;
      Status s = client_tls_->Feed(early.data(), early.size(), &plain);
      FlushTls(Side::kClient);
      if (!s.ok()) {
        Close("TLS failure");
        return;
      }
      client_in_ = std::move(plain);
    }
    return;
  }
  if (response->is_ssl_request) {
    SendError(1043, "08S01",
              "this sealgate has no TLS certificate configured: connect without TLS (e.g. --ssl=0 or "
              "ssl-mode=DISABLED) or configure tls.cert and tls.key",
              reply_seq);
    Close("client asked for TLS");
    return;
  }
  (void)protocol::ClearResponseCapabilities(&pkt.payload, protocol::OpaqueCapabilities());
  client_caps_ = response->capabilities & ~protocol::OpaqueCapabilities();
  if (worker_->upstream_tls()) {
    // Our own SSLRequest (the response's first 32 bytes with CLIENT_SSL), then TLS, then the response.
    std::string ssl_request = pkt.payload.substr(0, 32);
    ssl_request[1] = static_cast<char>(ssl_request[1] | 0x08);  // CLIENT_SSL is bit 11
    std::string out;
    protocol::AppendPacket(&out, 1, ssl_request);
    SendRaw(Side::kUpstream, out.data(), out.size());
    upstream_tls_ = std::make_unique<TlsChannel>(worker_->upstream_tls(), TlsChannel::Role::kClient);
    upstream_seq_shift_ = 1;
    Status s = upstream_tls_->Start();
    FlushTls(Side::kUpstream);
    if (!s.ok()) {
      Close("TLS failure");
      return;
    }
    pending_response_.clear();
    protocol::AppendPacket(&pending_response_, static_cast<uint8_t>(pkt.seq - client_seq_shift_ + 1), pkt.payload);
    phase_ = Phase::kUpstreamTls;
    return;
  }
  std::string out;
  protocol::AppendPacket(&out, static_cast<uint8_t>(pkt.seq - client_seq_shift_), pkt.payload);
  Send(Side::kUpstream, out.data(), out.size());
  phase_ = Phase::kAuth;
  if (!client_in_.empty()) RelayAuthFromClient();
}

void Session::OnUpstreamTlsReady() {
  Send(Side::kUpstream, pending_response_.data(), pending_response_.size());
  pending_response_.clear();
  phase_ = Phase::kAuth;
  if (!client_in_.empty()) RelayAuthFromClient();
}

void Session::RelayAuthFromClient() {
  // Auth-switch answers and more-data exchanges: forwarded as they are.
  for (;;) {
    protocol::LogicalPacket pkt;
    auto r = protocol::ParseLogicalPacket(client_in_, &pkt, 1 << 20);
    if (r == protocol::FrameResult::kNeedMore) return;
    if (r == protocol::FrameResult::kInvalid) {
      Close("oversized authentication packet");
      return;
    }
    SendShifted(Side::kUpstream, client_in_.data(), pkt.wire_size, upstream_seq_shift_ - client_seq_shift_);
    client_in_.erase(0, pkt.wire_size);
  }
}

void Session::HandleAuthFromServer() {
  while (phase_ == Phase::kAuth) {
    protocol::LogicalPacket pkt;
    auto r = protocol::ParseLogicalPacket(upstream_in_, &pkt, 1 << 20);
    if (r == protocol::FrameResult::kNeedMore) return;
    if (r == protocol::FrameResult::kInvalid || pkt.payload.empty()) {
      worker_->stats()->sessions_malformed.fetch_add(1, std::memory_order_relaxed);
      Close("malformed authentication packet from upstream");
      return;
    }
    SendShifted(Side::kClient, upstream_in_.data(), pkt.wire_size, client_seq_shift_ - upstream_seq_shift_);
    upstream_in_.erase(0, pkt.wire_size);
    uint8_t first = static_cast<uint8_t>(pkt.payload[0]);
    if (first == protocol::kErrHeader) {
      Close("authentication failed");  // the client has the server's access-denied error
      return;
    }
    if (first == protocol::kOkHeader) {
      bool deprecate_eof = (server_caps_ & client_caps_ & protocol::cap::kDeprecateEof) != 0;
      tracker_ = std::make_unique<protocol::ResponseTracker>(deprecate_eof);
      phase_ = Phase::kCommand;
      worker_->logger()->Debug("session", "session=" + std::to_string(id_) + " authenticated");
    }
  }
  if (phase_ == Phase::kCommand) {
    if (!upstream_in_.empty()) {
      std::string rest = std::move(upstream_in_);
      upstream_in_.clear();
      OnUpstreamData(rest.data(), rest.size());
    }
    if (!client_in_.empty()) {
      std::string rest = std::move(client_in_);
      client_in_.clear();
      OnClientData(rest.data(), rest.size());
    }
  }
}

// ---- command phase ----------------------------------------------------------

void Session::OnClientData(const char* data, size_t n) {
  switch (phase_) {
    case Phase::kConnecting:
    case Phase::kGreeting:
      client_in_.append(data, n);  // a client that speaks first: kept for later
      return;
    case Phase::kHandshakeResponse:
      client_in_.append(data, n);
      HandleHandshakeResponse();
      return;
    case Phase::kAuth:
      client_in_.append(data, n);
      RelayAuthFromClient();
      return;
    case Phase::kUpstreamTls:
      client_in_.append(data, n);  // relayed once the upstream TLS handshake is done
      return;
    case Phase::kCommand:
      break;
    case Phase::kClosing:
      return;
  }
  if (client_in_.empty()) {
    size_t used = ForwardCommands(data, n);
    if (phase_ != Phase::kClosing && used < n) client_in_.assign(data + used, n - used);
  } else {
    client_in_.append(data, n);
    size_t used = ForwardCommands(client_in_.data(), client_in_.size());
    if (phase_ != Phase::kClosing) client_in_.erase(0, used);
  }
  if (close_when_idle_ && idle()) Close("shutdown");
}

size_t Session::ForwardCommands(const char* data, size_t n) {
  size_t pos = 0;
  while (phase_ == Phase::kCommand) {
    if (n - pos < 4) break;
    uint32_t len = static_cast<uint32_t>(protocol::LoadLE(reinterpret_cast<const unsigned char*>(data + pos), 3));
    size_t wire;
    std::string_view payload;
    std::string joined;
    if (len < protocol::kMaxFramePayload) {
      if (n - pos - 4 < len) break;
      payload = std::string_view(data + pos + 4, len);
      wire = 4 + len;
    } else {
      protocol::LogicalPacket pkt;
      auto r = protocol::ParseLogicalPacket(std::string_view(data + pos, n - pos), &pkt, worker_->max_packet_bytes());
      if (r == protocol::FrameResult::kNeedMore) break;
      if (r == protocol::FrameResult::kInvalid) {
        worker_->stats()->sessions_malformed.fetch_add(1, std::memory_order_relaxed);
        SendError(1153, "08S01", "Got a packet bigger than sealgate's max packet size", 0);
        Close("client packet exceeds the maximum size");
        return n;
      }
      joined = std::move(pkt.payload);
      payload = joined;
      wire = pkt.wire_size;
    }
    if (tracker_->awaiting_local_infile_data()) {
      if (payload.empty()) tracker_->LocalInfileDataSent();
    } else if (!tracker_->in_auth_exchange() && !tracker_->streaming()) {
      if (payload.empty()) {
        worker_->stats()->sessions_malformed.fetch_add(1, std::memory_order_relaxed);
        worker_->logger()->Warn("session", "session=" + std::to_string(id_) + " sent an empty command packet");
        Close("malformed command");
        return n;
      }
      worker_->stats()->commands_forwarded.fetch_add(1, std::memory_order_relaxed);
      auto cmd = static_cast<Command>(static_cast<uint8_t>(payload[0]));
      uint64_t tag = 0;
      if (cmd == Command::kQuery) tag = state_.OnQuerySent(payload.substr(1));
      if (cmd == Command::kChangeUser || cmd == Command::kResetConnection) tag = kTagResetsSession;
      if (cmd == Command::kQuit) quit_sent_ = true;
      tracker_->Expect(cmd, tag);
    }
    pos += wire;
  }
  if (pos > 0) Send(Side::kUpstream, data, pos);
  return pos;
}

void Session::OnUpstreamData(const char* data, size_t n) {
  switch (phase_) {
    case Phase::kGreeting:
      upstream_in_.append(data, n);
      HandleGreeting();
      return;
    case Phase::kAuth:
      upstream_in_.append(data, n);
      HandleAuthFromServer();
      return;
    case Phase::kCommand:
      break;
    default:
      return;  // nothing is expected from the server in the other phases
  }
  Status s = tracker_->Feed(data, n);
  Send(Side::kClient, data, n);
  if (!s.ok()) {
    worker_->stats()->sessions_malformed.fetch_add(1, std::memory_order_relaxed);
    worker_->logger()->Warn("session", "session=" + std::to_string(id_) +
                                           " ended: unexpected response from upstream: " + s.message());
    Close("unexpected response from upstream");
    return;
  }
  AfterUpstreamResponse();
}

void Session::AfterUpstreamResponse() {
  for (const auto& done : tracker_->TakeCompletions()) {
    if (done.command == Command::kQuery) state_.OnQueryDone(static_cast<uint32_t>(done.tag), done.ok);
    if ((done.tag & kTagResetsSession) && done.ok) {
      state_.OnSessionReset();
    }
  }
  if (close_when_idle_ && idle()) Close("shutdown");
}

}  // namespace sealgate::proxy
