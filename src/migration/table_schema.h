// TableSchema: what the migration needs to know about a table's columns and
// its chunking key, read from information_schema; and the SQL literals that
// reproduce binlog values in a column's own character set.
//
// Pure data plus loaders; loaders take the connection they use.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "binlog/value.h"
#include "migration/sql_conn.h"
#include "sql/statement.h"

namespace sealgate::migration {

struct ColumnMeta {
  std::string name;
  std::string data_type;    // lower-case: int, varchar, enum, datetime, ...
  std::string column_type;  // full: "int(10) unsigned", "enum('a','b')"
  std::string charset;      // empty for non-string columns
  std::string collation;
  bool nullable = true;
  bool generated = false;   // VIRTUAL or STORED generated column
  std::vector<std::string> enum_labels;  // ENUM/SET
  bool is_string() const;   // char/varchar/text/blob/binary/varbinary family
};

struct TableSchema {
  sql::TableName table;
  std::vector<ColumnMeta> columns;  // in ordinal order (matches binlog row images)
  // Unique keys, each a list of column names: PRIMARY first, then non-null
  // unique keys, in index-name order.
  struct Key {
    std::string name;
    std::vector<std::string> columns;
  };
  std::vector<Key> unique_keys;
  int column_index(const std::string& name) const;  // -1 if absent (case-insensitive)
};

// Loads columns and non-null unique keys. NotFound if the table does not exist.
StatusOr<TableSchema> LoadTableSchema(SqlConn& conn, const sql::TableName& table);

// A literal for `v` (decoded from the binlog for `column`) that stores the
// same value the original row holds: strings with the column's charset
// introducer (the server converts as the copy does), ENUM/SET by label.
std::string ColumnLiteral(const ColumnMeta& column, const binlog::Value& v);

// A literal usable in comparisons against other literals of the same column
// (strings carry COLLATE of the column, temporals are CAST), so key order is
// the index's order. `text` is what KeySelectExpr(column) returned for the
// value in a text result set (HEX for strings and BIT); nullopt is NULL.
// An ENUM key column walks in its index's order, by member number: its key
// literal is the number.
std::string KeyLiteralFromText(const ColumnMeta& column, const std::optional<std::string>& text);
std::string KeySelectExpr(const ColumnMeta& column);
std::string KeyLiteralFromValue(const ColumnMeta& column, const binlog::Value& v);

// For an ENUM key column `lhs` (a column reference) and a member number
// `number` (its key literal): `lhs` after that member, and `lhs` that
// member, written with the members' labels (IN / =), which the optimizer
// turns into index ranges; a comparison with the number is not.
std::string EnumKeyAfter(const ColumnMeta& column, const std::string& lhs, const std::string& number);
std::string EnumKeyAt(const ColumnMeta& column, const std::string& lhs, const std::string& number);

}  // namespace sealgate::migration
