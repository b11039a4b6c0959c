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

Session::Gate Session::DecideGate(std::string_view payload, sql::Statement* statement, std::string_view* local_sql) {
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
      // A statement sealgate answers cannot share a packet with others,
      // nor can DDL held by a prepared statement.
      for (auto piece : pieces) {
        sql::Statement st = sql::Classify(piece);
        if (interceptor->Wants(st, View()) || HoldsDdl(st)) {
          statement->kind = sql::StatementKind::kOther;
          statement->syntax_error = kMultiStatementRefusal;
          return tracker_->idle() ? Gate::kIntercept : Gate::kWait;
        }
      }
      return Gate::kForward;
    }
    *statement = sql::Classify(text);
    // DDL held by EXECUTE IMMEDIATE 'text' or by a statement the session
    // prepared (PREPARE s FROM 'text'; EXECUTE s) runs as that DDL.
    // Which statement a name means is known once the PREPAREs in flight are answered.
    if (statement->kind == sql::StatementKind::kExecute && prepared_ddl_.sql_pending()) return Gate::kWait;
    const std::string* held = nullptr;
    if (statement->kind == sql::StatementKind::kExecuteImmediate && !statement->passthrough_hint &&
        !statement->inner_sql.empty()) {
      held = &statement->inner_sql;
    } else if (statement->kind == sql::StatementKind::kExecute) {
      held = prepared_ddl_.FindSql(statement->prepared_name);
    }
    if (held && RunsHeldDdl(*held, statement, local_sql)) return tracker_->idle() ? Gate::kIntercept : Gate::kWait;
    if (ChangesTemporaryTable(*statement)) return Gate::kForward;
    if (interceptor->Wants(*statement, View())) {
      // Earlier pipelined responses go to the client before the local answer.
      return tracker_->idle() ? Gate::kIntercept : Gate::kWait;
    }
  }
  if (cmd == Command::kStmtExecute && payload.size() >= 5) {
    if (prepared_ddl_.binary_pending()) return Gate::kWait;  // the id may be one being prepared (or -1: the last)
    auto id = static_cast<uint32_t>(protocol::LoadLE(reinterpret_cast<const unsigned char*>(payload.data()) + 1, 4));
    const std::string* held = prepared_ddl_.FindBinary(id);
    if (held && RunsHeldDdl(*held, statement, local_sql)) return tracker_->idle() ? Gate::kIntercept : Gate::kWait;
  }
  return Gate::kForward;
}

bool Session::HoldsDdl(const sql::Statement& st) const {
  using K = sql::StatementKind;
  if ((st.kind == K::kPrepare || st.kind == K::kExecuteImmediate) && !st.inner_sql.empty()) {
    return ImpliesCommit(sql::Classify(st.inner_sql).kind);
  }
  return st.kind == K::kExecute && prepared_ddl_.FindSql(st.prepared_name) != nullptr;
}

bool Session::RunsHeldDdl(const std::string& ddl, sql::Statement* statement, std::string_view* local_sql) {
  sql::Statement inner = sql::Classify(ddl);
  if (!ImpliesCommit(inner.kind) || ChangesTemporaryTable(inner) || !worker_->interceptor()->Wants(inner, View())) {
    return false;
  }
  // A copy: `ddl` may live in the statement it replaces.
  held_sql_ = ddl;
  *statement = std::move(inner);
  *local_sql = held_sql_;
  return true;
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
      std::string_view local_sql = payload.substr(1);
      Gate gate = DecideGate(payload, &statement, &local_sql);
      if (gate == Gate::kWait) {
        paused_ = true;
        break;
      }
      if (gate == Gate::kIntercept) {
        if (pos > span) Send(Side::kUpstream, data + span, pos - span);
        // As in MySQL, DDL sent inside a transaction first commits it
        // (migration frameworks wrap their ALTERs in BEGIN).
        bool commit_first = tracker_->in_transaction() && ImpliesCommit(statement.kind);
        local_command_.assign(payload.data(), payload.size());  // sent on if sealgate does not answer
        BeginLocalRequest(local_sql, std::move(statement), commit_first);
        pos += wire;
        span = pos;
        break;
      }
      OnCommandForwarded(payload, statement);
    }
    pos += wire;
  }
  if (pos > span) Send(Side::kUpstream, data + span, pos - span);
  if (paused_) StopReading(client_);
  return pos;
}

void Session::OnCommandForwarded(std::string_view payload, const sql::Statement& statement) {
  worker_->stats()->commands_forwarded.fetch_add(1, std::memory_order_relaxed);
  auto cmd = static_cast<Command>(static_cast<uint8_t>(payload[0]));
  if (worker_->client_latency() && protocol::ResponseTracker::HasResponse(cmd)) {
    timing_ = tracker_->idle();
    if (timing_) timing_started_ns_ = uv_hrtime();
  }
  uint64_t tag = 0;
  if (cmd == Command::kQuery) {
    tag = state_.OnQuerySent(payload.substr(1), database_);
    worker_->NoteStatement(server_connection_id_, id_, payload.substr(1));
    if (auto target = KillQueryTarget(payload.substr(1))) {
      kill_target_ = *target;
      tag |= kTagKillQuery;
    }
  }
  if (cmd == Command::kQuery && statement.kind == sql::StatementKind::kPrepare) {
    std::optional<std::string> ddl;
    if (!statement.inner_sql.empty() && ImpliesCommit(sql::Classify(statement.inner_sql).kind)) {
      ddl = statement.inner_sql;
    }
    prepared_ddl_.OnSqlPrepareSent(statement.prepared_name, std::move(ddl));
    tag |= kTagSqlPrepare;
  }
  if (cmd == Command::kQuery && statement.kind == sql::StatementKind::kDeallocatePrepare) {
    prepared_ddl_.OnSqlDeallocateSent(statement.prepared_name);
    tag |= kTagSqlPrepare;
  }
  // A stored procedure or a multi-statement may PREPARE or DEALLOCATE names
  // unseen: what they meant is forgotten.
  if (cmd == Command::kQuery && prepared_ddl_.has_names() &&
      (statement.kind == sql::StatementKind::kOther || statement.kind == sql::StatementKind::kEmpty)) {
    std::string_view text = payload.substr(1);
    std::string head;
    for (char ch : text.substr(0, 256)) head.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
    if (head.find("CALL") != std::string::npos || head.find("PREPARE") != std::string::npos ||
        text.find(';') != std::string_view::npos) {
      prepared_ddl_.ForgetNames();
    }
  }
  if (cmd == Command::kStmtPrepare) {
    std::string_view text = payload.substr(1);
    std::optional<std::string> ddl;
    if (SessionState::MayBeInteresting(text) && ImpliesCommit(sql::Classify(text).kind)) ddl = std::string(text);
    prepared_ddl_.OnBinaryPrepareSent(std::move(ddl));
  }
  if (cmd == Command::kStmtClose && payload.size() >= 5) {
    prepared_ddl_.OnBinaryClose(
        static_cast<uint32_t>(protocol::LoadLE(reinterpret_cast<const unsigned char*>(payload.data()) + 1, 4)));
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

bool Session::ChangesTemporaryTable(const sql::Statement& st) const {
  using K = sql::StatementKind;
  if (st.kind == K::kDropTable && st.temporary) return true;
  if (st.kind != K::kAlterTable && st.kind != K::kCreateIndex && st.kind != K::kDropIndex && st.kind != K::kDropTable) {
    return false;
  }
  for (const auto& t : st.tables) {
    if (state_.MayHaveTemporaryTable(t.schema.empty() ? database_ : t.schema, t.name)) return true;
  }
  return false;
}

bool Session::ReportsProgress(sql::StatementKind kind) {
  using K = sql::StatementKind;
  return kind == K::kAlterTable || kind == K::kCreateIndex || kind == K::kDropIndex || kind == K::kCommitDeploy ||
         kind == K::kRevertDeploy;
}

bool Session::progress_negotiated() const {
  return (server_caps_ & client_caps_ & protocol::cap::kMariaDbProgress) != 0;
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
  account_query_.settings = RunsDdl(statement.kind);
  account_query_.progress = ReportsProgress(statement.kind) && progress_negotiated();
  bool ask_account = !account_asked_ || account_query_.settings || account_query_.progress;
  ddl_settings_.reset();
  progress_seconds_ = 0;
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
    SendInternal(Command::kQuery, account_query_.Sql(), kTagAccount);
  }
  if (commit_first) SendInternal(Command::kQuery, "COMMIT");
}

void Session::StartLocalRequest(std::string_view sql, sql::Statement statement) {
  local_request_active_ = true;
  paused_ = true;
  local_seq_ = 1;
  StartKeepalive();
  LocalRequest request{View(), std::string(sql), std::move(statement)};
  if (ReportsProgress(request.statement.kind) && progress_negotiated() && progress_seconds_ > 0) {
    request.progress_every = std::chrono::milliseconds(static_cast<int64_t>(progress_seconds_ * 1000));
  }
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
  if (reply.progress) {
    if (!local_request_active_) return;
    std::string frame;
    local_seq_ = protocol::AppendPacket(&frame, local_seq_, reply.packets);
    Send(Side::kClient, frame.data(), frame.size());
    return;
  }
  local_request_active_ = false;
  StopKeepalive();
  if (reply.forward) {
    // The server runs it as it would without sealgate; its answer goes to
    // the client, once a keepalive in flight is answered (its answer is not).
    local_request_active_ = true;
    if (internal_pending_ == 0) ForwardLocalCommand();
    else forward_waiting_ = true;
    return;
  }
  local_command_.clear();
  // After the progress reports sent meanwhile, the answer's sequence ids go on from theirs.
  SendShifted(Side::kClient, reply.packets.data(), reply.packets.size(), local_seq_ - 1);
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
        // Not known (an error, or no answer): the check considers every
        // matching account, the DDL runs with the server's defaults, and no
        // progress is reported.
        AccountQuery::Answer answer;
        if (done.ok) answer = account_query_.Read(account_response_);
        if (answer.account_host) account_host_ = std::move(answer.account_host);
        ddl_settings_ = std::move(answer.settings);
        progress_seconds_ = answer.progress_seconds.value_or(0);
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
    if (done.command == Command::kStmtPrepare) prepared_ddl_.OnBinaryPrepareDone(done.ok, done.statement_id);
    if (done.command == Command::kQuery && (done.tag & kTagSqlPrepare)) prepared_ddl_.OnSqlDone(done.ok);
    if (done.command == Command::kQuery) {
      uint32_t effects = static_cast<uint32_t>(done.tag);
      state_.OnQueryDone(effects, done.ok);
      if (done.ok && (effects & SessionState::kChangesDatabase)) database_ = state_.last_use_database();
    }
    if ((done.tag & kTagResetsSession) && done.ok) {
      state_.OnSessionReset();
      prepared_ddl_.Clear();
      if (done.command == Command::kChangeUser) {
        user_ = pending_user_;
        database_ = pending_database_;
        account_asked_ = false;  // another account now
        account_host_.reset();
      }
    }
    if (done.tag == kTagChangesDatabase && done.ok) database_ = pending_database_;
  }
  if (forward_waiting_ && internal_pending_ == 0) ForwardLocalCommand();
  if (paused_ && tracker_->idle()) Resume();
  if (close_when_idle_ && idle()) Close("shutdown");
}

void Session::ForwardLocalCommand() {
  forward_waiting_ = false;
  local_request_active_ = false;
  std::string frame;
  protocol::AppendPacket(&frame, 0, local_command_);
  Send(Side::kUpstream, frame.data(), frame.size());
  OnCommandForwarded(local_command_, sql::Statement{});
  local_command_.clear();
  Resume();
  if (close_when_idle_ && idle()) Close("shutdown");
}

}  // namespace sealgate::proxy
