// Checksum of original vs shadow over the projected columns, chunk by chunk.
//
// Values: the original's side converts each column the way the copy's
// INSERT ... SELECT stores it in the shadow column (to its type, scale,
// fractional seconds, character set, CHAR's dropped trailing spaces,
// BINARY's padding), so a type the ALTER changes is not a difference. Both
// sides then compare as the bytes of those values (AddColumn below).
//
// Consistent point, on MariaDB, without a row lock: a snapshot of the
// original is opened (START TRANSACTION WITH CONSISTENT SNAPSHOT, whose
// Binlog_snapshot_file/position say where it is in the binlog); the
// migration's writer applies up to exactly that position and holds for as
// long as a snapshot of the shadow takes to open; then one chunk of both
// snapshots is compared. A fresh pair of snapshots per chunk keeps every
// read view short (a read view open for the whole table would hold back
// InnoDB's purge under the application's writes and slow it down). The
// application is never locked out of a row, the writer is held for
// milliseconds per chunk, and the engine's throttle is asked before each
// chunk, as the copy does.
//
// Elsewhere (no Binlog_snapshot_position: MySQL), one point per chunk: the
// original's range is read with LOCK IN SHARE MODE and stays locked; a
// sentinel written after that read follows every committed change of the
// range in the binlog, and none can commit until we release the lock. Once
// the applier has applied up to the sentinel, the shadow's range must equal
// what we read.
#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>

#include "migration/engine_internal.h"
#include "sql/errors.h"

namespace sealgate::migration {
namespace {

constexpr uint64_t kChecksumChunkRows = 2000;          // per-chunk locking point
constexpr uint64_t kSnapshotChecksumChunkRows = 10000;  // per pair of snapshots: no lock

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
    // Text of the same character set is stored as it is (a CHAR's trailing
    // spaces are already gone when it is read).
    bool same_charset = from.is_string() && !IsBinary(from) && from.charset == to.charset;
    std::string text = same_charset ? expr : "CONVERT(" + expr + " USING " + to.charset + ")";
    return Is(to, {"char"}) ? "TRIM(TRAILING ' ' FROM " + text + ")" : text;  // CHAR keeps no trailing spaces
  }
  return expr;  // ENUM/SET by label, YEAR, BIT, JSON: the value's text
}

// The row's checksum input: each column's stored bytes (text columns cast
// to binary, so columns of different character sets concatenate untouched —
// both sides are already in the shadow column's type), separated by 0x1f;
// then, for every column that may be NULL or hold any byte (strings, ENUM,
// SET, BIT, JSON), its length or 'N' for NULL — CONCAT_WS skips NULLs, and a
// value may contain the separator.
struct RowParts {
  std::vector<std::string> values;
  std::vector<std::string> tail;
};

void AddColumn(const ColumnMeta& from, const ColumnMeta& to, const std::string& expr, RowParts* row) {
  bool text = !to.charset.empty() && !IsBinary(to);  // text, ENUM, SET, JSON
  row->values.push_back(text ? "CAST(" + expr + " AS BINARY)" : expr);
  bool numeric_or_temporal = IsInteger(to) || Is(to, {"decimal", "float", "double", "date", "datetime", "timestamp",
                                                       "time", "year"});
  if (from.nullable || to.nullable || !numeric_or_temporal) row->tail.push_back("IFNULL(LENGTH(" + expr + "), 'N')");
}

// One query's select list over a key range: rows, and the sum of the rows'
// CRC32s (exact: a DECIMAL sum). One hash per row keeps the full read of both
// tables cheap; a difference goes unseen only if CRC32s collide.
std::string Aggregate(const RowParts& row) {
  std::string r = "CONCAT_WS(0x1f";
  for (const auto& v : row.values) r += ", " + v;
  for (const auto& t : row.tail) r += ", " + t;
  r += ")";
  return "SELECT COUNT(*), IFNULL(SUM(CRC32(" + r + ")), 0)";
}

std::string Range(const std::vector<std::string>& key, const Cursor& lo, const Cursor& hi,
                  const std::vector<const ColumnMeta*>& enums) {
  std::string w = KeyAboveSql(key, lo, enums);
  if (hi.kind == Cursor::kAt) w += " AND NOT " + KeyAboveSql(key, hi, enums);
  return w;
}

// Adds the time from its construction to its destruction to *total.
class TimeInto {
 public:
  explicit TimeInto(std::chrono::milliseconds* total) : total_(total), start_(std::chrono::steady_clock::now()) {}
  ~TimeInto() {
    *total_ += std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start_);
  }
  TimeInto(const TimeInto&) = delete;
  TimeInto& operator=(const TimeInto&) = delete;

 private:
  std::chrono::milliseconds* total_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

StatusOr<ChecksumReport> Engine::Checksum(uint64_t id) {
  SEALGATE_RETURN_IF_ERROR(impl_->Owned());
  auto m = impl_->Find(id);
  if (!m) return Status::NotFound("no migration with id " + std::to_string(id));
  const MigrationSpec& spec = m->spec();
  auto lock_conn = SqlConn::Open(impl_->options.server);
  if (!lock_conn.ok()) return lock_conn.status();
  auto read_conn = SqlConn::Open(impl_->options.server);
  if (!read_conn.ok()) return read_conn.status();
  const auto& cols = spec.original.columns;
  std::vector<std::string> okey, skey;
  RowParts ocols, scols;
  std::string select_key, order;
  // ENUM key columns walk by member number (the same members on both sides).
  const std::vector<const ColumnMeta*> enums = KeyEnumColumns(spec);
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
    const ColumnMeta& from = cols[c.source];
    AddColumn(from, to, StoredAs(from, to, QuoteIdent(from.name)), &ocols);
    AddColumn(from, to, QuoteIdent(c.name), &scols);
  }
  const std::string original = QuoteTable(spec.table.schema, spec.table.name);
  const std::string shadow = QuoteTable(spec.table.schema, spec.shadow);
  ChecksumReport report;
  auto mismatch = [&](const Cursor& lo, const Cursor& hi, const SqlRow& orig, const SqlRow& shad) {
    report.match = false;
    report.mismatch = "key range (" + lo.Serialize().value_or("start") + ", " +
                      (hi.kind == Cursor::kAll ? std::string("end") : hi.Serialize().value_or("end")) +
                      "]: original has " + orig[0].value_or("0") + " rows, shadow " + shad[0].value_or("0") +
                      (orig[0] == shad[0] ? " with different values" : "");
  };

  // The key after `rows` rows past `lo`, read on `c`; `end` when fewer are left before it.
  auto boundary = [&](SqlConn& c, const Cursor& lo, const Cursor& end, uint64_t rows) -> StatusOr<Cursor> {
    std::string within = KeyAboveSql(okey, lo, enums);
    if (end.kind == Cursor::kAt) within += " AND NOT " + KeyAboveSql(okey, end, enums);
    auto b = c.Query("SELECT " + select_key + " FROM " + original + " WHERE " + within + " ORDER BY " + order +
                     " LIMIT 1 OFFSET " + std::to_string(rows - 1));
    if (!b.ok()) return b.status();
    if (b->empty()) return end;
    Cursor hi{Cursor::kAt, {}};
    for (size_t i = 0; i < spec.key.size(); ++i) hi.literals.push_back(KeyLiteralFromText(cols[spec.key[i]], b->at(0)[i]));
    return hi;
  };
  const Cursor table_end{Cursor::kAll, {}};

  // Snapshot points (MariaDB).
  SEALGATE_RETURN_IF_ERROR(lock_conn->Exec("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"));
  SEALGATE_RETURN_IF_ERROR(read_conn->Exec("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"));
  auto open_original = [&]() -> StatusOr<binlog::BinlogPosition> {
    SEALGATE_RETURN_IF_ERROR(lock_conn->Exec("START TRANSACTION WITH CONSISTENT SNAPSHOT"));
    auto vars = lock_conn->Query("SHOW SESSION STATUS LIKE 'Binlog_snapshot_%'");
    if (!vars.ok()) return vars.status();
    binlog::BinlogPosition p;
    for (const auto& row : *vars) {
      if (row.size() < 2 || !row[1]) continue;
      if (row[0] == "Binlog_snapshot_file") p.file = *row[1];
      if (row[0] == "Binlog_snapshot_position") p.offset = std::stoull(*row[1]);
    }
    if (p.file.empty()) return Status::Unimplemented("the server does not report Binlog_snapshot_position");
    auto hb = impl_->WriteHeartbeat();  // committed after the snapshot: the stream passes its position
    if (!hb.ok()) return hb.status();
    return p;
  };
  // A new consistent point: both snapshots opened at one binlog position.
  auto point = [&]() -> Status {
    TimeInto timed(&report.point_time);
    Status held = m->HoldAt(open_original, std::chrono::seconds(120));
    if (!held.ok()) {
      (void)lock_conn->Exec("ROLLBACK");
      return held;
    }
    Status opened = read_conn->Exec("START TRANSACTION WITH CONSISTENT SNAPSHOT");
    m->ReleaseHold();
    return opened;
  };
  // Both sides of (lo, hi] in the open snapshots: true when they differ (and the report says where).
  auto differs = [&](const Cursor& lo, const Cursor& hi, bool count) -> StatusOr<bool> {
    TimeInto timed(&report.read_time);
    auto orig = lock_conn->Query(Aggregate(ocols) + " FROM " + original + " WHERE " + Range(okey, lo, hi, enums));
    if (!orig.ok()) return orig.status();
    auto shad = read_conn->Query(Aggregate(scols) + " FROM " + shadow + " WHERE " + Range(skey, lo, hi, enums));
    if (!shad.ok()) return shad.status();
    if (count) {
      ++report.chunks;
      report.rows += std::stoull(orig->at(0)[0].value_or("0"));
    }
    if (orig->at(0) == shad->at(0)) return false;
    mismatch(lo, hi, orig->at(0), shad->at(0));
    return true;
  };
  auto by_snapshots = [&]() -> Status {
    auto chunk_started = std::chrono::steady_clock::now();
    for (Cursor lo; lo.kind != Cursor::kAll;) {
      if (report.chunks > 0) {  // a new point per chunk, after a rest, when the throttle allows
        (void)lock_conn->Exec("ROLLBACK");
        (void)read_conn->Exec("ROLLBACK");
        auto took = std::chrono::steady_clock::now() - chunk_started;
        auto rest = std::chrono::duration_cast<std::chrono::milliseconds>(took * m->throttle_ratio());
        if (rest.count() > 0) {
          TimeInto resting(&report.rest_time);
          auto until = std::chrono::steady_clock::now() + rest;
          while (!impl_->stop && std::chrono::steady_clock::now() < until) {
            std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
                until - std::chrono::steady_clock::now(), std::chrono::milliseconds(100)));
          }
        }
        {
          TimeInto held(&report.throttled_time);
          while (!impl_->stop && !impl_->ThrottleReason().empty()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
          }
        }
        chunk_started = std::chrono::steady_clock::now();
        SEALGATE_RETURN_IF_ERROR(point());
      }
      auto hi = boundary(*lock_conn, lo, table_end, kSnapshotChecksumChunkRows);
      if (!hi.ok()) return hi.status();
      auto diff = differs(lo, *hi, true);
      if (!diff.ok()) return diff.status();
      if (*diff) {
        // Name a narrower range: the first differing kChecksumChunkRows of it.
        for (Cursor sub = lo; !(sub == *hi);) {
          auto sub_hi = boundary(*lock_conn, sub, *hi, kChecksumChunkRows);
          if (!sub_hi.ok()) return sub_hi.status();
          auto sub_diff = differs(sub, *sub_hi, false);
          if (!sub_diff.ok() || *sub_diff) return sub_diff.status();
          sub = *sub_hi;
        }
        return Status::Ok();  // the whole chunk's range stays named
      }
      lo = *hi;
    }
    return Status::Ok();
  };
  Status first = point();
  if (first.ok()) {
    Status compared = by_snapshots();
    (void)lock_conn->Exec("ROLLBACK");
    (void)read_conn->Exec("ROLLBACK");
    if (!compared.ok()) return compared;
    return report;
  }
  // No snapshot position (MySQL), or not held (not staged, paused for a
  // seal): a locking point per chunk instead.
  if (first.code() != StatusCode::kUnimplemented && first.code() != StatusCode::kFailedPrecondition) return first;

  // A locking point per chunk.
  for (Cursor lo; lo.kind != Cursor::kAll;) {
    auto hi = boundary(*read_conn, lo, table_end, kChecksumChunkRows);
    if (!hi.ok()) return hi.status();
    SEALGATE_RETURN_IF_ERROR(lock_conn->Exec("BEGIN"));
    std::optional<TimeInto> reading(&report.read_time);
    auto orig = lock_conn->Query(Aggregate(ocols) + " FROM " + original + " WHERE " + Range(okey, lo, *hi, enums) +
                                 " LOCK IN SHARE MODE");
    reading.reset();
    if (!orig.ok()) return orig.status();
    Status waited;
    {
      TimeInto timed(&report.point_time);
      auto seq = impl_->WriteHeartbeat();
      waited = seq.ok() ? m->WaitApplied(*seq, std::chrono::seconds(120)) : seq.status();
    }
    reading.emplace(&report.read_time);
    auto shad = waited.ok() ? read_conn->Query(Aggregate(scols) + " FROM " + shadow + " WHERE " + Range(skey, lo, *hi, enums))
                            : StatusOr<std::vector<SqlRow>>(waited);
    reading.reset();
    (void)lock_conn->Exec("ROLLBACK");
    if (!shad.ok()) return shad.status();
    ++report.chunks;
    report.rows += std::stoull(orig->at(0)[0].value_or("0"));
    if (orig->at(0) != shad->at(0)) {
      mismatch(lo, *hi, orig->at(0), shad->at(0));
      return report;
    }
    lo = *hi;
  }
  return report;
}

}  // namespace sealgate::migration
