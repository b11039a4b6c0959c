#include "migration/table_schema.h"

#include <algorithm>

#include <strings.h>

#include <map>

#include "binlog/column_catalog.h"

namespace sealgate::migration {

bool ColumnMeta::is_string() const {
  static const char* kinds[] = {"char", "varchar", "tinytext", "text", "mediumtext", "longtext", "binary",
                                "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "json"};
  for (const char* k : kinds) {
    if (data_type == k) return true;
  }
  return false;
}

int TableSchema::column_index(const std::string& name) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (strcasecmp(columns[i].name.c_str(), name.c_str()) == 0) return int(i);
  }
  return -1;
}

StatusOr<TableSchema> LoadTableSchema(SqlConn& conn, const sql::TableName& table) {
  TableSchema schema;
  schema.table = table;
  std::string where = "TABLE_SCHEMA = " + conn.Quote(table.schema) + " AND TABLE_NAME = " + conn.Quote(table.name);
  auto cols = conn.Query(
      "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IFNULL(CHARACTER_SET_NAME, ''), IFNULL(COLLATION_NAME, ''), "
      "IS_NULLABLE, IF(IS_GENERATED = 'ALWAYS' OR EXTRA LIKE '%VIRTUAL%' OR EXTRA LIKE '%STORED%', 1, 0) "
      "FROM information_schema.COLUMNS WHERE " + where + " ORDER BY ORDINAL_POSITION");
  if (!cols.ok()) return cols.status();
  for (const SqlRow& r : *cols) {
    ColumnMeta c;
    c.name = r[0].value_or("");
    c.data_type = r[1].value_or("");
    c.column_type = r[2].value_or("");
    c.charset = r[3].value_or("");
    c.collation = r[4].value_or("");
    c.nullable = r[5].value_or("") == "YES";
    c.generated = r[6].value_or("0") == "1";
    if (c.data_type == "enum" || c.data_type == "set") c.enum_labels = binlog::ParseEnumLabels(c.column_type);
    schema.columns.push_back(std::move(c));
  }
  if (schema.columns.empty()) {
    return Status::NotFound("table " + QuoteTable(table.schema, table.name) + " does not exist");
  }
  auto keys = conn.Query(
      "SELECT INDEX_NAME, COLUMN_NAME, NULLABLE FROM information_schema.STATISTICS WHERE " + where +
      " AND NON_UNIQUE = 0 AND SUB_PART IS NULL ORDER BY INDEX_NAME = 'PRIMARY' DESC, INDEX_NAME, SEQ_IN_INDEX");
  if (!keys.ok()) return keys.status();
  std::map<std::string, bool> usable;
  for (const SqlRow& r : *keys) {
    std::string name = r[0].value_or("");
    if (!usable.count(name)) {
      usable[name] = true;
      schema.unique_keys.push_back({name, {}});
    }
    if (r[2].value_or("") == "YES" || !r[1]) usable[name] = false;
    for (auto& k : schema.unique_keys) {
      if (k.name == name) k.columns.push_back(r[1].value_or(""));
    }
  }
  std::vector<TableSchema::Key> kept;
  for (auto& k : schema.unique_keys) {
    if (usable[k.name]) kept.push_back(std::move(k));
  }
  schema.unique_keys = std::move(kept);
  return schema;
}

namespace {

std::string StringLiteral(const ColumnMeta& column, const std::string& bytes) {
  std::string cs = column.charset.empty() ? "binary" : column.charset;
  return "_" + cs + " X'" + HexBytes(bytes) + "'";
}

std::string Labels(const ColumnMeta& column, const binlog::Value& v) {
  if (v.kind == binlog::ValueKind::kEnum) {
    if (v.u == 0 || v.u > column.enum_labels.size()) return "";
    return column.enum_labels[v.u - 1];
  }
  std::string out;
  for (size_t i = 0; i < column.enum_labels.size() && i < 64; ++i) {
    if (!(v.u >> i & 1)) continue;
    if (!out.empty()) out.push_back(',');
    out += column.enum_labels[i];
  }
  return out;
}

// ENUM/SET labels are read from information_schema on a utf8mb4 connection,
// so they are UTF-8 whatever the column's own charset: sent as utf8mb4 and
// converted by the server into the column's charset (exact: each label is a
// member of it). Tagging them with the column's charset sent a latin1 'ü' as
// the two latin1 bytes of its UTF-8, a value no member has.
std::string LabelLiteral(const ColumnMeta& column, const std::string& label) {
  if (column.charset.empty() || column.charset == "binary") return StringLiteral(column, label);
  std::string utf8 = "_utf8mb4 X'" + HexBytes(label) + "'";
  if (column.charset == "utf8mb4") return utf8;
  return "CONVERT(" + utf8 + " USING " + column.charset + ")";
}

bool IsTemporal(const std::string& t) {
  return t == "date" || t == "datetime" || t == "timestamp" || t == "time";
}

std::string TemporalCast(const ColumnMeta& column, const std::string& quoted) {
  if (column.data_type == "date") return "CAST(" + quoted + " AS DATE)";
  if (column.data_type == "time") return "CAST(" + quoted + " AS TIME(6))";
  return "CAST(" + quoted + " AS DATETIME(6))";
}

}  // namespace

std::string ColumnLiteral(const ColumnMeta& column, const binlog::Value& v) {
  using binlog::ValueKind;
  switch (v.kind) {
    case ValueKind::kMissing:
    case ValueKind::kNull: return "NULL";
    case ValueKind::kBytes:
    case ValueKind::kJson: return StringLiteral(column, v.bytes);
    case ValueKind::kEnum:
    case ValueKind::kSet:
      // By label: a changed ENUM/SET definition maps members by name, as the copy does.
      return LabelLiteral(column, Labels(column, v));
    case ValueKind::kUInt:
      return std::to_string(v.u);
    default: return binlog::ValueToSqlLiteral(v);
  }
}

std::string KeyLiteralFromText(const ColumnMeta& column, const std::optional<std::string>& text) {
  if (!text) return "NULL";
  if (column.data_type == "enum") return *text;  // the member number
  if (column.is_string() || column.data_type == "set") {
    std::string coll = column.collation.empty() ? "" : " COLLATE " + column.collation;
    std::string cs = column.charset.empty() ? "binary" : column.charset;
    return "_" + cs + " X'" + *text + "'" + coll;  // `text` is HEX() of the value
  }
  if (IsTemporal(column.data_type)) return TemporalCast(column, "'" + *text + "'");
  if (column.data_type == "bit") return "X'" + *text + "'";
  return *text;  // numbers
}

std::string KeySelectExpr(const ColumnMeta& column) {
  if (column.data_type == "enum") return "(" + QuoteIdent(column.name) + " + 0)";
  if (column.is_string() || column.data_type == "set") {
    return "HEX(" + QuoteIdent(column.name) + ")";
  }
  if (column.data_type == "bit") return "HEX(" + QuoteIdent(column.name) + ")";
  return QuoteIdent(column.name);
}

std::string KeyLiteralFromValue(const ColumnMeta& column, const binlog::Value& v) {
  using binlog::ValueKind;
  if (v.kind == ValueKind::kNull || v.kind == ValueKind::kMissing) return "NULL";
  if (column.is_string()) {
    std::string coll = column.collation.empty() ? "" : " COLLATE " + column.collation;
    return StringLiteral(column, v.bytes) + coll;
  }
  if (v.kind == ValueKind::kEnum) return std::to_string(v.u);  // the member number
  if (v.kind == ValueKind::kSet) {
    std::string coll = column.collation.empty() ? "" : " COLLATE " + column.collation;
    return LabelLiteral(column, Labels(column, v)) + coll;
  }
  if (IsTemporal(column.data_type)) return TemporalCast(column, binlog::ValueToSqlLiteral(v));
  return ColumnLiteral(column, v);
}

namespace {

// The member number a key literal holds, if it is one of the column's.
std::optional<size_t> MemberNumber(const ColumnMeta& column, const std::string& number) {
  if (number.empty() || number.size() > 5 ||
      !std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  size_t n = std::stoul(number);
  if (n > column.enum_labels.size()) return std::nullopt;
  return n;
}

}  // namespace

std::string EnumKeyAfter(const ColumnMeta& column, const std::string& lhs, const std::string& number) {
  auto n = MemberNumber(column, number);
  if (!n) return "(" + lhs + " + 0) > " + number;  // not a member: exact, if slow
  std::string later;
  for (size_t i = *n; i < column.enum_labels.size(); ++i) {
    later += (later.empty() ? "" : ", ") + LabelLiteral(column, column.enum_labels[i]);
  }
  return later.empty() ? "0" : lhs + " IN (" + later + ")";
}

std::string EnumKeyAt(const ColumnMeta& column, const std::string& lhs, const std::string& number) {
  auto n = MemberNumber(column, number);
  // 0 is the empty value an invalid member was stored as (no label of its own).
  if (!n || *n == 0) return "(" + lhs + " + 0) = " + number;
  return lhs + " = " + LabelLiteral(column, column.enum_labels[*n - 1]);
}

}  // namespace sealgate::migration
