// SqlConn: one blocking MariaDB Connector/C connection used by the migration
// engine (admin account). Errors come back as Status carrying the server's
// error number in the message, and in server_errno() / server_sqlstate().
//
// Not thread-safe: one owner thread at a time. Move-only; closes on
// destruction.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "binlog/binlog_stream.h"
#include "common/status.h"

namespace sealgate::migration {

using SqlRow = std::vector<std::optional<std::string>>;

class SqlConn {
 public:
  SqlConn() = default;
  ~SqlConn();
  SqlConn(SqlConn&& other) noexcept;
  SqlConn& operator=(SqlConn&& other) noexcept;
  SqlConn(const SqlConn&) = delete;
  SqlConn& operator=(const SqlConn&) = delete;

  // Connects with utf8mb4, time_zone '+00:00' and autocommit on. With a
  // `read_timeout`, a server that stops answering fails a call (Unavailable)
  // after about that long instead of blocking forever.
  static StatusOr<SqlConn> Open(const binlog::ServerEndpoint& server,
                                std::chrono::seconds read_timeout = std::chrono::seconds(0));

  // Runs a statement, discarding any result. Unavailable on connection loss,
  // Aborted for other server errors (server_errno() says which).
  Status Exec(const std::string& sql);
  // Runs statements in order, several per round trip (multi-statements, at
  // most ~4 MB per packet), stopping at the first error; `failed` (if not
  // null) receives the index of the statement that failed.
  Status ExecBatch(const std::vector<std::string>& statements, size_t* failed = nullptr);
  // All rows of the first result set (NULL -> nullopt); its column names in
  // `column_names` when given.
  StatusOr<std::vector<SqlRow>> Query(const std::string& sql, std::vector<std::string>* column_names = nullptr);
  // First column of the first row; nullopt if no row or NULL.
  StatusOr<std::optional<std::string>> Scalar(const std::string& sql);
  // Rows affected by the last Exec (or the last statement of an ExecBatch).
  uint64_t affected_rows() const { return affected_; }
  // The last failed statement's error as the server gave it (0 / "00000"
  // after a success), so a client's own statement can be answered with it.
  unsigned server_errno() const { return errno_; }
  const std::string& server_sqlstate() const { return sqlstate_; }
  std::string server_error() const { return error_; }
  // Escapes for use inside '...'.
  std::string Escape(const std::string& s) const;
  // 'text' with escaping.
  std::string Quote(const std::string& s) const { return "'" + Escape(s) + "'"; }
  bool connected() const { return mysql_ != nullptr; }
  // The server's id of this connection (what KILL and the processlist use); 0 if not connected.
  uint64_t connection_id() const;

 private:
  Status Fail(const std::string& sql);
  MYSQL* mysql_ = nullptr;
  uint64_t affected_ = 0;
  unsigned errno_ = 0;
  std::string sqlstate_ = "00000";
  std::string error_;
};

// Whether `schema`.`table` exists (information_schema); an error if the
// server could not be asked.
StatusOr<bool> TableExists(SqlConn& conn, const std::string& schema, const std::string& table);

// `name` quoted with backticks (doubling embedded backticks).
std::string QuoteIdent(const std::string& name);
// `schema`.`table`
std::string QuoteTable(const std::string& schema, const std::string& table);
// Uppercase hex of bytes.
std::string HexBytes(const std::string& bytes);
// The bytes HexBytes wrote (an odd last digit is ignored).
std::string BytesFromHex(const std::string& hex);

}  // namespace sealgate::migration
