// The connection phase of a Session: greeting, handshake response (and TLS),
// authentication exchange. Authentication is relayed, never computed.
#include "proxy/session.h"

#include "protocol/constants.h"
#include "protocol/frame.h"
#include "protocol/handshake.h"
#include "protocol/messages.h"
#include "protocol/wire.h"
#include "proxy/proxy_errors.h"
#include "proxy/tls_channel.h"
#include "proxy/worker.h"

namespace sealgate::proxy {

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
  server_connection_id_ = greeting->connection_id;
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
  user_ = response->user;
  database_ = response->database;
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
      uint64_t both = server_caps_ & client_caps_;
      protocol::ResponseFormat format;
      format.deprecate_eof = (both & protocol::cap::kDeprecateEof) != 0;
      format.cache_metadata = (both & protocol::cap::kMariaDbCacheMetadata) != 0;
      format.progress_reports = (both & protocol::cap::kMariaDbProgress) != 0;
      tracker_ = std::make_unique<protocol::ResponseTracker>(format);
      deprecate_eof_ = format.deprecate_eof;
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

}  // namespace sealgate::proxy
