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
  // The DDL text of statement `id`, or null.
  const std::string* FindBinary(uint32_t id) const;
  void OnBinaryClose(uint32_t id) { by_id_.erase(id); }

  // A single `PREPARE name FROM ...` was forwarded; `ddl` as above. Whether it
  // succeeds or not, the server forgets what `name` was before.
  void OnSqlPrepareSent(const std::string& name, std::optional<std::string> ddl);
  void OnSqlPrepareDone(bool ok);
  // `DEALLOCATE PREPARE name` succeeded.
  void OnSqlDeallocate(const std::string& name);
  const std::string* FindSql(const std::string& name) const;

  // COM_RESET_CONNECTION / COM_CHANGE_USER: the server forgot them all.
  void Clear();

 private:
  static std::string Key(const std::string& name);  // names compare case-insensitively
  std::deque<std::optional<std::string>> binary_pending_;
  std::deque<std::pair<std::string, std::optional<std::string>>> sql_pending_;
  std::unordered_map<uint32_t, std::string> by_id_;
  std::unordered_map<std::string, std::string> by_name_;
};

}  // namespace sealgate::proxy
