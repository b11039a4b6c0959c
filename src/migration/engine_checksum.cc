// Checksum of original vs shadow over the projected columns, chunk by chunk.
//
// Values: the original's side converts each column the way the copy's
// INSERT ... SELECT stores it in the shadow column (to its type, scale,
// fractional seconds, character set, CHAR's dropped trailing spaces,
// BINARY's padding), so a type the ALTER changes is not a difference. Both
// sides then compare as hex of the stored bytes (binary columns) or of the
// text in utf8mb4.
//
// Consistent point per chunk: the original's range is read with LOCK IN
// SHARE MODE and stays locked; a sentinel written after that read follows
// every committed change of the range in the binlog, and none can commit
// until we release the lock. Once the applier has applied up to the
// sentinel, the shadow's range must equal what we read.
#include "migration/engine_internal.h"
#include "sql/errors.h"

namespace sealgate::migration {
namespace {

constexpr uint64_t kChecksumChunkRows = 2000;

bool Is(const ColumnMeta& c, std::initializer_list<const char*> types) {
  for (const char* t : types) {
    if (c.data_type == t) return true;
  }
  return false;
}

bool IsInteger(const ColumnMeta& c) { return Is(c, {"tinyint", "smallint", "mediumint", "int", "bigint"}); }
bool IsBinary(const ColumnMeta& c) {
  return Is(c, {"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"});
}

// "(12,4)" of "decimal(12,4) unsigned"; "" when the type has no arguments.
std::string TypeArgs(const ColumnMeta& c) {
  size_t open = c.column_type.find('('), close = c.column_type.find(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return "";
  return c.column_type.substr(open, close - open + 1);
}

// `expr` (a value of column `from`) as the copy stores it in column `to`.
std::string StoredAs(const ColumnMeta& from, const ColumnMeta& to, const std::string& expr) {
  if (from.column_type == to.column_type && from.charset == to.charset && from.collation == to.collation) return expr;
  bool is_unsigned = to.column_type.find("unsigned") != std::string::npos;
  if (IsInteger(to)) return IsInteger(from) ? expr : "CAST(" + expr + (is_unsigned ? " AS UNSIGNED)" : " AS SIGNED)");
  if (Is(to, {"decimal"})) return "CAST(" + expr + " AS DECIMAL" + TypeArgs(to) + ")";
  if (Is(to, {"float"})) return "CAST(" + expr + " AS FLOAT)";
  if (Is(to, {"double"})) return "CAST(" + expr + " AS DOUBLE)";
  if (Is(to, {"date"})) return "CAST(" + expr + " AS DATE)";
  if (Is(to, {"datetime", "timestamp"})) return "CAST(" + expr + " AS DATETIME" + TypeArgs(to) + ")";
  if (Is(to, {"time"})) return "CAST(" + expr + " AS TIME" + TypeArgs(to) + ")";
  if (Is(to, {"binary"})) return "CAST(" + expr + " AS BINARY" + TypeArgs(to) + ")";
  if (IsBinary(to)) return "CAST(" + expr + " AS BINARY)";
  if (to.is_string() && !to.charset.empty()) {
    std::string text = "CONVERT(" + expr + " USING " + to.charset + ")";
    return Is(to, {"char"}) ? "TRIM(TRAILING ' ' FROM " + text + ")" : text;  // CHAR keeps no trailing spaces
  }
  return expr;  // ENUM/SET by label, YEAR, BIT, JSON: the value's text
}

// One column's value as comparable text: hex of the bytes of a binary
// column, hex of the utf8mb4 text otherwise; 'N' for NULL.
std::string Canonical(const ColumnMeta& column, const std::string& expr) {
  if (IsBinary(column)) return "IFNULL(HEX(" + expr + "), 'N')";
  return "IFNULL(HEX(CONVERT(" + expr + " USING utf8mb4)), 'N')";
}

std::string RowExpr(const std::vector<std::string>& cols) {
  std::string e = "CONCAT_WS(0x1f";
  for (const auto& c : cols) e += ", " + c;
  return e + ")";
}

std::string Aggregate(const std::vector<std::string>& cols) {
  std::string r = RowExpr(cols);
  return "SELECT COUNT(*), IFNULL(BIT_XOR(CRC32(" + r + ")), 0), IFNULL(SUM(CRC32(" + r + ")), 0)";
}

std::string Range(const std::vector<std::string>& key, const Cursor& lo, const Cursor& hi) {
  std::string w = KeyAboveSql(key, lo);
  if (hi.kind == Cursor::kAt) w += " AND NOT " + KeyAboveSql(key, hi);
  return w;
}

}  // namespace

StatusOr<ChecksumReport> Engine::Checksum(uint64_t id) {
  auto m = impl_->Find(id);
  if (!m) return Status::NotFound("no migration with id " + std::to_string(id));
  const MigrationSpec& spec = m->spec();
  auto lock_conn = SqlConn::Open(impl_->options.server);
  if (!lock_conn.ok()) return lock_conn.status();
  auto read_conn = SqlConn::Open(impl_->options.server);
  if (!read_conn.ok()) return read_conn.status();
  const auto& cols = spec.original.columns;
  std::vector<std::string> okey, skey, ocols, scols;
  std::string select_key, order;
  for (size_t i = 0; i < spec.key.size(); ++i) {
    okey.push_back(QuoteIdent(cols[spec.key[i]].name));
    skey.push_back(QuoteIdent(spec.shadow_key[i]));
    select_key += (i ? ", " : "") + KeySelectExpr(cols[spec.key[i]]);
    order += (i ? ", " : "") + okey.back();
  }
  auto shadow_schema = LoadTableSchema(*read_conn, {spec.table.schema, spec.shadow});
  if (!shadow_schema.ok()) return shadow_schema.status();
  for (const auto& c : spec.columns) {
    int s = shadow_schema->column_index(c.name);
    if (s < 0) return Status::FailedPrecondition("shadow column `" + c.name + "` is gone from " + spec.shadow);
    const ColumnMeta& to = shadow_schema->columns[size_t(s)];
    ocols.push_back(Canonical(to, StoredAs(cols[c.source], to, QuoteIdent(cols[c.source].name))));
    scols.push_back(Canonical(to, QuoteIdent(c.name)));
  }
  const std::string original = QuoteTable(spec.table.schema, spec.table.name);
  const std::string shadow = QuoteTable(spec.table.schema, spec.shadow);
  ChecksumReport report;
  Cursor lo;
  while (lo.kind != Cursor::kAll) {
    auto b = read_conn->Query("SELECT " + select_key + " FROM " + original + " WHERE " + KeyAboveSql(okey, lo) +
                              " ORDER BY " + order + " LIMIT 1 OFFSET " + std::to_string(kChecksumChunkRows - 1));
    if (!b.ok()) return b.status();
    Cursor hi;
    hi.kind = b->empty() ? Cursor::kAll : Cursor::kAt;
    for (size_t i = 0; !b->empty() && i < spec.key.size(); ++i) {
      hi.literals.push_back(KeyLiteralFromText(cols[spec.key[i]], b->at(0)[i]));
    }
    SEALGATE_RETURN_IF_ERROR(lock_conn->Exec("BEGIN"));
    auto orig = lock_conn->Query(Aggregate(ocols) + " FROM " + original + " WHERE " + Range(okey, lo, hi) +
                                 " LOCK IN SHARE MODE");
    if (!orig.ok()) return orig.status();
    auto seq = impl_->WriteHeartbeat();
    Status waited = seq.ok() ? m->WaitApplied(*seq, std::chrono::seconds(120)) : seq.status();
    auto shad = waited.ok() ? read_conn->Query(Aggregate(scols) + " FROM " + shadow + " WHERE " + Range(skey, lo, hi))
                            : StatusOr<std::vector<SqlRow>>(waited);
    (void)lock_conn->Exec("ROLLBACK");
    if (!shad.ok()) return shad.status();
    ++report.chunks;
    report.rows += std::stoull(orig->at(0)[0].value_or("0"));
    if (orig->at(0) != shad->at(0)) {
      report.match = false;
      report.mismatch = "key range (" + lo.Serialize().value_or("start") + ", " + hi.Serialize().value_or("end") +
                        "]: original has " + orig->at(0)[0].value_or("0") + " rows, shadow " +
                        shad->at(0)[0].value_or("0") + (orig->at(0)[0] == shad->at(0)[0] ? " with different values" : "");
      return report;
    }
    lo = hi;
  }
  return report;
}

}  // namespace sealgate::migration
