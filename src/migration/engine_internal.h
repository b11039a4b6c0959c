// Engine internals shared by engine.cc and engine_checksum.cc.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "binlog/column_catalog.h"
#include "migration/binlog_retention.h"
#include "migration/engine.h"
#include "migration/engine_lease.h"
#include "migration/migration.h"

namespace sealgate::migration {

// SELECT list LoadOne expects (append the table and a WHERE clause).
inline constexpr const char* kSelectMigrationSql =
    "SELECT id, table_schema, table_name, shadow_name, alter_sql, key_name, state, IFNULL(last_error, ''), "
    "copy_seq, copy_cursor, rows_copied, rows_estimated, applied_seq, applied_cursor, applied_gtid, applied_file, "
    "applied_pos, role, target_table_id FROM ";

struct Engine::Impl : public MigrationHost {
  explicit Impl(EngineOptions o) : options(std::move(o)), catalog(options.server) {}
  ~Impl() override;

  // MigrationHost
  const binlog::ServerEndpoint& server() const override { return options.server; }
  Logger* logger() const override { return options.logger; }
  bool TryAcquireCopySlot() override;
  void ReleaseCopySlot() override;
  std::string ThrottleReason() override;  // the throttle watch's latest answer (engine_guards.cc)
  StatusOr<uint64_t> WriteHeartbeat() override;
  std::chrono::milliseconds LagAfter(uint64_t seen) const override;
  uint64_t lease_epoch() const override { return epoch; }

  // The lease watch (engine.cc): checks the lease; when it is gone, Fence().
  void LeaseLoop();
  void Fence(const Status& why);
  // Ok unless fenced: then the error every changing call answers.
  Status Owned() const;

  // Guards (engine_guards.cc): the throttle and binlog retention watches, each
  // on a thread of its own, and the storage check of Start().
  void ThrottleLoop();
  void RetentionLoop();
  void CheckRetention();  // retention thread only
  void RecordBinlogTime(const std::string& file, uint32_t timestamp);
  void AddRetention(MigrationProgress* p) const;
  Status CheckStorage(uint64_t new_bytes);  // admin_mu held

  Status CreateMetadata();
  Status LoadMigrations();
  StatusOr<std::shared_ptr<Migration>> LoadOne(const SqlRow& row);
  // The table a migration row writes into (its shadow_name) is still the one
  // it was bound to (table_identity.h).
  Status CheckBound(const SqlRow& row);
  // The same for migration `id`, read from its row; `*target` is the table
  // it writes into. admin_mu held.
  Status CheckBoundById(uint64_t id, sql::TableName* target);
  // Drops the table migration `id` writes into, if it is still the one it
  // was bound to; another table under that name is left alone (logged).
  // admin_mu held.
  Status DropBound(uint64_t id);
  // The InnoDB table id to bind a migration to, or nullopt when it cannot be
  // read (logged once): bound by name only then. admin_mu held.
  std::optional<uint64_t> BindingOf(const std::string& schema, const std::string& table);
  bool binding_warned = false;
  Status StartStream(const binlog::BinlogPosition& from);
  // The tables whose binlog rows the engine reads: the metadata tables the
  // dispatcher watches and every migration's table (mu held).
  binlog::TableList StreamTables() const;
  // Points the subscription at StreamTables(). Call after adding a migration
  // and before it copies: the rows of its table are decoded from then on.
  void WatchTables();
  void DispatchLoop();
  bool RestartFromNow();  // after a lost position; false if the stream cannot restart
  bool ReplaceStream(const binlog::BinlogPosition& from);  // dispatcher thread only
  // Replaces migrations that failed on a lost connection by fresh ones
  // loaded from their checkpoints (dispatcher thread).
  void RecoverLost();
  Status ReopenAdmin();  // admin_mu held
  void Dispatch(const binlog::Transaction& txn);
  void HeartbeatLoop();
  StatusOr<binlog::BinlogPosition> ServerPosition();
  std::shared_ptr<Migration> Find(uint64_t id) const;
  std::string Table(const std::string& name) const { return QuoteTable(options.metadata_schema, name); }
  void Log(LogLevel level, const std::string& m) const {
    if (options.logger) options.logger->Log(level, "engine", m);
  }

  EngineOptions options;
  MigrationTuning tuning;

  EngineLease lease;     // lease thread only, after Open
  uint64_t epoch = 0;    // set by Open before any migration starts
  std::atomic<bool> fenced{false};
  std::thread lease_thread;
  binlog::ServerColumnCatalog catalog;  // stream reader thread only

  std::mutex admin_mu;
  SqlConn admin;  // guarded by admin_mu
  std::mutex start_mu;  // one Start() at a time

  binlog::StreamOptions stream_options;
  // Guards replacing stream/sub (dispatcher) against shutdown and against
  // WatchTables; taken before mu.
  std::mutex stream_mu;
  std::unique_ptr<binlog::BinlogStream> stream;
  std::shared_ptr<binlog::Subscription> sub;
  std::thread dispatcher, heartbeat_thread;
  std::atomic<bool> stop{false};

  mutable std::mutex mu;
  std::condition_variable stop_cv;
  std::map<uint64_t, std::shared_ptr<Migration>> migrations;  // guarded by mu
  // Followers connected by PrepareInverse, not started yet (not in `migrations`).
  std::map<uint64_t, std::shared_ptr<Migration>> prepared;  // guarded by mu
  int copies_running = 0;                                     // guarded by mu

  // The watches sleep on watch_cv; ~Impl takes watch_mu before notifying so
  // that no wake-up is lost.
  std::thread throttle_thread, retention_thread;
  std::mutex watch_mu;
  std::condition_variable watch_cv;
  std::string throttle_reason;                                // guarded by watch_mu
  std::chrono::steady_clock::time_point throttle_asked{};    // guarded by watch_mu
  SqlConn watch_conn;                                         // retention thread only
  mutable std::mutex retention_mu;
  std::map<std::string, int64_t> binlog_times;               // file -> last event read; guarded by retention_mu
  std::map<uint64_t, RetentionVerdict> retention;            // by migration id; guarded by retention_mu

  std::mutex hb_write_mu;  // serialises heartbeat writes
  SqlConn hb_conn;         // guarded by hb_write_mu
  mutable std::mutex hb_mu;
  uint64_t hb_seq = 0;                                                      // guarded by hb_mu
  std::deque<std::pair<uint64_t, std::chrono::steady_clock::time_point>> hb_written;  // guarded by hb_mu
};

}  // namespace sealgate::migration
