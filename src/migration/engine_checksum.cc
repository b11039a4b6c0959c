// Checksum of original vs shadow over the projected columns, chunk by chunk.
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

std::string RowExpr(const std::vector<std::string>& cols) {
  std::string e = "CONCAT_WS(0x1f";
  for (const auto& c : cols) e += ", IFNULL(HEX(CONVERT(" + c + " USING utf8mb4)), 'N')";
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
  for (const auto& c : spec.columns) {
    ocols.push_back(QuoteIdent(cols[c.source].name));
    scols.push_back(QuoteIdent(c.name));
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
