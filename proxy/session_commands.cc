// The command phase of a Session: forwarding commands, following responses,
// the write hold of a seal, and statements answered by sealgate itself.
#include <cctype>
#include <cstdlib>
#include <cstring>

#include "protocol/constants.h"
#include "protocol/frame.h"
#include "protocol/messages.h"
#include "protocol/wire.h"
#include "proxy/proxy_errors.h"
#include "sql/errors.h"
#include "proxy/session.h"
#include "proxy/worker.h"
#include "migration/client_latency.h"
#include "migration/session_settings.h"

namespace sealgate::proxy {

using protocol::Command;

namespace {

constexpr const char* kMultiStatementRefusal =
    "DEPLOY statements and DDL that sealgate stages must be sent alone, not inside a multi-statement query; "
    "send them one at a time";
constexpr const char* kPreparedDdlRefusal =
    "DDL cannot be prepared through sealgate (it would bypass staging); send it as a plain statement";

}  // namespace

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
  if (paused_ || !client_in_.empty()) {
    client_in_.append(data, n);
    if (!paused_) ProcessBufferedCommands();
  } else {
    size_t used = ForwardCommands(data, n);
    if (phase_ != Phase::kClosing && used < n) client_in_.assign(data + used, n - used);
  }
  if (close_when_idle_ && idle()) Close("shutdown");
}

void Session::ProcessBufferedCommands() {
  size_t used = ForwardCommands(client_in_.data(), client_in_.size());
  if (phase_ != Phase::kClosing) client_in_.erase(0, used);
}

bool Session::AtBoundary() const {
  return tracker_->idle() && !tracker_->in_transaction() && !state_.holds_session_locks();
}

std::optional<uint64_t> Session::KillQueryTarget(std::string_view sql) {
  // KILL [HARD | SOFT] QUERY <connection id>
  size_t at = 0;
  auto word = [&]() -> std::string {
    while (at < sql.size() && (sql[at] == ' ' || sql[at] == '\t' || sql[at] == '\n' || sql[at] == '\r')) ++at;
    std::string w;
    while (at < sql.size() && sql[at] != ' ' && sql[at] != '\t' && sql[at] != '\n' && sql[at] != '\r' && sql[at] != ';') {
      w += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[at++])));
    }
    return w;
  };
  if (word() != "KILL") return std::nullopt;
  std::string w = word();
  if (w == "HARD" || w == "SOFT") w = word();
  if (w != "QUERY") return std::nullopt;
  w = word();
  if (w.empty() || w.size() > 19 || w.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::strtoull(w.c_str(), nullptr, 10);
}

Session::Gate Session::DecideGate(std::string_view payload, sql::Statement* statement) {
  auto cmd = static_cast<Command>(static_cast<uint8_t>(payload[0]));
  // sealgate's own commands (keepalive, implicit COMMIT) finish before the client's next one.
  if (internal_pending_ > 0) return Gate::kWait;
  if (worker_->holding()) {
    // While a seal holds, one command at a time: decide on a settled state.
    if (!tracker_->idle()) return Gate::kWait;
    // Only sessions at a boundary are held. One inside a transaction or
    // holding locks of its own (GET_LOCK, LOCK TABLES) goes on: it may be what
    // another session waits for, and it holds nothing the seal needs (that
    // was checked before the hold); if it touches a deploy table now, the
    // server queues it behind the RENAME.
    if (AtBoundary()) return Gate::kWait;  // held until the hold ends
  }
  StatementInterceptor* interceptor = worker_->interceptor();
  if (!interceptor) return Gate::kForward;
  std::string_view text = payload.substr(1);
  if ((cmd == Command::kQuery || cmd == Command::kStmtPrepare) && interceptor->Refuses(text, database_)) {
    statement->kind = sql::StatementKind::kOther;  // the interceptor answers with its refusal
    return tracker_->idle() ? Gate::kIntercept : Gate::kWait;
  }
  if (cmd == Command::kQuery &&
      (SessionState::MayBeInteresting(text) || text.find(';') != std::string_view::npos ||
       interceptor->ClaimsSession(id_))) {
    auto pieces = sql::SplitStatements(text);
    if (pieces.size() > 1) {
      // A statement sealgate answers cannot share a packet with others.
      for (auto piece : pieces) {
        sql::Statement st = sql::Classify(piece);
        if (interceptor->Wants(st, View())) {
          statement->kind = sql::StatementKind::kOther;
          statement->syntax_error = kMultiStatementRefusal;
          return tracker_->idle() ? Gate::kIntercept : Gate::kWait;
        }
      }
      return Gate::kForward;
    }
    *statement = sql::Classify(text);
    if (interceptor->Wants(*statement, View())) {
      // Earlier pipelined responses go to the client before the local answer.
      return tracker_->idle() ? Gate::kIntercept : Gate::kWait;
    }
  }
  if (cmd == Command::kStmtPrepare && SessionState::MayBeInteresting(text)) {
    sql::Statement st = sql::Classify(text);
    if (Session::ImpliesCommit(st.kind) && interceptor->Wants(st, View())) {
      statement->kind = sql::StatementKind::kOther;
      statement->syntax_error = kPreparedDdlRefusal;
      return tracker_->idle() ? Gate::kIntercept : Gate::kWait;
    }
  }
  return Gate::kForward;
}

size_t Session::ForwardCommands(const char* data, size_t n) {
  size_t pos = 0, span = 0;  // bytes [span, pos) are forwarded in one write
  while (phase_ == Phase::kCommand && !paused_) {
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
      sql::Statement statement;
      Gate gate = DecideGate(payload, &statement);
      if (gate == Gate::kWait) {
        paused_ = true;
        break;
      }
      if (gate == Gate::kIntercept) {
        if (pos > span) Send(Side::kUpstream, data + span, pos - span);
        // As in MySQL, DDL sent inside a transaction first commits it
        // (migration frameworks wrap their ALTERs in BEGIN).
        bool commit_first = tracker_->in_transaction() && ImpliesCommit(statement.kind);
        BeginLocalRequest(payload.substr(1), std::move(statement), commit_first);
        pos += wire;
        span = pos;
        break;
      }
      OnCommandForwarded(payload);
    }
    pos += wire;
  }
  if (pos > span) Send(Side::kUpstream, data + span, pos - span);
  if (paused_) StopReading(client_);
  return pos;
}

void Session::OnCommandForwarded(std::string_view payload) {
  worker_->stats()->commands_forwarded.fetch_add(1, std::memory_order_relaxed);
  auto cmd = static_cast<Command>(static_cast<uint8_t>(payload[0]));
  if (worker_->client_latency() && protocol::ResponseTracker::HasResponse(cmd)) {
    timing_ = tracker_->idle();
    if (timing_) timing_started_ns_ = uv_hrtime();
  }
  uint64_t tag = 0;
  if (cmd == Command::kQuery) {
    tag = state_.OnQuerySent(payload.substr(1));
    worker_->NoteStatement(server_connection_id_, id_, payload.substr(1));
    if (auto target = KillQueryTarget(payload.substr(1))) {
      kill_target_ = *target;
      tag |= kTagKillQuery;
    }
  }
  if (cmd == Command::kChangeUser || cmd == Command::kResetConnection) tag = kTagResetsSession;
  if (cmd == Command::kInitDb) {
    pending_database_ = std::string(payload.substr(1));
    tag = kTagChangesDatabase;
  }
  if (cmd == Command::kChangeUser) ParseChangeUser(payload);
  if (cmd == Command::kQuit) quit_sent_ = true;
  tracker_->Expect(cmd, tag, protocol::ResponseTracker::CursorOf(payload));
}

void Session::Resume() {
  if (!paused_ || phase_ != Phase::kCommand || local_request_active_) return;
  paused_ = false;
  ProcessBufferedCommands();
  if (!paused_ && phase_ == Phase::kCommand) StartReading(client_);
}

SessionView Session::View() const {
  SessionView v;
  v.session_id = id_;
  v.user = user_;
  v.host = upstream_host_;
  v.account_host = account_host_;
  v.database = database_;
  v.in_transaction = tracker_ && tracker_->in_transaction();
  v.holds_table_locks = state_.holds_table_locks();
  v.ddl_settings = ddl_settings_;
  uint64_t both = server_caps_ & client_caps_;
  v.session_track = (both & protocol::cap::kSessionTrack) != 0;
  v.result_sets.deprecate_eof = deprecate_eof_;
  v.result_sets.extended_metadata = (both & protocol::cap::kMariaDbExtendedTypeInfo) != 0;
  v.result_sets.cache_metadata = (both & protocol::cap::kMariaDbCacheMetadata) != 0;
  return v;
}

// ---- statements answered by sealgate ----------------------------------------

void Session::ParseChangeUser(std::string_view payload) {
  // COM_CHANGE_USER: 0x11, user NUL, auth (length byte + data), database NUL, ...
  size_t user_end = payload.find('\0', 1);
  if (user_end == std::string_view::npos) return;
  pending_user_ = std::string(payload.substr(1, user_end - 1));
  size_t at = user_end + 1;
  if (at >= payload.size()) return;
  at += 1 + static_cast<uint8_t>(payload[at]);
  if (at > payload.size()) return;
  size_t db_end = payload.find('\0', at);
  pending_database_ = std::string(payload.substr(at, db_end == std::string_view::npos ? std::string_view::npos
                                                                                     : db_end - at));
}

bool Session::RunsDdl(sql::StatementKind kind) {
  using K = sql::StatementKind;
  return kind == K::kAlterTable || kind == K::kCreateTable || kind == K::kCreateIndex || kind == K::kDropIndex;
}

bool Session::ImpliesCommit(sql::StatementKind kind) {
  using K = sql::StatementKind;
  return kind == K::kAlterTable || kind == K::kCreateTable || kind == K::kDropTable || kind == K::kCreateIndex ||
         kind == K::kDropIndex || kind == K::kRenameTable || kind == K::kTruncateTable;
}

void Session::SendInternal(Command cmd, std::string_view argument, uint64_t tag) {
  std::string payload(1, static_cast<char>(cmd));
  payload.append(argument);
  std::string frame;
  protocol::AppendPacket(&frame, 0, payload);
  tracker_->Expect(cmd, tag);
  ++internal_pending_;
  Send(Side::kUpstream, frame.data(), frame.size());
}

void Session::BeginLocalRequest(std::string_view sql, sql::Statement statement, bool commit_first) {
  // DDL runs on sealgate's connection with the session's own settings, read
  // now (with the account): they can have changed since the last statement.
  bool ask_settings = RunsDdl(statement.kind);
  bool ask_account = !account_asked_ || ask_settings;
  ddl_settings_.reset();
  if (!ask_account && !commit_first) return StartLocalRequest(sql, std::move(statement));
  local_request_active_ = true;
  paused_ = true;
  deferred_sql_ = std::string(sql);
  deferred_statement_ = std::move(statement);
  has_deferred_request_ = true;
  deferred_commit_failed_ = false;
  if (ask_account) {
    // Inside the client's transaction too: it reads no table.
    account_asked_ = true;
    account_response_.clear();
    capturing_account_ = true;
    SendInternal(Command::kQuery,
                 ask_settings ? "SELECT CURRENT_USER(), " + migration::SessionSettings::SelectList()
                              : std::string("SELECT CURRENT_USER()"),
                 kTagAccount);
  }
  if (commit_first) SendInternal(Command::kQuery, "COMMIT");
}

void Session::StartLocalRequest(std::string_view sql, sql::Statement statement) {
  local_request_active_ = true;
  paused_ = true;
  StartKeepalive();
  LocalRequest request{View(), std::string(sql), std::move(statement)};
  Worker* worker = worker_;
  uint64_t id = id_;
  worker_->interceptor()->Handle(std::move(request), [worker, id](LocalReply reply) {
    worker->Post([worker, id, reply = std::move(reply)]() mutable {
      if (Session* s = worker->FindSession(id)) s->OnLocalReply(std::move(reply));
    });
  });
}

void Session::OnLocalReply(LocalReply reply) {
  if (phase_ == Phase::kClosing) return;
  local_request_active_ = false;
  StopKeepalive();
  Send(Side::kClient, reply.packets.data(), reply.packets.size());
  Resume();
  if (close_when_idle_ && idle()) Close("shutdown");
}

// While the client waits on sealgate (a COMMIT DEPLOY can take hours), ping the
// upstream so the server's wait_timeout does not end the client's session.
void Session::StartKeepalive() {
  if (!keepalive_open_) {
    uv_timer_init(worker_->loop(), &keepalive_);
    keepalive_.data = this;
    keepalive_open_ = true;
    ++open_handles_;
  }
  uint64_t every = worker_->keepalive_ms();
  uv_timer_start(&keepalive_, &Session::OnKeepalive, every, every);
}

void Session::StopKeepalive() {
  if (keepalive_open_) uv_timer_stop(&keepalive_);
}

void Session::OnKeepalive(uv_timer_t* timer) {
  auto* self = static_cast<Session*>(timer->data);
  if (self->phase_ != Phase::kCommand || !self->local_request_active_ || !self->tracker_->idle()) return;
  self->SendInternal(Command::kPing, "");
}

// ---- responses ----------------------------------------------------------------

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
  // Internal commands run only while the client has nothing in flight, so
  // everything the server sends meanwhile answers them and is not forwarded.
  if (internal_pending_ == 0) Send(Side::kClient, data, n);
  if (capturing_account_ && account_response_.size() < 65536) account_response_.append(data, n);
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
  tracker_->TakeCompletions(&completions_);
  for (const auto& done : completions_) {
    if (done.tag == kTagInternal || done.tag == kTagAccount) {
      --internal_pending_;
      if (done.tag == kTagAccount) {
        capturing_account_ = false;
        // "user@host": the host is after the last '@'. Not known (an error,
        // or no answer): the check considers every matching account.
        auto row = done.ok ? protocol::FirstTextRow(account_response_) : std::nullopt;
        auto account = row && !row->empty() ? row->front() : std::nullopt;
        size_t at = account ? account->rfind('@') : std::string::npos;
        if (at != std::string::npos) account_host_ = account->substr(at + 1);
        if (row && row->size() > 1) ddl_settings_.emplace(row->begin() + 1, row->end());
        account_response_.clear();
      } else if (has_deferred_request_ && !done.ok) {
        deferred_commit_failed_ = true;
      }
      if (has_deferred_request_ && internal_pending_ == 0) {
        has_deferred_request_ = false;
        local_request_active_ = false;  // StartLocalRequest sets it again
        if (!deferred_commit_failed_) {
          StartLocalRequest(deferred_sql_, std::move(deferred_statement_));
        } else {
          // The DDL would have committed the transaction; it could not be, so nothing ran.
          SendError(error::kDeployWrongState, "HY000",
                    "the transaction open before this statement could not be committed (the server refused "
                    "COMMIT), so the statement was not run; check the transaction and retry",
                    1);
          Resume();
        }
      }
      continue;
    }
    if (timing_ && tracker_->idle()) {
      timing_ = false;
      worker_->client_latency()->Record(std::chrono::nanoseconds(uv_hrtime() - timing_started_ns_));
    }
    if ((done.tag & kTagKillQuery) && done.ok && worker_->interceptor()) {
      // The server accepted KILL QUERY of a connection: if that is a proxy
      // session waiting on sealgate (COMMIT DEPLOY, an online ALTER), its wait ends too.
      worker_->interceptor()->OnKillQuery(kill_target_);
    }
    if (done.command == Command::kQuery) {
      uint32_t effects = static_cast<uint32_t>(done.tag);
      state_.OnQueryDone(effects, done.ok);
      if (done.ok && (effects & SessionState::kChangesDatabase)) database_ = state_.last_use_database();
    }
    if ((done.tag & kTagResetsSession) && done.ok) {
      state_.OnSessionReset();
      if (done.command == Command::kChangeUser) {
        user_ = pending_user_;
        database_ = pending_database_;
        account_asked_ = false;  // another account now
        account_host_.reset();
      }
    }
    if (done.tag == kTagChangesDatabase && done.ok) database_ = pending_database_;
  }
  if (paused_ && tracker_->idle()) Resume();
  if (close_when_idle_ && idle()) Close("shutdown");
}

}  // namespace sealgate::proxy
