// Session: one client connection and its own upstream connection (1:1), on
// one worker loop. It relays the handshake (authentication is the server's
// business: sealgate only removes capability bits it cannot follow), then
// forwards every command and follows every response, keeping the state the
// seal needs (transaction, locks, idle at a boundary).
//
// Lifetime: created by the Worker on accept, deletes itself once both of its
// handles are closed. All methods run on the worker's loop thread.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/response_tracker.h"
#include "proxy/account_query.h"
#include "proxy/interceptor.h"
#include "proxy/prepared_ddl.h"
#include "proxy/session_state.h"
#include "proxy/tls_channel.h"

namespace sealgate::proxy {

class Worker;

class Session {
 public:
  Session(Worker* worker, uint64_t id);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Accepts the pending connection from `listener` and connects upstream.
  // On failure the session closes (and deletes) itself.
  void Start(uv_stream_t* listener);

  // Ends the session now (both connections closed, in-flight work dropped).
  void Close(const char* reason);
  // Closes the session once it is idle at a statement boundary (shutdown).
  void CloseWhenIdle();

  uint64_t id() const { return id_; }
  bool idle() const;
  // Re-evaluates paused forwarding (after a hold ends, a response completes, ...).
  void Resume();
  bool in_transaction() const { return tracker_ && tracker_->in_transaction(); }
  const SessionState& state() const { return state_; }

  // Intrusive list of the worker's sessions.
  Session* prev = nullptr;
  Session* next = nullptr;

 private:
  enum class Phase : uint8_t {
    kConnecting, kGreeting, kHandshakeResponse, kUpstreamTls, kAuth, kCommand, kClosing
  };
  enum class Side : uint8_t { kClient, kUpstream };
  struct Conn {
    union {
      uv_handle_t handle;
      uv_stream_t stream;
      uv_tcp_t tcp;
      uv_pipe_t pipe;  // upstream over a Unix socket
    } h;
    Session* session;
    Side side;
    bool reading = false;
    bool open = false;
  };

  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnConnect(uv_connect_t* req, int status);
  static void OnWrite(uv_write_t* req, int status);
  static void OnClosed(uv_handle_t* handle);
  static void OnTimerClosed(uv_handle_t* handle);

  enum class Gate : uint8_t { kForward, kWait, kIntercept };
  // Tags passed through the response tracker: the low 32 bits are the
  // SessionState effects of a COM_QUERY.
  static constexpr uint64_t kTagResetsSession = 1ull << 40;
  static constexpr uint64_t kTagInternal = 1ull << 41;  // sealgate's own command (keepalive)
  static constexpr uint64_t kTagChangesDatabase = 1ull << 42;  // COM_INIT_DB
  static constexpr uint64_t kTagAccount = 1ull << 43;  // sealgate's own SELECT CURRENT_USER()
  static constexpr uint64_t kTagKillQuery = 1ull << 44;  // the client's KILL QUERY of kill_target_
  static constexpr uint64_t kTagSqlPrepare = 1ull << 45;  // PREPARE name FROM ... (PreparedDdl)

  void OnClientData(const char* data, size_t n);
  void ProcessBufferedCommands();
  bool AtBoundary() const;
  // The connection id of a `KILL [HARD|SOFT] QUERY n` statement, else nullopt.
  static std::optional<uint64_t> KillQueryTarget(std::string_view sql);
  // kIntercept: `*statement` is what sealgate answers and `*local_sql` its
  // text (the command's own, unless it executes DDL the session prepared).
  Gate DecideGate(std::string_view payload, sql::Statement* statement, std::string_view* local_sql);
  // Whether sealgate runs `ddl`, held by a prepared statement or EXECUTE
  // IMMEDIATE, itself; if so `*statement` and `*local_sql` become it.
  bool RunsHeldDdl(const std::string& ddl, sql::Statement* statement, std::string_view* local_sql);
  // PREPARE or EXECUTE IMMEDIATE of DDL text, or EXECUTE of a name that holds DDL.
  bool HoldsDdl(const sql::Statement& st) const;
  // Sends the command sealgate did not answer (ControlReply::kForward) to the server.
  void ForwardLocalCommand();
  // `statement`: what DecideGate classified (a COM_QUERY's; else empty).
  void OnCommandForwarded(std::string_view payload, const sql::Statement& statement);
  SessionView View() const;
  void StartLocalRequest(std::string_view sql, sql::Statement statement);
  static bool ImpliesCommit(sql::StatementKind kind);
  // Statements whose DDL sealgate runs itself (with the session's settings).
  static bool RunsDdl(sql::StatementKind kind);
  // Statements whose answer can take long (a seal, a copy): the client that
  // negotiated MariaDB progress reports gets sealgate's while it waits.
  static bool ReportsProgress(sql::StatementKind kind);
  // An ALTER or index statement of a TEMPORARY table the session created:
  // the server's alone (sealgate's connections cannot see it, and a base
  // table of the same name is another table).
  bool ChangesTemporaryTable(const sql::Statement& st) const;
  bool progress_negotiated() const;
  void ParseChangeUser(std::string_view payload);
  // A statement sealgate answers. First, once per login, asks the server
  // which account it authenticated the session as (privilege checks judge
  // that account); with `commit_first`, commits the client's transaction
  // (DDL does, in MySQL); then StartLocalRequest.
  void BeginLocalRequest(std::string_view sql, sql::Statement statement, bool commit_first);
  // Sends sealgate's own command upstream; its response is not forwarded.
  void SendInternal(protocol::Command cmd, std::string_view argument, uint64_t tag = kTagInternal);
  void OnLocalReply(LocalReply reply);
  void StartKeepalive();
  void StopKeepalive();
  static void OnKeepalive(uv_timer_t* timer);
  void OnUpstreamData(const char* data, size_t n);
  void HandleGreeting();
  void HandleHandshakeResponse();
  void HandleAuthFromServer();
  void RelayAuthFromClient();
  // Forwards complete client packets from `data`; returns bytes consumed.
  size_t ForwardCommands(const char* data, size_t n);
  void AfterUpstreamResponse();

  // Writes to one side (through TLS where that side uses it); data is copied
  // if it cannot be written at once.
  void Send(Side side, const char* data, size_t n);
  // Writes bytes to the socket as they are.
  void SendRaw(Side side, const char* data, size_t n);
  // Sends whole frames with their sequence ids shifted by `shift`.
  void SendShifted(Side side, const char* data, size_t n, int shift);
  void FlushTls(Side side);
  void OnUpstreamTlsReady();
  void SendError(uint16_t code, const char* sqlstate, const std::string& message, uint8_t seq);
  void StartReading(Conn& conn);
  void StopReading(Conn& conn);
  Conn& conn(Side side) { return side == Side::kClient ? client_ : upstream_; }
  void ApplyBackpressure();

  Worker* worker_;
  uint64_t id_;
  Phase phase_ = Phase::kConnecting;
  Conn client_;
  Conn upstream_;
  uv_connect_t connect_req_;
  int open_handles_ = 0;
  std::string client_in_;    // client bytes not yet forwarded (incomplete packet)
  std::string upstream_in_;  // server bytes during the connection phase
  uint64_t server_caps_ = 0;
  uint32_t server_connection_id_ = 0;
  uint64_t kill_target_ = 0;  // of the KILL QUERY in flight  // the upstream connection's id (from the greeting)
  uint64_t client_caps_ = 0;
  std::unique_ptr<protocol::ResponseTracker> tracker_;
  std::vector<protocol::ResponseTracker::Completion> completions_;  // reused per response
  std::unique_ptr<TlsChannel> client_tls_;    // TLS terminated for the client
  std::unique_ptr<TlsChannel> upstream_tls_;  // TLS spoken to the upstream
  int client_seq_shift_ = 0;    // 1 once the client sent an SSLRequest
  int upstream_seq_shift_ = 0;  // 1 once we sent the upstream an SSLRequest
  std::string pending_response_;  // handshake response waiting for the upstream TLS handshake
  SessionState state_;
  bool close_when_idle_ = false;
  bool quit_sent_ = false;
  // The client's command in flight alone (not pipelined) is timed for the
  // worker's client latency sink: uv_hrtime() when it was forwarded.
  bool timing_ = false;
  uint64_t timing_started_ns_ = 0;
  bool paused_ = false;                // client commands wait in client_in_; not reading from the client
  bool local_request_active_ = false;  // sealgate is answering the client's statement itself
  bool deprecate_eof_ = false;
  int internal_pending_ = 0;           // sealgate's own commands in flight on the upstream
  uv_timer_t keepalive_;
  bool keepalive_open_ = false;
  std::string user_;
  std::string upstream_host_;  // our address on the upstream connection, as the server sees it
  std::string database_;
  std::string pending_user_;      // from COM_CHANGE_USER, applied on its OK
  std::string pending_database_;  // from COM_INIT_DB / COM_CHANGE_USER, applied on OK
  bool has_deferred_request_ = false;  // a local request waits for sealgate's own commands (account, COMMIT)
  bool deferred_commit_failed_ = false;
  std::string deferred_sql_;
  sql::Statement deferred_statement_;
  bool account_asked_ = false;              // since the login (or COM_CHANGE_USER)
  bool capturing_account_ = false;          // the account query's response is being read
  std::string account_response_;
  // The session's DDL settings (migration::SessionSettings::SelectList()),
  // read with the account just before each DDL statement sealgate runs.
  std::optional<std::vector<std::optional<std::string>>> ddl_settings_;
  std::optional<std::string> account_host_;  // Host of CURRENT_USER(), when the server said
  AccountQuery account_query_;  // what the account query in flight asks
  double progress_seconds_ = 0;  // the client's progress_report_time, read with the account (0: none)
  uint8_t local_seq_ = 1;        // next sequence id of a local answer (after its progress reports)
  PreparedDdl prepared_ddl_;
  std::string held_sql_;  // the DDL text a prepared statement held, while it is answered
  std::string local_command_;  // the client's command sealgate is answering (payload)
  bool forward_waiting_ = false;  // local_command_ goes to the server once sealgate's own commands are answered
};

}  // namespace sealgate::proxy
