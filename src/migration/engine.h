// Engine: runs staged shadow-table migrations (DESIGN.md §3) against one
// upstream server. Library only: no client sockets, blocking MySQL client
// calls on its own threads.
//
// One Engine owns one binlog stream that serves every migration (decoded
// once, fanned out by table), a heartbeat writer (lag is measured through
// the binlog), a copy scheduler (at most `max_concurrent_copies` backfills at
// once; every staged migration keeps tailing) and one writer thread per
// migration, the only writer to its shadow table.
//
// Lifetime and durability: state lives in the metadata schema (created on
// first use); one Engine per metadata schema at a time, wherever it runs: it
// holds the schema's lease (engine_lease.h) for its whole life, and a second
// Open fails with FailedPrecondition (error::kDeployNotOwner, naming the
// holder). Destroying the Engine stops all threads without changing any
// migration's state; Engine::Open on the same metadata schema resumes every
// migration that was copying or staged from its checkpoint (no re-copy).
//
// The lease is checked every `lease_check_interval`. When its connection
// is gone (killed, the server restarted) the engine takes the lease back if
// nobody else held it meanwhile (same epoch) and goes on; while the server
// cannot be reached it keeps trying. When someone else has it, the engine
// fences itself — every migration's writer stops, and every call that would
// change something answers FailedPrecondition (kDeployNotOwner) — and
// lease_lost() turns true: destroy it, and Open again to take the lease anew
// if it is free.
// A writer that is still inside a transaction when another Engine takes over
// cannot commit it (the epoch stamped on the migration rows, engine_lease.h).
//
// Thread-safety: all public methods may be called from any thread
// concurrently. Methods that talk to the server block the caller.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <memory>
#include <string>
#include <vector>

#include "binlog/binlog_stream.h"
#include "common/log.h"
#include "common/status.h"
#include "migration/inspector.h"
#include "migration/progress.h"
#include "migration/session_settings.h"
#include "migration/sql_conn.h"
#include "migration/storage_guard.h"
#include "migration/throttler.h"

namespace sealgate::migration {

struct EngineOptions {
  binlog::ServerEndpoint server;          // admin account (ALL on the tables, REPLICATION SLAVE)
  uint32_t replica_server_id = 0;         // required; unique among the server's replicas
  std::string metadata_schema = "_sealgate";
  // Shadow tables are named <shadow_prefix><table>_new. The seal needs shadow
  // names that sort after every original table name (see deploy/seal.h).
  std::string shadow_prefix = "_";
  // Which recorded migrations their owner (the deploys) still needs, read
  // under the lease before any migration is resumed; nullopt: cannot tell,
  // resume all. A recorded copying/staged/failed migration outside the set is
  // an orphan of a deploy that moved on (a crash in its bookkeeping): it is
  // recorded as cancelled — no table is touched — and never resumed, so it
  // can never write into a shadow that is not its own. Unset: resume all.
  std::function<StatusOr<std::optional<std::set<uint64_t>>>(SqlConn& admin)> live_migrations;
  int max_concurrent_copies = 2;
  std::chrono::milliseconds heartbeat_interval{250};
  std::chrono::milliseconds ready_lag{1000};      // staged migrations are ready under this lag
  std::chrono::milliseconds target_chunk_time{500};
  // The target while the table has writers (its rows events were seen in
  // the last second): a chunk's shared row locks make a writer that needs
  // one of those rows wait for the chunk's whole duration.
  std::chrono::milliseconds busy_chunk_time{25};
  uint64_t initial_chunk_rows = 1000;
  uint64_t min_chunk_rows = 100;
  uint64_t max_chunk_rows = 50000;
  // Copy chunks committed ahead of the applier at once (>= 1): more overlaps
  // the copy with the stream's decoding of it; all of them are undone if a
  // unique conflict shows up while they are ahead.
  size_t copy_chunks_in_flight = 3;
  // A chunk never waits for a row a writer holds (NOWAIT): it is tried again,
  // smaller, a moment later. After many such misses in a row one chunk of
  // min_chunk_rows waits, at most this long (innodb_lock_wait_timeout).
  std::chrono::seconds copy_lock_wait{10};
  size_t apply_batch_transactions = 200;  // binlog transactions per shadow transaction
  // Build the shadow's plain secondary indexes after the copy instead of row
  // by row during it (see deferred_indexes.h).
  bool defer_secondary_indexes = true;
  size_t queue_bytes = size_t(32) << 20;  // per migration, bounded: memory stays flat
  std::shared_ptr<Throttler> throttler;   // may be null: never throttle
  // Binlog retention watch (binlog_retention.h): how often the server's
  // binlogs are compared with every migration's checkpoint, and how long
  // before a possible purge a migration carries a warning.
  std::chrono::seconds retention_check_interval{60};
  std::chrono::seconds retention_warn_within{std::chrono::hours(6)};
  StorageLimits storage;                  // refusals at Start (storage_guard.h)
  // The lease: how long Open waits for it (0: try once), how often it is
  // checked, and how this engine is named to others that find it taken.
  std::chrono::seconds lease_wait{3};
  std::chrono::milliseconds lease_check_interval{500};
  std::string owner_label;
  Logger* logger = nullptr;               // not owned; may be null
};

struct MigrationRequest {
  std::string alter_sql;         // one ALTER TABLE statement
  std::string default_schema;    // for an unqualified table name
  PrivilegeCheck* privileges = nullptr;  // borrowed for the call; null = not checked here
  InspectOptions inspect;
  std::optional<SessionSettings> settings;  // the client's, for the ALTER on the shadow
};

struct MigrationNames {
  std::string schema;
  std::string original;
  std::string shadow;
  // Columns of `original` whose values do not reach `shadow` (for a reverse
  // follower: the columns the deploy added).
  std::vector<std::string> unprojected;
};

// Result of Checksum(): ok when every chunk matched.
struct ChecksumReport {
  bool match = true;
  uint64_t chunks = 0;
  uint64_t rows = 0;
  std::string mismatch;  // the first differing key range, when !match
  // Where the time went: opening consistent points (the writer catching up
  // to each snapshot, or the row locks and sentinel per chunk) and reading.
  std::chrono::milliseconds point_time{0};
  std::chrono::milliseconds read_time{0};
  // Resting between chunks: the deploy's THROTTLE RATIO r rests r x each chunk's time, as the copy does.
  std::chrono::milliseconds rest_time{0};
  std::chrono::milliseconds throttled_time{0};  // held by the engine's throttle (Threads_running, replicas, clients)
};

class Engine {
 public:
  // Connects, creates the metadata schema if needed, starts the stream and
  // resumes recorded migrations.
  static StatusOr<std::unique_ptr<Engine>> Open(EngineOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // The inspector's checks alone (read-only): what Start would refuse, and
  // the estimates (rows, shadow size, binlog retention) otherwise.
  StatusOr<InspectReport> Inspect(const MigrationRequest& request);

  // Inspects (refusals carry 7740+ numbers; also when the shadow would not
  // fit, see EngineOptions::storage), builds the shadow, records the
  // migration and starts staging it. Returns the migration id.
  StatusOr<uint64_t> Start(const MigrationRequest& request);

  // Stops the migration and drops its shadow; the original is never touched.
  Status Cancel(uint64_t id);
  // Drops the table migration `id` (running or not) writes into — its shadow,
  // or a follower's kept table — if it is still the table the migration was
  // bound to (table_identity.h); another table of that name is left alone.
  Status DropBoundTable(uint64_t id);
  // Ok when the table migration `id` writes into is still the one it was
  // bound to; FailedPrecondition saying what stands there otherwise.
  Status CheckBound(uint64_t id);

  // Copy control (ALTER DEPLOY). Applying the binlog goes on whatever these
  // say; Progress() reports them. PauseCopy: no copy chunks until ResumeCopy
  // (the copy slot goes to another migration). SetCopyThrottle: after each
  // chunk the copy rests `ratio` x the chunk's duration (0: no rest).
  Status PauseCopy(uint64_t id);
  Status ResumeCopy(uint64_t id);
  Status SetCopyThrottle(uint64_t id, double ratio);
  // Stops the migration and marks it completed without dropping anything
  // (the seal renamed the shadow into place).
  Status Complete(uint64_t id);

  // After a seal swaps migration `id`'s tables (its shadow takes the table's
  // name, the table becomes `target`), a follower follows the table into
  // `target` through the inverse projection (DESIGN.md §4 step 7, revert).
  // Two steps, so that the seal's hold waits only for the second:
  // PrepareInverse records the follower (state 'pending': never resumed,
  // cancelled by a restart) and connects it; StartPrepared, called while the
  // table is held so that nothing is written to it between the last change
  // `id` applied and the swap, records `from` (ServerPosition() read under
  // that hold) and starts it. The follower starts staged (no copy), writes
  // only the columns it projects, and fails rather than cut a value to fit.
  StatusOr<uint64_t> PrepareInverse(uint64_t id, const std::string& target);
  struct FollowerStart {
    uint64_t id = 0;
    bool paused = false;  // it starts with applying paused (Resume lets it go on)
  };
  // Starts prepared followers from one position: one metadata write for all
  // of them (the hold waits for it), then each goes. Nothing is started
  // unless the write is made.
  Status StartPrepared(const std::vector<FollowerStart>& followers, const binlog::BinlogPosition& from);
  // The server's binlog position now (file, offset and GTID state).
  StatusOr<binlog::BinlogPosition> ServerPosition();
  // Stops a migration and marks it cancelled without dropping any table
  // (a follower whose swap did not happen). Works for prepared followers and
  // for ids not running too.
  Status Discard(uint64_t id);

  StatusOr<MigrationProgress> Progress(uint64_t id) const;
  std::vector<MigrationProgress> ListProgress() const;
  StatusOr<MigrationNames> Names(uint64_t id) const;

  // --- hooks for the seal ---------------------------------------------------
  // Writes a sentinel (heartbeat) row and returns its sequence number; every
  // change committed before this call is before the sentinel in the binlog.
  StatusOr<uint64_t> WriteSentinel();
  // Blocks until the migration has applied (committed to the shadow)
  // everything up to sentinel `seq`. DeadlineExceeded after `timeout`;
  // FailedPrecondition if the migration failed or is paused.
  Status WaitApplied(uint64_t id, uint64_t seq, std::chrono::milliseconds timeout);
  // Stops / resumes applying to the shadow. While paused, the shadow is not
  // written at all and the migration's binlog queue fills (then the stream waits).
  Status Pause(uint64_t id);
  Status Resume(uint64_t id);
  // The next AUTO_INCREMENT value of a table (0 if it has none).
  StatusOr<uint64_t> ReadAutoIncrement(const std::string& schema, const std::string& table);

  // The lease was found lost: the engine is fenced (see above) and should be destroyed.
  bool lease_lost() const;

  // Counters of the engine's binlog stream (events read, rows events of
  // tables no migration follows, left undecoded, ...). A replaced stream
  // (reconnect from a checkpoint) starts counting again.
  binlog::StreamStats BinlogStats() const;

  // Compares original and shadow over the projected columns chunk by chunk,
  // each chunk at a consistent point (original range locked in share mode,
  // the applier caught up to a sentinel written under the lock).
  StatusOr<ChecksumReport> Checksum(uint64_t id);

 private:
  struct Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sealgate::migration
