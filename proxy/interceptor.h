// StatementInterceptor: how the proxy front hands statements it answers itself
// (the DEPLOY surface, staged DDL) to the deploy layer, and gets the answer back.
//
// The session calls Wants() on its loop thread for every COM_QUERY while it is
// idle (no response in flight); it must be cheap and must not block. If it
// returns true, Handle() is called (also on the loop thread, also
// non-blocking); the interceptor does its work elsewhere and calls `reply`
// exactly once with the answer, from any thread, after any number of
// progress reports. Until then the session forwards nothing else
// for that client, and keeps the client's upstream connection alive.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/messages.h"
#include "sql/statement.h"

namespace sealgate::proxy {

// What the interceptor may know about the session asking.
struct SessionView {
  uint64_t session_id = 0;
  std::string user;      // as sent in the handshake / COM_CHANGE_USER
  std::string host;      // the client's host as the server sees it (sealgate's side of the upstream connection)
  // Host of the account the server authenticated the session as (CURRENT_USER()), once the session asked.
  std::optional<std::string> account_host;
  std::string database;  // current default database, "" if none
  bool in_transaction = false;
  bool holds_table_locks = false;
  // The session's settings that give DDL its meaning (one value per column of
  // migration::SessionSettings::SelectList()), read just before a DDL statement.
  std::optional<std::vector<std::optional<std::string>>> ddl_settings;
  bool session_track = false;  // OK packets carry length-encoded info
  protocol::ResultSetEncoding result_sets;  // how result sets sent to this client are encoded
};

struct LocalRequest {
  SessionView session;
  std::string sql;
  sql::Statement statement;
  // Non-zero: the client takes MariaDB progress reports and wants one this
  // often while it waits (its progress_report_time).
  std::chrono::milliseconds progress_every{0};
};

// The complete answer as protocol frames, sequence ids starting at 1; or,
// with `progress`, one progress report's payload (protocol::BuildProgressReport)
// that the session frames and sends ahead of the answer.
// With `forward`, no answer: the session sends the client's command to the
// server as it would without sealgate (before any progress report).
struct LocalReply {
  std::string packets;
  bool progress = false;
  bool forward = false;
};

class StatementInterceptor {
 public:
  virtual ~StatementInterceptor() = default;
  virtual bool Wants(const sql::Statement& statement, const SessionView& session) = 0;
  // Whether the text of a COM_QUERY or COM_STMT_PREPARE is refused whatever
  // its kind (it would write to sealgate's own metadata schema); Handle() then
  // answers the refusal. Called for every such command, on the loop thread:
  // a pass over the text, a parse only when it names the schema or
  // `database` (the session's current one) is it.
  virtual bool Refuses(std::string_view sql, const std::string& database) {
    (void)sql;
    (void)database;
    return false;
  }
  // True if every statement of this session goes to Wants() (a deploy block
  // is open there), not only those that look like DDL or DEPLOY statements.
  virtual bool ClaimsSession(uint64_t session_id) = 0;
  virtual void Handle(LocalRequest request, std::function<void(LocalReply)> reply) = 0;
  // The session ended (client gone or shutdown). Loop thread; must not block.
  virtual void OnSessionClosed(uint64_t session_id) = 0;
  // The server accepted a client's KILL QUERY of `server_connection_id`.
  // Loop thread; must not block.
  virtual void OnKillQuery(uint64_t server_connection_id) { (void)server_connection_id; }
};

}  // namespace sealgate::proxy
