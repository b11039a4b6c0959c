// The client's session settings that give a DDL statement its meaning on the
// server: sql_mode (NO_ZERO_DATE, strictness, ...), the default storage
// engine, the character set and collation the statement's text and literals
// are in, the time zone of TIMESTAMP defaults, and
// explicit_defaults_for_timestamp. sealgate runs a client's ALTER (on a
// shadow, or on the table itself) on its own connection: with these applied
// for the statement, the server accepts, refuses and means what it would have
// for the client directly. foreign_key_checks is read too (a session that
// turned it off adds foreign keys without checking the rows), never applied.
//
// The proxy reads them with SelectList() on the client's own connection
// just before the statement, and FromRow() turns the answer into settings.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "migration/sql_conn.h"

namespace sealgate::migration {

struct SessionSettings {
  // (variable, value) in SelectList() order, foreign_key_checks excluded.
  std::vector<std::pair<std::string, std::string>> values;
  bool foreign_key_checks = true;

  // "@@SESSION.sql_mode, @@SESSION.default_storage_engine, ...": the
  // expressions to SELECT, in the order FromRow() expects them.
  static std::string SelectList();
  static size_t ColumnCount();
  // nullopt when the row does not have one plain value per column (NULL, a
  // quote, a backslash or a control character make a value unusable).
  static std::optional<SessionSettings> FromRow(const std::vector<std::optional<std::string>>& row);
  // The settings a connection has now.
  static StatusOr<SessionSettings> Read(SqlConn& conn);

  // "SET SESSION sql_mode = '...', ...": empty when there are no values.
  std::string AssignmentSql() const;

  // A statement's text as UTF-8, for sealgate to keep and parse: non-ASCII
  // text in another character set is converted by the server (`conn`), and
  // these settings then say character_set_client=utf8mb4 (its literals still
  // take the connection's character set, as they would for the client).
  StatusOr<std::string> TextAsUtf8(SqlConn& conn, const std::string& text);
};

// utf8mb4, utf8mb3 or utf8: text in it is already UTF-8.
bool IsUtf8Charset(const std::string& charset);

// Runs `body` on `conn` with `settings` applied (if any), then gives the
// connection its own settings back.
Status WithSessionSettings(SqlConn& conn, const std::optional<SessionSettings>& settings,
                           const std::function<Status()>& body);

}  // namespace sealgate::migration
