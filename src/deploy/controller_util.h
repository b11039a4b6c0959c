// Small helpers the deploy controller's source files share.
#pragma once

#include <string>

#include "common/utf8.h"
#include "migration/sql_conn.h"
#include "migration/table_schema.h"
#include "sql/statement.h"

namespace sealgate::deploy {

inline std::string Qualified(const sql::TableName& t) { return migration::QuoteTable(t.schema, t.name); }

inline sql::TableName Resolve(const sql::TableName& t, const std::string& database) {
  return {t.schema.empty() ? database : t.schema, t.name};
}

// The server's own answer for a table that is not there (a DROP staged in
// the same block makes it so): 1146 / 42S02.
inline Status NoSuchTable(const sql::TableName& t) {
  return Status::NotFound("Table '" + t.schema + "." + t.name + "' doesn't exist").WithMysqlError(1146, "42S02");
}

// An error reads as absent.
inline bool TableIsThere(migration::SqlConn& admin, const std::string& schema, const std::string& table) {
  auto there = migration::TableExists(admin, schema, table);
  return there.ok() && *there;
}

}  // namespace sealgate::deploy
