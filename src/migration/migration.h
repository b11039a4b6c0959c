// Migration: one table's staged migration — the writer thread that owns the
// shadow table, interleaving binlog apply and copy chunks. Internal to the
// engine (engine.h is the public API).
//
// Copy vs apply (DESIGN.md §8). The shadow only ever holds rows with keys at
// or below the applied cursor C. A row event is applied iff its key <= C;
// other events are skipped, because the copy will read their result. A copy
// chunk (C, hi] runs as one transaction: a locking INSERT ... SELECT (LOCK IN
// SHARE MODE waits for uncommitted writers, so nothing is resurrected) and an
// update of the copy mark in the metadata table. Every write to (C, hi]
// commits either before that transaction (and is in the copy) or after it
// (and is after the mark in the binlog). So C moves to hi exactly when the
// writer sees the mark in the stream, and no interleaving loses or repeats a
// row. Inserts are plain INSERTs: a duplicate on any unique key is real and
// fails the migration, naming the key and values. Only while a copied chunk
// is ahead of the applier (the window between copy commit and its mark) can
// a unique conflict be an artefact; then the chunks ahead are undone and the
// statement retried. A few chunks may be in flight at once (pipelining copy
// with the stream's decoding of it).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "binlog/transaction_assembler.h"
#include "common/log.h"
#include "migration/chunk_budget.h"
#include "migration/deferred_indexes.h"
#include "migration/progress.h"
#include "migration/sql_conn.h"
#include "migration/table_schema.h"
#include "sql/alter.h"

namespace sealgate::migration {

// How far the copy has gone: nothing, up to a key (inclusive), or all rows.
struct Cursor {
  enum Kind : uint8_t { kNone, kAt, kAll };
  Kind kind = kNone;
  std::vector<std::string> literals;  // kAt: KeyLiteral* of each key column
  std::optional<std::string> Serialize() const;  // nullopt for kNone
  static Cursor Parse(const std::optional<std::string>& text);
  bool operator==(const Cursor&) const = default;
};

// The part of one binlog transaction that concerns one migration.
struct WorkItem {
  binlog::BinlogPosition position;
  std::vector<std::shared_ptr<const binlog::RowsEvent>> rows;
  std::vector<std::shared_ptr<const binlog::QueryEvent>> statements;
  std::optional<uint64_t> copy_mark;  // copy_seq committed in this transaction
  std::optional<uint64_t> heartbeat;  // heartbeat seq committed in this transaction
  // The stream lost its position (binlog purged) and restarts at `position`:
  // empty the shadow and copy again from there.
  bool restart_copy = false;
  size_t bytes = 0;
};

// Bounded FIFO between the dispatcher and one writer. Push blocks while full
// (at least one item always fits) until Close().
class WorkQueue {
 public:
  explicit WorkQueue(size_t capacity) : capacity_(capacity) {}
  bool Push(WorkItem item);  // false once closed
  // Up to `max` items; waits up to `wait` for the first one (or an Interrupt()).
  std::vector<WorkItem> PopBatch(size_t max, std::chrono::milliseconds wait);
  // Ends the current (or next) PopBatch wait at once, e.g. so the writer sees a pause request.
  void Interrupt();
  void Close();

 private:
  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<WorkItem> items_;  // guarded by mu_
  size_t bytes_ = 0;            // guarded by mu_
  bool closed_ = false;         // guarded by mu_
  bool interrupted_ = false;    // guarded by mu_
};

// One projected column: shadow column `name` filled from original column `source`.
struct ProjectedColumn {
  std::string name;
  size_t source = 0;  // index into the original's columns
};

// What a migration's writer does. Staging copies and follows; the two
// follower roles only follow (the copy is done: the target already holds
// every row) and keep the columns the projection does not write.
enum class MigrationRole : uint8_t {
  kStage,    // original -> shadow, before the seal
  kReverse,  // after a seal: the new-schema table -> the old-schema table (for REVERT DEPLOY)
  kForward,  // after a revert: the old-schema table -> the new-schema table (to seal again)
};
const char* MigrationRoleName(MigrationRole role);
MigrationRole ParseMigrationRole(const std::string& name);  // kStage for unknown text

// Everything fixed for the life of a migration.
// A foreign key of the followed table that changes its rows when a parent
// row changes (ON DELETE / ON UPDATE CASCADE or SET NULL). The server logs
// the parent's change only, so the applier repeats the key's action on the
// shadow at the parent's event, in binlog order.
struct Cascade {
  sql::TableName parent;
  std::vector<std::string> columns;         // of the followed table (the shadow has them under the same names)
  std::vector<std::string> parent_columns;  // of the parent
  std::string on_delete, on_update;         // as information_schema names the rules
};

// The cascading keys of `table` (see Cascade).
StatusOr<std::vector<Cascade>> ReadCascades(SqlConn& conn, const sql::TableName& table);

struct MigrationSpec {
  uint64_t id = 0;
  std::string meta_schema;
  MigrationRole role = MigrationRole::kStage;
  sql::TableName table;   // the table followed (read from the binlog)
  std::string shadow;     // the table written, in the same database
  TableSchema original;   // `table`'s columns
  TableSchema target;     // `shadow`'s columns
  std::vector<ProjectedColumn> columns;
  // The walking key: a unique key of the original the copy and the checksum
  // walk in ranges, and by which the applier tells copied rows from rows
  // still to copy.
  std::vector<size_t> key;             // original column indices of the key
  std::vector<std::string> shadow_key; // the same columns' names in the shadow (ranges there)
  std::string key_index;               // index name in the original (for FORCE INDEX)
  // The row key: the shadow's unique key that finds the one shadow row an
  // original row became (the same columns as the walking key, some of them,
  // or more after them: a widened primary key). Its columns' names in the
  // shadow, and the original columns their values come from.
  std::vector<std::string> row_key;
  std::vector<size_t> row_key_source;
  std::string row_key_index;           // index name in the shadow
  uint64_t rows_estimated = 0;
  std::vector<Cascade> cascades;       // whose parents' rows events the applier reads too
};

struct Checkpoint {
  uint64_t copy_seq = 0;
  Cursor copy_cursor;
  uint64_t rows_copied = 0;
  uint64_t applied_seq = 0;
  Cursor applied_cursor;
  binlog::BinlogPosition applied;  // resume point: everything up to here is in the shadow
};

// What a migration needs from its engine. Implementations are thread-safe.
class MigrationHost {
 public:
  virtual ~MigrationHost() = default;
  virtual const binlog::ServerEndpoint& server() const = 0;
  virtual Logger* logger() const = 0;
  // Copy scheduling: a slot is needed for each copy chunk phase.
  virtual bool TryAcquireCopySlot() = 0;
  virtual void ReleaseCopySlot() = 0;
  virtual std::string ThrottleReason() = 0;
  virtual StatusOr<uint64_t> WriteHeartbeat() = 0;
  // Lag of a consumer that has seen heartbeats up to `seen`.
  virtual std::chrono::milliseconds LagAfter(uint64_t seen) const = 0;
  // The lease epoch this host holds (engine_lease.h): every transaction that
  // commits work updates the migration row only while it carries this epoch.
  virtual uint64_t lease_epoch() const = 0;
};

// How stale a staged migration's persisted position may get while its table
// is idle (a restart re-reads at most this much binlog).
inline constexpr std::chrono::seconds kIdleCheckpoint{30};

struct MigrationTuning {
  std::chrono::milliseconds target_chunk_time{500};
  // While the table has writers: a chunk holds its rows' shared locks for
  // its whole duration, and a writer that needs one of them waits that long.
  std::chrono::milliseconds busy_chunk_time{25};
  uint64_t initial_chunk_rows = 1000, min_chunk_rows = 100, max_chunk_rows = 50000;
  size_t batch_items = 200;
  size_t chunks_in_flight = 3;
  std::chrono::seconds lock_wait{10};
  size_t queue_bytes = size_t(32) << 20;
  std::chrono::milliseconds ready_lag{1000};
  bool defer_indexes = true;  // see deferred_indexes.h
};

// "key > cursor" for key expressions `lhs` (column names or literals),
// expanded so that the optimizer reads it as a range; "1"/"0" for kNone/kAll.
// `lhs` (column references or literals) above cursor `c` in key order.
// `enums`, when given, has one entry per key column: the ENUM column of a
// column reference (walked by member number, written with its labels), or
// null.
std::string KeyAboveSql(const std::vector<std::string>& lhs, const Cursor& c,
                        const std::vector<const ColumnMeta*>& enums = {});
// KeyAboveSql's `enums` for `spec`'s walking key (pointers into spec.original).
std::vector<const ColumnMeta*> KeyEnumColumns(const MigrationSpec& spec);

// For integer keys: whether `key` <= `cursor` (tuple order), both decimal
// literals; nullopt when a literal is not a plain decimal integer.
std::optional<bool> KeyAtOrBelowLocally(const std::vector<std::string>& key, const std::vector<std::string>& cursor);

// Orders positions by (file, offset); equal files compare offsets.
bool PositionAfter(const binlog::BinlogPosition& a, const binlog::BinlogPosition& b);

class Migration {
 public:
  Migration(MigrationSpec spec, Checkpoint checkpoint, MigrationState state, MigrationTuning tuning,
            MigrationHost* host);
  ~Migration();  // Stop()

  Status Start();      // Connect(), then Launch()
  Status Connect();    // opens and prepares the writer connection (no thread yet)
  void Launch();       // starts the writer thread (after Connect)
  // Before Launch only: the binlog position it applies from (its checkpoint's).
  void SetStartPosition(const binlog::BinlogPosition& from);
  void Stop();         // joins the writer thread; state unchanged
  bool Enqueue(WorkItem item) { return queue_.Push(std::move(item)); }

  const MigrationSpec& spec() const { return spec_; }
  MigrationProgress Progress() const;
  MigrationState state() const;
  void Pause();
  void Resume();
  // Copy control: a paused copy takes no chunks (and gives its copy slot
  // back); a ratio r > 0 makes the copy rest r x each chunk's duration after
  // it. Applying the binlog goes on in both cases.
  void SetCopyPaused(bool paused);
  void SetThrottleRatio(double ratio);
  double throttle_ratio() const;
  // One sample of the applier's pace (see pace.h); the engine calls it
  // about once a second, from a thread that never waits on the writer.
  void SamplePace();
  Status WaitApplied(uint64_t seq, std::chrono::milliseconds timeout);
  // A consistent point between the original and the shadow: pauses applying,
  // calls `snapshot` (which opens a snapshot of the original and returns its
  // binlog position, a transaction boundary), then applies every binlog
  // transaction up to that position and none after it, and holds until
  // ReleaseHold(). While held, the shadow is exactly the projection of the
  // original as of the snapshot (the checksum opens its snapshot of the
  // shadow then). Returns once held; the transaction that showed the stream
  // past the position (an engine heartbeat at the latest) is applied after
  // the release. Staged migrations only.
  Status HoldAt(const std::function<StatusOr<binlog::BinlogPosition>()>& snapshot,
                std::chrono::milliseconds timeout);
  void ReleaseHold();
  // Marks the migration failed from another thread (e.g. the stream ended);
  // the writer stops at its next step.
  void FailFromOutside(const Status& status);
  // Failed because the server went away (its checkpoint is intact): the
  // engine replaces it with a fresh Migration loaded from the checkpoint.
  bool recoverable() const;
  // The resume point it was created with (before Start only).
  const binlog::BinlogPosition& checkpoint_position() const { return cp_.applied; }
  // Stops the writer and records the final state (and error) in the metadata table.
  Status Finish(MigrationState state, SqlConn& admin);

 private:
  void Run();
  Status Step();
  // Why a failed migration cannot be waited on (mu_ held): Unavailable while
  // it only lost the server, FailedPrecondition otherwise.
  Status FailureLocked() const;
  // Heartbeat-only work while the last checkpoint is recent: noted in memory
  // (no transaction). False if `items` need ApplyBatch.
  Status ApplyUpToHold(std::vector<WorkItem>& items, const binlog::BinlogPosition& hold_at);
  bool TakeHeartbeats(const std::vector<WorkItem>& items);
  Status ApplyBatch(std::vector<WorkItem>& items);
  Status ApplyItems(const std::vector<WorkItem>& items, bool* conflict_in_window);
  // A statement for the shadow and the row change it comes from (for errors).
  struct ShadowWrite {
    std::string sql;
    const binlog::Row* row = nullptr;
    const binlog::BinlogPosition* position = nullptr;
  };
  struct RowOp {
    enum Kind : uint8_t { kInsert, kDelete, kUpdate } kind;
    const binlog::Row* before = nullptr;
    const binlog::Row* after = nullptr;
  };
  // `uncopied_growth`: plus the rows the event adds past the applied cursor (inserts), minus those it removes there.
  Status ApplyRows(const binlog::RowsEvent& ev, const binlog::BinlogPosition& pos, std::vector<ShadowWrite>* out,
                   int64_t* uncopied_growth);
  // A parent's rows event (spec_.cascades): the keys' actions on the shadow.
  Status ApplyCascades(const binlog::RowsEvent& ev, std::vector<ShadowWrite>* out) const;
  // Statements for `ops`; copied[2i] / copied[2i+1]: op i's before / after key is in the copied range.
  void EmitWrites(const std::vector<RowOp>& ops, const std::vector<bool>& copied,
                  const std::vector<std::vector<std::string>>& keys, const binlog::BinlogPosition& pos,
                  std::vector<ShadowWrite>* out) const;
  std::string ShadowValues(const binlog::Row& row) const;    // "(v1, v2, ...)" in shadow column order
  std::string ShadowKeyWhere(const binlog::Row& row) const;  // "k1 = .. AND k2 = .."
  std::string DescribeRow(const binlog::Row& row) const;
  Status DuplicateKeyError(const ShadowWrite& w) const;
  // A follower's write the other schema cannot hold (out of range, too long, NULL, duplicate ...).
  Status FollowerWriteError(const ShadowWrite& w) const;
  Status CheckStatement(const binlog::QueryEvent& q);
  StatusOr<std::vector<bool>> KeysCopied(const std::vector<std::vector<std::string>>& keys);
  Status UndoWindow();
  Status RestartCopy(const binlog::BinlogPosition& from);
  Status CopyChunk();
  // After a chunk met rows another transaction holds: once blocked for a
  // while, asks the server who holds rows and keeps the answer for Progress().
  void NoteCopyBlocked();
  StatusOr<std::optional<std::vector<std::string>>> NextBoundary(uint64_t rows);
  // The copy's shared-lock clause; `nowait`: fail at once on a held row.
  std::string ShareLockClause(bool nowait) const;
  std::string CheckpointSql() const;
  // " AND lease_epoch = N": appended to every UPDATE of the migration row.
  std::string LeaseFence() const;
  // After a fenced UPDATE: an error when it matched no row (another engine
  // took the migration over); the caller rolls its transaction back.
  Status CheckLeaseFence() const;
  // Key columns `lhs` (column references, of the original or the shadow)
  // above `c`: KeyAboveSql with the walking key's ENUM columns.
  std::string KeyAbove(const std::vector<std::string>& lhs, const Cursor& c) const;
  void Fail(const Status& status);
  void Log(LogLevel level, const std::string& message) const;

  const MigrationSpec spec_;
  const MigrationTuning tuning_;
  MigrationHost* const host_;
  WorkQueue queue_;
  SqlConn conn_;  // writer thread only (after Start)
  std::thread thread_;
  std::atomic<bool> stop_{false};

  // Writer-thread state.
  Checkpoint cp_;
  // Copy chunks committed whose marks the applier has not seen yet, oldest
  // first: (copy_seq, cursor that becomes the applied cursor at that mark).
  std::deque<std::pair<uint64_t, Cursor>> pending_;
  bool restart_undo_ = false;  // undo chunks in flight at the last stop before copying on
  uint64_t chunk_rows_;
  ChunkByteBudget chunk_bytes_;  // rows a chunk may carry by size (binlog cache)
  // The next chunk's rows: the adaptive count within what the bytes allow.
  uint64_t ChunkRows() const { return std::min(chunk_rows_, chunk_bytes_.max_rows()); }
  const std::vector<const ColumnMeta*> key_enums_;  // KeyEnumColumns(spec_)
  bool mysql_ = false;  // the server is MySQL (FOR SHARE NOWAIT), not MariaDB (LOCK IN SHARE MODE NOWAIT)
  int copy_conflicts_ = 0;          // consecutive copy conflicts on the same entry
  int copy_conflict_attempts_ = 0;  // copy conflicts since the last chunk that went in
  std::string last_copy_conflict_;
  uint64_t copy_lock_retries_ = 0;  // lock wait timeouts / deadlocks of waiting chunks (for the log)
  std::optional<std::chrono::steady_clock::time_point> copy_blocked_since_;  // first miss since the last chunk in
  std::chrono::steady_clock::time_point copy_blocked_checked_{};
  int copy_nowait_misses_ = 0;      // consecutive chunks that met a row a writer holds
  uint64_t copy_lock_misses_ = 0;   // all such chunks (progress)
  std::chrono::steady_clock::time_point table_written_{};  // last rows event of the table
  int cautious_chunks_ = 0;         // after an undo: chunks still to copy one at a time
  uint64_t catch_up_to_ = 0;   // heartbeat the applier must pass before copying again
  std::atomic<bool> has_slot_{false};  // written by the writer only; read by Progress()
  std::chrono::steady_clock::time_point last_checkpoint_{};
  std::chrono::steady_clock::time_point next_copy_at_{};     // no copy chunk before (rest, throttle)
  std::chrono::steady_clock::time_point copy_turn_ended_{};  // see Step()
  DeferredIndexes deferred_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  MigrationState state_;            // guarded by mu_
  bool paused_ = false;             // guarded by mu_
  bool pause_acked_ = false;        // guarded by mu_: the writer saw paused_
  bool copy_paused_ = false;        // guarded by mu_
  std::optional<binlog::BinlogPosition> hold_at_;  // guarded by mu_: see HoldAt()
  bool holding_ = false;            // guarded by mu_: the writer stopped at hold_at_
  std::vector<WorkItem> held_items_;  // writer only: popped past hold_at_, applied after the release
  double throttle_ratio_ = 0;       // guarded by mu_
  std::string throttle_reason_;     // guarded by mu_: the automatic throttle's, while it holds the copy
  std::string last_error_;          // guarded by mu_
  std::string copy_blocked_note_;   // guarded by mu_: why the copy waits for rows, while it does
  Status failure_;                  // guarded by mu_
  std::chrono::steady_clock::time_point failed_at_;  // guarded by mu_
  uint64_t seen_heartbeat_ = 0;     // guarded by mu_ (applied and committed)
  uint64_t rows_copied_ = 0;        // guarded by mu_
  uint64_t rows_applied_ = 0;       // guarded by mu_
  ApplyPace pace_;                  // guarded by mu_
  CopyPace copy_pace_;              // guarded by mu_
  int64_t uncopied_growth_ = 0;     // guarded by mu_: rows added past the copy since it (re)started
  std::string applied_file_;        // guarded by mu_ (cp_.applied.file, for Progress)
  std::chrono::steady_clock::time_point copy_started_;  // guarded by mu_
  uint64_t copy_rows_at_start_ = 0; // guarded by mu_
};

}  // namespace sealgate::migration
