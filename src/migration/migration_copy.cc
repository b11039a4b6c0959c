// Backfill: key-range chunks copied server-side with a locking
// INSERT ... SELECT, each committed together with its copy mark.
#include "migration/migration.h"
#include "sql/errors.h"

namespace sealgate::migration {
namespace {

constexpr unsigned kErDupEntry = 1062;
constexpr int kCopyConflictRetries = 3;     // same entry, consecutive attempts
constexpr int kCopyConflictAttempts = 100;  // any entries, without a successful chunk
constexpr unsigned kErLockWaitTimeout = 1205;  // also MariaDB's answer to NOWAIT
constexpr unsigned kErDeadlock = 1213;
constexpr unsigned kErLockNowait = 3572;       // MySQL 8's answer to NOWAIT
constexpr unsigned kErTransCacheFull = 1197;   // the chunk's rows outgrew max_binlog_cache_size
// Chunks that met a writer's row lock in a row before one chunk waits.
constexpr int kNowaitMissesBeforeWaiting = 50;
// Blocked this long without a chunk going in, the copy says why (SHOW DEPLOY STATUS pace), at most this often.
constexpr auto kBlockedReportAfter = std::chrono::seconds(5);

}  // namespace

StatusOr<std::optional<std::vector<std::string>>> Migration::NextBoundary(uint64_t rows) {
  const auto& cols = spec_.original.columns;
  std::vector<std::string> key_cols;
  std::string select, order;
  for (size_t idx : spec_.key) {
    key_cols.push_back(QuoteIdent(cols[idx].name));
    select += (select.empty() ? "" : ", ") + KeySelectExpr(cols[idx]);
    order += (order.empty() ? "" : ", ") + QuoteIdent(cols[idx].name);
  }
  auto row = conn_.Query("SELECT " + select + " FROM " + QuoteTable(spec_.table.schema, spec_.table.name) +
                         " FORCE INDEX (" + QuoteIdent(spec_.key_index) + ") WHERE " +
                         KeyAbove(key_cols, cp_.copy_cursor) + " ORDER BY " + order + " LIMIT 1 OFFSET " +
                         std::to_string(rows - 1));
  if (!row.ok()) return row.status();
  if (row->empty()) return std::optional<std::vector<std::string>>();
  std::vector<std::string> lits;
  for (size_t i = 0; i < spec_.key.size(); ++i) lits.push_back(KeyLiteralFromText(cols[spec_.key[i]], row->at(0)[i]));
  return std::optional<std::vector<std::string>>(std::move(lits));
}

std::string Migration::ShareLockClause(bool nowait) const {
  if (mysql_) return nowait ? "FOR SHARE NOWAIT" : "FOR SHARE";
  return nowait ? "LOCK IN SHARE MODE NOWAIT" : "LOCK IN SHARE MODE";
}

Status Migration::CopyChunk() {
  auto t0 = std::chrono::steady_clock::now();
  const uint64_t chunk_rows = ChunkRows();
  auto hi = NextBoundary(chunk_rows);
  if (!hi.ok()) return hi.status();
  // The final chunk waits for the deferred indexes: staged means complete.
  if (!hi->has_value() && deferred_.pending()) {
    Log(LogLevel::kInfo, "building the deferred secondary indexes before the final chunk");
    return deferred_.StartBuild(host_->server(), {spec_.table.schema, spec_.shadow});
  }
  Cursor next;
  next.kind = hi->has_value() ? Cursor::kAt : Cursor::kAll;
  if (hi->has_value()) next.literals = **hi;

  const auto& cols = spec_.original.columns;
  std::vector<std::string> key_cols;
  for (size_t idx : spec_.key) key_cols.push_back(QuoteIdent(cols[idx].name));
  std::string where = KeyAbove(key_cols, cp_.copy_cursor);
  if (next.kind == Cursor::kAt) where += " AND NOT " + KeyAbove(key_cols, next);
  std::string names, sources;
  for (const auto& c : spec_.columns) {
    names += (names.empty() ? "" : ", ") + QuoteIdent(c.name);
    sources += (sources.empty() ? "" : ", ") + QuoteIdent(cols[c.source].name);
  }
  // Shared row locks: a row whose change is not yet committed is never
  // copied in its old state (DESIGN.md §8). NOWAIT: the copy never waits for
  // a writer, so it is never part of a deadlock an application transaction
  // could be chosen to lose; a chunk that meets a held row is tried again.
  // Only after many misses in a row does one small chunk wait.
  bool wait = copy_nowait_misses_ >= kNowaitMissesBeforeWaiting;
  std::string copy = "INSERT INTO " + QuoteTable(spec_.table.schema, spec_.shadow) + " (" + names + ") SELECT " +
                     sources + " FROM " + QuoteTable(spec_.table.schema, spec_.table.name) + " FORCE INDEX (" +
                     QuoteIdent(spec_.key_index) + ") WHERE " + where + " " + ShareLockClause(!wait);
  uint64_t seq = cp_.copy_seq + 1;
  auto cursor_text = next.Serialize();
  Status st = conn_.Exec("BEGIN");
  uint64_t rows = 0;
  if (st.ok()) st = conn_.Exec(copy);
  if (st.ok()) {
    rows = conn_.affected_rows();
    st = conn_.Exec("UPDATE " + QuoteTable(spec_.meta_schema, "migrations") + " SET copy_seq = " +
                    std::to_string(seq) + ", copy_cursor = " + (cursor_text ? conn_.Quote(*cursor_text) : "NULL") +
                    ", rows_copied = rows_copied + " + std::to_string(rows) + " WHERE id = " + std::to_string(spec_.id) + LeaseFence());
    if (st.ok()) st = CheckLeaseFence();
  }
  if (st.ok()) st = conn_.Exec("COMMIT");
  if (!st.ok()) {
    unsigned err = conn_.server_errno();
    std::string server_error = conn_.server_error();
    std::string server_sqlstate = conn_.server_sqlstate();
    (void)conn_.Exec("ROLLBACK");
    if (err == kErLockWaitTimeout || err == kErLockNowait || err == kErDeadlock) NoteCopyBlocked();
    if (!wait && (err == kErLockWaitTimeout || err == kErLockNowait || err == kErDeadlock)) {
      // A writer holds a row of the chunk: try again a moment later with
      // fewer rows (the writer's transaction is short); the writer goes on
      // applying the binlog meanwhile.
      ++copy_nowait_misses_;
      if (copy_lock_misses_++ % 1000 == 0) {
        Log(LogLevel::kInfo, "copy chunk met a row a writer holds (" + server_error + "); retrying (" +
                                 std::to_string(copy_lock_misses_) + " so far)");
      }
      chunk_rows_ = std::max(tuning_.min_chunk_rows, chunk_rows_ / 2);
      if (copy_nowait_misses_ >= kNowaitMissesBeforeWaiting) chunk_rows_ = tuning_.min_chunk_rows;
      int backoff_ms = std::min(200, 5 << std::min(copy_nowait_misses_ - 1, 6));
      next_copy_at_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(backoff_ms);
      return Status::Ok();
    }
    if (err == kErLockWaitTimeout || err == kErDeadlock) {
      // Writers hold the rows for longer than the lock wait (or a prepared
      // XA transaction does, for as long as nobody ends it): the chunk is
      // tried again, for as long as it takes — the copy never wins over the
      // application, and SHOW DEPLOY STATUS says what it waits for.
      if (copy_lock_retries_++ % 30 == 0) Log(LogLevel::kInfo, "copy chunk retried after " + server_error);
      next_copy_at_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
      return Status::Ok();
    }
    if (err == kErTransCacheFull) {
      // Larger rows than the table's average said: fewer of them a chunk.
      if (!chunk_bytes_.Shrink(chunk_rows)) {
        return Status::Aborted("one row of `" + spec_.table.name + "` does not fit the binlog cache (" + server_error +
                               "): raise max_binlog_cache_size and deploy again")
            .WithMysqlError(static_cast<uint16_t>(err), server_sqlstate);
      }
      Log(LogLevel::kInfo, "copy chunk of " + std::to_string(chunk_rows) + " rows outgrew the binlog cache; chunks "
                           "now carry at most " + std::to_string(chunk_bytes_.max_rows()) + " rows");
      return Status::Ok();
    }
    if (err != kErDupEntry) return st;
    // The applier may be behind rows this chunk reads (a unique value that
    // moved between rows): catch up past a fresh heartbeat and try again.
    // The same entry conflicting after each catch-up is in the data; under
    // churn the colliding entry changes from one attempt to the next.
    copy_conflicts_ = server_error == last_copy_conflict_ ? copy_conflicts_ + 1 : 1;
    last_copy_conflict_ = server_error;
    if (copy_conflicts_ >= kCopyConflictRetries || ++copy_conflict_attempts_ > kCopyConflictAttempts) {
      std::string range = "key " + (cp_.copy_cursor.kind == Cursor::kAt ? "> (" + cp_.copy_cursor.Serialize().value_or("") + ")" : "from the start");
      // The ALTER itself would have failed on these rows: the server's own
      // error (1062, 23000), as a client running it directly gets.
      return Status::Aborted("the rows of `" + spec_.table.name + "` violate a unique key of the ALTER: " +
                             server_error + " (copying " + range +
                             "). Remove the duplicates (or change the ALTER) and deploy again.")
          .WithMysqlError(static_cast<uint16_t>(err), server_sqlstate);
    }
    Log(LogLevel::kInfo, "copy chunk of " + std::to_string(chunk_rows_) + " rows collides with a row the applier "
                         "has not caught up on (" + server_error + "); catching up, attempt " +
                         std::to_string(copy_conflict_attempts_));
    chunk_rows_ = std::max(tuning_.min_chunk_rows, chunk_rows_ / 2);  // fewer rows, fewer moving values to meet
    auto hb = host_->WriteHeartbeat();
    if (!hb.ok()) return hb.status();
    catch_up_to_ = *hb;
    return Status::Ok();
  }
  if (cautious_chunks_ > 0) --cautious_chunks_;
  if (copy_blocked_since_) {
    copy_blocked_since_.reset();
    std::lock_guard<std::mutex> lock(mu_);
    copy_blocked_note_.clear();
  }
  copy_conflicts_ = 0;
  copy_conflict_attempts_ = 0;
  copy_lock_retries_ = 0;
  copy_nowait_misses_ = 0;
  last_copy_conflict_.clear();
  cp_.copy_seq = seq;
  cp_.copy_cursor = next;
  cp_.rows_copied += rows;
  pending_.emplace_back(seq, next);
  double ratio;
  {
    std::lock_guard<std::mutex> lock(mu_);
    rows_copied_ = cp_.rows_copied;
    ratio = throttle_ratio_;
  }
  auto t1 = std::chrono::steady_clock::now();
  // THROTTLE RATIO r: rest r x this chunk's duration (gh-ost's nice-ratio);
  // the writer goes on applying the binlog meanwhile.
  if (ratio > 0) next_copy_at_ = t1 + std::chrono::duration_cast<std::chrono::steady_clock::duration>((t1 - t0) * ratio);
  // Adapt the chunk to the target time, at most halving or doubling per step.
  double elapsed = std::chrono::duration<double>(t1 - t0).count();
  bool busy = t1 - table_written_ < std::chrono::seconds(1);
  double target = std::chrono::duration<double>(busy ? tuning_.busy_chunk_time : tuning_.target_chunk_time).count();
  double factor = elapsed > 0 ? std::clamp(target / elapsed, 0.5, 2.0) : 2.0;
  if (cautious_chunks_ > 0) factor = std::min(factor, 1.0);
  chunk_rows_ = std::clamp<uint64_t>(uint64_t(double(chunk_rows) * factor), tuning_.min_chunk_rows,
                                     tuning_.max_chunk_rows);
  return Status::Ok();
}

void Migration::NoteCopyBlocked() {
  auto now = std::chrono::steady_clock::now();
  if (!copy_blocked_since_) copy_blocked_since_ = now;
  if (now - *copy_blocked_since_ < kBlockedReportAfter || now - copy_blocked_checked_ < kBlockedReportAfter) return;
  copy_blocked_checked_ = now;
  auto waited = std::chrono::duration_cast<std::chrono::seconds>(now - *copy_blocked_since_);
  // Who holds rows: the oldest other open transaction, and any prepared XA
  // transaction (no session of its own: it holds its rows until ended).
  std::string note = "the copy has waited " + std::to_string(waited.count()) + " s for rows of `" + spec_.table.name +
                     "` another transaction holds";
  auto oldest = conn_.Query(
      "SELECT trx_mysql_thread_id, TIMESTAMPDIFF(SECOND, trx_started, NOW()), IFNULL(LEFT(trx_query, 80), '') "
      "FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id <> CONNECTION_ID() "
      "ORDER BY trx_started LIMIT 1");
  if (oldest.ok() && !oldest->empty() && oldest->front().size() == 3) {
    const SqlRow& r = oldest->front();
    std::string id = r[0].value_or("0"), query = r[2].value_or("");
    note += id == "0" ? "; the oldest open transaction has no connection (a prepared XA transaction?), open for " +
                            r[1].value_or("?") + " s"
                      : "; the oldest open transaction is connection " + id + "'s, open for " + r[1].value_or("?") +
                            " s" + (query.empty() ? " (idle)" : " (running: " + query + ")");
  }
  auto xa = conn_.Query("XA RECOVER");
  if (xa.ok() && !xa->empty()) {
    std::string xids;
    for (const auto& row : *xa) {
      if (row.size() >= 4) xids += (xids.empty() ? "'" : ", '") + row[3].value_or("") + "'";
    }
    note += "; prepared XA transactions exist (XA RECOVER lists " + xids +
            "): one that changed this table holds its rows until XA COMMIT or XA ROLLBACK ends it";
  }
  note += ". The copy goes on once they are released; ROLLBACK DEPLOY gives up";
  if (waited < 2 * kBlockedReportAfter) Log(LogLevel::kWarn, note);
  std::lock_guard<std::mutex> lock(mu_);
  copy_blocked_note_ = std::move(note);
}

Status Migration::UndoWindow() {
  std::vector<std::string> key_cols;
  for (const auto& k : spec_.shadow_key) key_cols.push_back(QuoteIdent(k));
  uint64_t seq = cp_.copy_seq + 1;
  auto cursor_text = cp_.applied_cursor.Serialize();
  Status st = conn_.Exec("BEGIN");
  uint64_t removed = 0;
  if (st.ok()) st = conn_.Exec("DELETE FROM " + QuoteTable(spec_.table.schema, spec_.shadow) + " WHERE " +
                               KeyAbove(key_cols, cp_.applied_cursor));
  if (st.ok()) {
    removed = conn_.affected_rows();
    st = conn_.Exec("UPDATE " + QuoteTable(spec_.meta_schema, "migrations") + " SET copy_seq = " +
                    std::to_string(seq) + ", copy_cursor = " + (cursor_text ? conn_.Quote(*cursor_text) : "NULL") +
                    ", rows_copied = rows_copied - " + std::to_string(removed) + " WHERE id = " +
                    std::to_string(spec_.id) + LeaseFence());
    if (st.ok()) st = CheckLeaseFence();
  }
  if (st.ok()) st = conn_.Exec("COMMIT");
  if (!st.ok()) {
    (void)conn_.Exec("ROLLBACK");
    return st;
  }
  cp_.copy_seq = seq;
  cp_.copy_cursor = cp_.applied_cursor;
  cp_.rows_copied -= std::min(cp_.rows_copied, removed);
  pending_.clear();
  pending_.emplace_back(seq, cp_.applied_cursor);
  std::lock_guard<std::mutex> lock(mu_);
  rows_copied_ = cp_.rows_copied;
  return Status::Ok();
}

Status Migration::RestartCopy(const binlog::BinlogPosition& from) {
  uint64_t seq = cp_.copy_seq + 1;
  Status st = conn_.Exec("BEGIN");
  if (st.ok()) st = conn_.Exec("DELETE FROM " + QuoteTable(spec_.table.schema, spec_.shadow));
  if (st.ok()) {
    st = conn_.Exec("UPDATE " + QuoteTable(spec_.meta_schema, "migrations") + " SET copy_seq = " +
                    std::to_string(seq) + ", applied_seq = " + std::to_string(seq) +
                    ", copy_cursor = NULL, applied_cursor = NULL, rows_copied = 0, state = 'copying', "
                    "applied_gtid = " + conn_.Quote(from.gtid_state) + ", applied_file = " + conn_.Quote(from.file) +
                    ", applied_pos = " + std::to_string(from.offset) + " WHERE id = " + std::to_string(spec_.id) + LeaseFence());
    if (st.ok()) st = CheckLeaseFence();
  }
  if (st.ok()) st = conn_.Exec("COMMIT");
  if (!st.ok()) {
    (void)conn_.Exec("ROLLBACK");
    return st;
  }
  cp_ = Checkpoint{};
  cp_.copy_seq = cp_.applied_seq = seq;
  cp_.applied = from;
  pending_.clear();
  copy_conflicts_ = 0;
  catch_up_to_ = 0;
  Log(LogLevel::kWarn, "binlog position lost (purged); shadow emptied, copy restarted at " + from.ToString());
  std::lock_guard<std::mutex> lock(mu_);
  state_ = MigrationState::kCopying;
  rows_copied_ = 0;
  uncopied_growth_ = 0;
  copy_rows_at_start_ = 0;
  copy_started_ = std::chrono::steady_clock::now();
  last_error_ = "binlog position lost (binlogs purged): the copy was restarted from the beginning";
  return Status::Ok();
}

}  // namespace sealgate::migration
