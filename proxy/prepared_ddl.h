// PreparedDdl: the session's prepared statements whose text is DDL sealgate
// runs itself (an ALTER TABLE staged online, a CREATE INDEX, ...), so that
// executing one is answered as the same statement sent as text would be.
//
// The server prepares such a statement as usual (it checks the syntax and
// hands out the statement id or keeps the name); only its execution is
// taken over: COM_STMT_EXECUTE of that id, or EXECUTE of that name (SQL
// PREPARE ... FROM 'text'). Responses arrive in the order commands were sent,
// so prepares in flight are a FIFO.
//
// A statement that executes one being prepared waits for the prepare's
// answer (the session does not decide before it knows). Names a stored
// procedure may change (a CALL, or a multi-statement with PREPARE) are
// forgotten: such an EXECUTE then goes to the server, never runs a DDL text
// that may no longer be the name's.
//
// Not thread-safe; one per session, on its loop thread.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>

namespace sealgate::proxy {

class PreparedDdl {
 public:
  // A COM_STMT_PREPARE was forwarded; `ddl` is its text when it is DDL
  // sealgate runs (nullopt: another statement, tracked only for its id).
  void OnBinaryPrepareSent(std::optional<std::string> ddl);
  // Its response: the statement id the server gave, if it succeeded.
  void OnBinaryPrepareDone(bool ok, uint32_t statement_id);
  // The DDL text of statement `id` (0xffffffff: the last one prepared), or null.
  const std::string* FindBinary(uint32_t id) const;
  bool binary_pending() const { return !binary_pending_.empty(); }
  void OnBinaryClose(uint32_t id) { by_id_.erase(id); }

  // A single `PREPARE name FROM ...` was forwarded; `ddl` as above. Whether it
  // succeeds or not, the server forgets what `name` was before.
  void OnSqlPrepareSent(const std::string& name, std::optional<std::string> ddl);
  // A single `DEALLOCATE PREPARE name` was forwarded.
  void OnSqlDeallocateSent(const std::string& name);
  // The answer to the oldest PREPARE or DEALLOCATE in flight.
  void OnSqlDone(bool ok);
  const std::string* FindSql(const std::string& name) const;
  bool sql_pending() const { return !sql_pending_.empty(); }
  bool has_names() const { return !by_name_.empty(); }
  // A CALL, or PREPARE/DEALLOCATE inside a multi-statement, was forwarded.
  void ForgetNames() { by_name_.clear(); }

  // COM_RESET_CONNECTION / COM_CHANGE_USER: the server forgot them all.
  void Clear();

 private:
  static std::string Key(const std::string& name);  // names compare case-insensitively
  struct SqlPending {
    std::string key;
    std::optional<std::string> ddl;
    bool deallocate = false;
  };
  std::deque<std::optional<std::string>> binary_pending_;
  std::optional<uint32_t> last_binary_id_;
  std::deque<SqlPending> sql_pending_;
  std::unordered_map<uint32_t, std::string> by_id_;
  std::unordered_map<std::string, std::string> by_name_;
};

}  // namespace sealgate::proxy
