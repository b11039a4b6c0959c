// SessionState: what the seal needs to know about one client session, kept
// from the statements the client sends and the server's answers to them.
//
// "At a boundary" means: no command in flight, not inside a transaction, and
// holding no session-scoped locks (LOCK TABLES, FLUSH TABLES WITH READ LOCK,
// open HANDLERs, GET_LOCK). A session at a boundary can have its next
// statement held without blocking anything the seal waits for.
#pragma once

#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <utility>
#include <string_view>
#include <vector>

namespace sealgate::proxy {

class SessionState {
 public:
  // Effects of a statement (bits of the tag OnQuerySent returns).
  static constexpr uint32_t kChangesDatabase = 1u << 6;

  // Cheap pre-check: false for the plain DML (SELECT/INSERT/UPDATE/DELETE/
  // REPLACE ...) that makes up nearly all traffic, true if the statement may
  // be a DEPLOY statement, DDL or a session-state change worth classifying.
  static bool MayBeInteresting(std::string_view sql);

  // A COM_QUERY text is about to be forwarded (`database`: the session's
  // current one); returns a tag describing its effects, to be passed to
  // OnQueryDone when its response completes.
  uint32_t OnQuerySent(std::string_view sql, const std::string& database = "");
  // The response to a query completed (ok: not an ERR) with these status flags.
  void OnQueryDone(uint32_t effects, bool ok);
  // COM_CHANGE_USER / COM_RESET_CONNECTION succeeded: the server forgot everything.
  void OnSessionReset();

  bool holds_table_locks() const { return table_locks_; }
  bool holds_handlers() const { return handlers_ > 0; }
  bool holds_user_locks() const { return user_locks_; }
  bool holds_session_locks() const { return table_locks_ || handlers_ > 0 || user_locks_; }
  // The database named by the last USE seen (valid when kChangesDatabase completed OK).
  const std::string& last_use_database() const { return last_use_database_; }
  // The session may have a TEMPORARY table of this name (CREATE TEMPORARY
  // TABLE succeeded, no DROP TABLE of it sent since): only the server knows it, and a
  // statement naming it means it rather than a base table of the same name.
  bool MayHaveTemporaryTable(const std::string& database, const std::string& table) const;

 private:
  bool table_locks_ = false;  // LOCK TABLES or FLUSH TABLES ... WITH READ LOCK
  int handlers_ = 0;          // HANDLER ... OPEN without CLOSE
  bool user_locks_ = false;   // GET_LOCK taken and not known to be released
  std::string last_use_database_;
  std::set<std::pair<std::string, std::string>> temporary_tables_;  // (database, table)
  // Per query in flight that creates temporary tables: their names, recorded once it succeeds.
  std::deque<std::vector<std::pair<std::string, std::string>>> created_;
};

}  // namespace sealgate::proxy
