// Engine: metadata, the shared binlog stream and its dispatcher, heartbeats,
// copy scheduling, and the public API over the per-table Migration writers.
#include "migration/engine.h"

#include <algorithm>

#include "migration/engine_internal.h"
#include "migration/shadow.h"
#include "sql/errors.h"

namespace sealgate::migration {
namespace {

uint64_t AsU64(const binlog::Value& v) {
  return v.kind == binlog::ValueKind::kUInt ? v.u : uint64_t(v.i);
}

// Columns of the migrations table, in this order (the dispatcher reads
// id and copy_seq from row images by position).
constexpr const char* kMigrationsDdl =
    "CREATE TABLE IF NOT EXISTS %s (\n"
    "  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,\n"
    "  copy_seq BIGINT UNSIGNED NOT NULL DEFAULT 0,\n"
    "  table_schema VARCHAR(64) NOT NULL, table_name VARCHAR(64) NOT NULL, shadow_name VARCHAR(64) NOT NULL,\n"
    "  alter_sql LONGTEXT NOT NULL, key_name VARCHAR(64) NOT NULL,\n"
    "  state VARCHAR(16) NOT NULL, last_error TEXT NULL,\n"
    "  copy_cursor LONGTEXT NULL, rows_copied BIGINT UNSIGNED NOT NULL DEFAULT 0,\n"
    "  rows_estimated BIGINT UNSIGNED NOT NULL DEFAULT 0,\n"
    "  applied_seq BIGINT UNSIGNED NOT NULL DEFAULT 0, applied_cursor LONGTEXT NULL,\n"
    "  applied_gtid TEXT NOT NULL, applied_file VARCHAR(255) NOT NULL, applied_pos BIGINT UNSIGNED NOT NULL,\n"
    "  created_at DATETIME(6) NOT NULL, updated_at DATETIME(6) NOT NULL,\n"
    "  role VARCHAR(8) NOT NULL DEFAULT 'stage',\n"
    "  lease_epoch BIGINT UNSIGNED NOT NULL DEFAULT 0\n"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

}  // namespace

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

Engine::Impl::~Impl() {
  stop = true;
  stop_cv.notify_all();
  { std::lock_guard<std::mutex> lock(watch_mu); }
  watch_cv.notify_all();
  if (lease_thread.joinable()) lease_thread.join();
  if (heartbeat_thread.joinable()) heartbeat_thread.join();
  if (throttle_thread.joinable()) throttle_thread.join();
  if (retention_thread.joinable()) retention_thread.join();
  {
    std::lock_guard<std::mutex> lock(stream_mu);
    if (sub) sub->Close();
    if (stream) stream->Stop();
  }
  // Writers stop first: their closed queues release a dispatcher blocked on a full one.
  std::map<uint64_t, std::shared_ptr<Migration>> all;
  {
    std::lock_guard<std::mutex> lock(mu);
    all = migrations;
  }
  for (auto& [id, m] : all) m->Stop();
  if (dispatcher.joinable()) dispatcher.join();
  {
    std::lock_guard<std::mutex> lock(mu);
    migrations.clear();
  }
  // Last: the lease goes with its connection, once nothing of this engine runs.
  if (!fenced) lease.Release();
  lease = EngineLease();
}

StatusOr<std::unique_ptr<Engine>> Engine::Open(EngineOptions options) {
  if (options.replica_server_id == 0) return Status::InvalidArgument("replica_server_id is required");
  auto impl = std::make_unique<Impl>(std::move(options));
  const EngineOptions& o = impl->options;
  impl->tuning.target_chunk_time = o.target_chunk_time;
  impl->tuning.busy_chunk_time = std::min(o.busy_chunk_time, o.target_chunk_time);
  impl->tuning.initial_chunk_rows = o.initial_chunk_rows;
  impl->tuning.min_chunk_rows = o.min_chunk_rows;
  impl->tuning.max_chunk_rows = o.max_chunk_rows;
  impl->tuning.batch_items = o.apply_batch_transactions;
  impl->tuning.chunks_in_flight = std::max<size_t>(1, o.copy_chunks_in_flight);
  impl->tuning.lock_wait = std::max(std::chrono::seconds(1), o.copy_lock_wait);
  impl->tuning.queue_bytes = o.queue_bytes;
  impl->tuning.ready_lag = o.ready_lag;
  impl->tuning.defer_indexes = o.defer_secondary_indexes;
  // One engine per metadata schema: it resumes every migration recorded
  // there, and two writers on one shadow would be wrong. The lease comes
  // first: an instance that does not get it touches nothing.
  auto lease = EngineLease::Acquire(o.server, o.metadata_schema, o.owner_label, o.lease_wait);
  if (!lease.ok()) return lease.status();
  impl->lease = std::move(*lease);
  auto admin = SqlConn::Open(o.server);
  if (!admin.ok()) return admin.status();
  impl->admin = std::move(*admin);
  auto hb = SqlConn::Open(o.server);
  if (!hb.ok()) return hb.status();
  impl->hb_conn = std::move(*hb);
  SEALGATE_RETURN_IF_ERROR(impl->CreateMetadata());
  // A former owner that lost its lease without letting go is given the time
  // it needs to notice and stop, so two instances never act as owner at once;
  // the epoch below holds even if it is slower than that.
  if (auto grace = impl->lease.FormerOwnerGrace(); grace.count() > 0) {
    impl->Log(LogLevel::kInfo, "deploy lease taken over from an owner that did not release it: waiting " +
                                   std::to_string(grace.count()) + " ms for it to stop");
    std::this_thread::sleep_for(grace);
  }
  // Before any checkpoint is read: a former owner's writers can no longer commit.
  auto epoch = impl->lease.TakeOver(o.lease_check_interval);
  if (!epoch.ok()) return epoch.status().Annotate("taking over the deploy lease");
  impl->epoch = *epoch;
  SEALGATE_RETURN_IF_ERROR(impl->LoadMigrations());
  // The stream starts at the oldest checkpoint of any running migration, or now.
  binlog::BinlogPosition from;
  bool first = true;
  {
    std::lock_guard<std::mutex> lock(impl->mu);
    for (auto& [id, m] : impl->migrations) {
      (void)id;
      if (m->state() == MigrationState::kFailed) continue;
      const auto& p = m->checkpoint_position();
      if (first || PositionAfter(from, p)) from = p;
      first = false;
    }
  }
  SEALGATE_RETURN_IF_ERROR(impl->StartStream(from));
  Impl* raw = impl.get();
  impl->heartbeat_thread = std::thread([raw] { raw->HeartbeatLoop(); });
  if (impl->options.throttler) impl->throttle_thread = std::thread([raw] { raw->ThrottleLoop(); });
  impl->retention_thread = std::thread([raw] { raw->RetentionLoop(); });
  impl->lease_thread = std::thread([raw] { raw->LeaseLoop(); });
  {
    std::lock_guard<std::mutex> lock(impl->mu);
    for (auto& [id, m] : impl->migrations) {
      (void)id;
      if (m->state() != MigrationState::kFailed) SEALGATE_RETURN_IF_ERROR(m->Start());
    }
  }
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

Status Engine::Impl::CreateMetadata() {
  std::lock_guard<std::mutex> lock(admin_mu);
  SEALGATE_RETURN_IF_ERROR(admin.Exec("CREATE DATABASE IF NOT EXISTS " + QuoteIdent(options.metadata_schema) +
                                      " CHARACTER SET utf8mb4"));
  char ddl[2048];
  std::snprintf(ddl, sizeof ddl, kMigrationsDdl, Table("migrations").c_str());
  SEALGATE_RETURN_IF_ERROR(admin.Exec(ddl));
  // Metadata written by an older sealgate lacks the newer columns: `role`,
  // and `lease_epoch` (the fence of engine_lease.h).
  auto add_if_missing = [&](const std::string& column, const std::string& definition) -> Status {
    auto has = admin.Scalar("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " +
                            admin.Quote(options.metadata_schema) + " AND TABLE_NAME = 'migrations' AND COLUMN_NAME = " +
                            admin.Quote(column));
    if (!has.ok()) return has.status();
    if (has->value_or("0") != "0") return Status::Ok();
    return admin.Exec("ALTER TABLE " + Table("migrations") + " ADD COLUMN " + column + " " + definition);
  };
  SEALGATE_RETURN_IF_ERROR(add_if_missing("role", "VARCHAR(8) NOT NULL DEFAULT 'stage'"));
  SEALGATE_RETURN_IF_ERROR(add_if_missing("lease_epoch", "BIGINT UNSIGNED NOT NULL DEFAULT 0"));
  // The InnoDB table id of the table the migration writes into (table_identity.h).
  SEALGATE_RETURN_IF_ERROR(add_if_missing("target_table_id", "BIGINT UNSIGNED NULL"));
  SEALGATE_RETURN_IF_ERROR(admin.Exec(EngineLease::TableDdl(options.metadata_schema)));
  // One heartbeat row per engine (keyed by its replica id), so engines
  // sharing a metadata schema never read each other's sentinels.
  SEALGATE_RETURN_IF_ERROR(admin.Exec("CREATE TABLE IF NOT EXISTS " + Table("heartbeats") +
                                      " (id INT UNSIGNED NOT NULL PRIMARY KEY, seq BIGINT UNSIGNED NOT NULL, "
                                      "written_at DATETIME(6) NOT NULL) ENGINE=InnoDB"));
  // Secondary indexes each migration builds after its copy (deferred_indexes.h).
  SEALGATE_RETURN_IF_ERROR(admin.Exec("CREATE TABLE IF NOT EXISTS " + Table("deferred_indexes") +
                                      " (migration_id BIGINT UNSIGNED NOT NULL, seq INT UNSIGNED NOT NULL, "
                                      "name VARCHAR(64) NOT NULL, definition TEXT NOT NULL, "
                                      "PRIMARY KEY (migration_id, seq)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"));
  auto seq = admin.Scalar("SELECT seq FROM " + Table("heartbeats") + " WHERE id = " +
                          std::to_string(options.replica_server_id));
  if (!seq.ok()) return seq.status();
  std::lock_guard<std::mutex> hb(hb_mu);
  hb_seq = std::stoull(seq->value_or("0"));
  return Status::Ok();
}

StatusOr<binlog::BinlogPosition> Engine::Impl::ServerPosition() {
  binlog::BinlogPosition p;
  auto gtid = admin.Scalar("SELECT @@global.gtid_binlog_pos");     // MariaDB: every domain
  if (!gtid.ok()) gtid = admin.Scalar("SELECT @@global.gtid_executed");  // MySQL 8
  if (!gtid.ok()) return gtid.status();
  p.gtid_state = gtid->value_or("");
  auto st = admin.Query("SHOW MASTER STATUS");
  if (!st.ok()) return st.status();
  if (st->empty()) return Status::FailedPrecondition("SHOW MASTER STATUS is empty: binary logging is off");
  p.file = st->at(0)[0].value_or("");
  p.offset = std::stoull(st->at(0)[1].value_or("4"));
  return p;
}

Status Engine::Impl::StartStream(const binlog::BinlogPosition& from) {
  binlog::StreamOptions so;
  so.server = options.server;
  so.server_id = options.replica_server_id;
  so.start = from;
  so.logger = options.logger;
  so.column_lookup = [this](const std::string& s, const std::string& t) { return catalog.Lookup(s, t); };
  stream_options = so;
  std::lock_guard<std::mutex> stream_lock(stream_mu);
  stream = std::make_unique<binlog::BinlogStream>(so);
  binlog::SubscriptionOptions sub_options;
  sub_options.include_unrelated = true;
  {
    std::lock_guard<std::mutex> lock(mu);
    sub_options.tables = StreamTables();
  }
  sub = stream->Subscribe(sub_options);
  SEALGATE_RETURN_IF_ERROR(stream->Start());
  dispatcher = std::thread([this] { DispatchLoop(); });
  return Status::Ok();
}

binlog::TableList Engine::Impl::StreamTables() const {
  // Only these tables' rows are decoded: the copy's own INSERT ... SELECT
  // into a shadow writes as many row events as the table has rows, and
  // nobody reads them.
  binlog::TableList tables = {{options.metadata_schema, "heartbeats"}, {options.metadata_schema, "migrations"}};
  for (const auto& [id, m] : migrations) {
    (void)id;
    tables.emplace_back(m->spec().table.schema, m->spec().table.name);
    for (const auto& c : m->spec().cascades) tables.emplace_back(c.parent.schema, c.parent.name);
  }
  return tables;
}

void Engine::Impl::WatchTables() {
  std::lock_guard<std::mutex> stream_lock(stream_mu);
  std::lock_guard<std::mutex> lock(mu);
  if (sub) sub->SetTables(StreamTables());
}

void Engine::Impl::DispatchLoop() {
  auto last_recovery = std::chrono::steady_clock::now();
  while (!stop) {
    if (std::chrono::steady_clock::now() - last_recovery > std::chrono::seconds(1)) {
      last_recovery = std::chrono::steady_clock::now();
      RecoverLost();
      WatchTables();  // drops the tables of migrations that ended
    }
    auto next = sub->Next(std::chrono::milliseconds(200));
    if (next.ok()) {
      if (*next) Dispatch(**next);
      continue;
    }
    if (stop) break;
    if (binlog::IsPositionLost(next.status()) && RestartFromNow()) continue;
    // Other terminal stream errors (credentials, undecodable events): every
    // running migration fails with it; the proxy decides what to do.
    Status st = next.status().Annotate("binlog stream ended");
    Log(LogLevel::kError, st.ToString());
    std::lock_guard<std::mutex> lock(mu);
    for (auto& [id, m] : migrations) {
      (void)id;
      m->FailFromOutside(st);
    }
    break;
  }
}

bool Engine::Impl::RestartFromNow() {
  // The binlog we needed is gone: the shadows cannot be caught up, so they
  // are copied again, with the stream restarted before the new copy.
  StatusOr<binlog::BinlogPosition> pos = Status::Internal("unset");
  {
    std::lock_guard<std::mutex> lock(admin_mu);
    pos = ServerPosition();
  }
  if (!pos.ok()) return false;
  Log(LogLevel::kWarn, "binlog position lost; restarting every copy from " + pos->ToString());
  std::vector<std::shared_ptr<Migration>> targets;
  {
    std::lock_guard<std::mutex> lock(mu);
    for (auto& [id, m] : migrations) targets.push_back(m);
  }
  for (auto& m : targets) {
    WorkItem item;
    item.position = *pos;
    item.restart_copy = true;
    m->Enqueue(std::move(item));
  }
  return ReplaceStream(*pos);
}

bool Engine::Impl::ReplaceStream(const binlog::BinlogPosition& from) {
  // Held throughout, so a migration added meanwhile (WatchTables) is in the
  // fresh subscription's tables before the fresh reader can see its copy.
  std::lock_guard<std::mutex> stream_lock(stream_mu);
  if (stop) return false;
  binlog::StreamOptions so = stream_options;
  so.start = from;
  auto fresh = std::make_unique<binlog::BinlogStream>(so);
  binlog::SubscriptionOptions sub_options;
  sub_options.include_unrelated = true;
  {
    std::lock_guard<std::mutex> lock(mu);
    sub_options.tables = StreamTables();
  }
  auto fresh_sub = fresh->Subscribe(sub_options);
  if (!fresh->Start().ok()) return false;
  stream->Stop();
  stream = std::move(fresh);
  sub = std::move(fresh_sub);
  return true;
}

void Engine::Impl::RecoverLost() {
  if (fenced) return;
  std::vector<std::shared_ptr<Migration>> lost;
  {
    std::lock_guard<std::mutex> lock(mu);
    for (auto& [id, m] : migrations) {
      if (m->recoverable()) lost.push_back(m);
    }
  }
  if (lost.empty()) return;
  std::vector<std::shared_ptr<Migration>> fresh;
  {
    std::lock_guard<std::mutex> lock(admin_mu);
    if (!ReopenAdmin().ok()) return;  // server still away: try again later
    for (auto& m : lost) {
      auto row = admin.Query(std::string(kSelectMigrationSql) + Table("migrations") +
                             " WHERE id = " + std::to_string(m->spec().id));
      if (!row.ok() || row->empty()) return;
      if (CheckBound(row->front()).code() == StatusCode::kFailedPrecondition) return;
      auto loaded = LoadOne(row->front());
      if (!loaded.ok()) return;
      fresh.push_back(*loaded);
    }
  }
  // The replacements start from their checkpoints, which may be behind the
  // stream: restart it there (the others skip what they already applied).
  binlog::BinlogPosition from = fresh.front()->checkpoint_position();
  for (auto& m : fresh) {
    if (PositionAfter(from, m->checkpoint_position())) from = m->checkpoint_position();
  }
  for (size_t i = 0; i < lost.size(); ++i) {
    lost[i]->Stop();
    {
      std::lock_guard<std::mutex> lock(mu);
      migrations[fresh[i]->spec().id] = fresh[i];
    }
    if (!fresh[i]->Start().ok()) fresh[i]->FailFromOutside(Status::Unavailable("reconnecting the writer"));
    Log(LogLevel::kWarn, "migration " + std::to_string(fresh[i]->spec().id) + " resumed from its checkpoint " +
                             fresh[i]->checkpoint_position().ToString() + " after losing the server");
  }
  if (!ReplaceStream(from)) Log(LogLevel::kError, "could not restart the binlog stream at " + from.ToString());
}

Status Engine::Impl::ReopenAdmin() {
  if (admin.connected() && admin.Exec("DO 1").ok()) return Status::Ok();
  auto c = SqlConn::Open(options.server);
  if (!c.ok()) return c.status();
  admin = std::move(*c);
  return Status::Ok();
}

Status Engine::Impl::Owned() const {
  if (!fenced.load()) return Status::Ok();
  return Status::FailedPrecondition("this sealgate lost the deploy lease of metadata schema `" +
                                    options.metadata_schema + "` and stands by; another instance may own the "
                                    "deploys now: retry in a few seconds")
      .WithMysqlError(error::kDeployNotOwner, error::kSqlstateGeneral);
}

void Engine::Impl::LeaseLoop() {
  bool unconfirmed = false;
  while (!stop && !fenced) {
    {
      std::unique_lock<std::mutex> lock(watch_mu);
      watch_cv.wait_for(lock, options.lease_check_interval, [this] { return stop.load(); });
    }
    if (stop) break;
    Status held = lease.Check();
    if (held.ok()) {
      if (unconfirmed) Log(LogLevel::kInfo, "deploy lease confirmed again");
      unconfirmed = false;
      continue;
    }
    // The lease connection is gone, not necessarily the lease: take it
    // again if nobody else held it meanwhile (a server restart, a KILL).
    Status again = lease.Reacquire();
    if (again.ok()) {
      Log(LogLevel::kWarn, "deploy lease connection lost (" + held.ToString() +
                                  "); lease taken again, nobody held it meanwhile");
      unconfirmed = false;
    } else if (again.code() == StatusCode::kUnavailable) {
      // The server cannot be reached: nobody can take the lease there now
      // either, and none of this engine's work can land. Decided once it can.
      if (!unconfirmed) Log(LogLevel::kWarn, "deploy lease unconfirmed: " + again.ToString());
      unconfirmed = true;
    } else {
      Fence(again);
    }
  }
}

void Engine::Impl::Fence(const Status& why) {
  // From here nothing of this engine may change a shadow, a checkpoint or a
  // table: another instance may take the lease at any moment. Writers still
  // inside a transaction cannot commit it once that happens (the epoch).
  fenced = true;
  Log(LogLevel::kError, "lost the deploy lease (" + why.ToString() + "): stopping every migration");
  std::vector<std::shared_ptr<Migration>> all;
  {
    std::lock_guard<std::mutex> lock(mu);
    for (auto& [id, m] : migrations) all.push_back(m);
  }
  for (auto& m : all) m->Stop();
  lease = EngineLease();
}

void Engine::Impl::Dispatch(const binlog::Transaction& txn) {
  RecordBinlogTime(txn.position.file, txn.timestamp);
  std::optional<uint64_t> heartbeat;
  std::map<uint64_t, uint64_t> marks;  // migration id -> copy_seq committed here
  const std::string& meta = options.metadata_schema;
  for (const auto& r : txn.rows) {
    if (r->table->schema != meta) continue;
    if (r->table->table == "heartbeats") {
      for (const auto& row : r->after) {
        if (row.size() > 1 && AsU64(row[0]) == options.replica_server_id) {
          heartbeat = std::max(heartbeat.value_or(0), AsU64(row[1]));
        }
      }
    } else if (r->table->table == "migrations" && r->kind == binlog::RowsKind::kUpdate) {
      for (size_t i = 0; i < r->after.size(); ++i) {
        if (r->after[i].size() < 2) continue;
        uint64_t id = AsU64(r->after[i][0]), seq = AsU64(r->after[i][1]);
        if (seq != AsU64(r->before[i][1])) marks[id] = seq;
      }
    }
  }
  std::vector<std::shared_ptr<Migration>> targets;
  {
    std::lock_guard<std::mutex> lock(mu);
    for (auto& [id, m] : migrations) targets.push_back(m);
  }
  for (auto& m : targets) {
    const auto& t = m->spec().table;
    WorkItem item;
    item.position = txn.position;
    for (const auto& r : txn.rows) {
      bool parent = false;  // of a key that changes this table's rows without a binlog event
      for (const auto& c : m->spec().cascades) {
        parent = parent || (r->table->schema == c.parent.schema && r->table->table == c.parent.name);
      }
      if (parent || (r->table->schema == t.schema && r->table->table == t.name)) item.rows.push_back(r);
    }
    for (const auto& q : txn.statements) {
      for (const auto& named : q->tables) {
        if (named.first == t.schema && named.second == t.name) {
          item.statements.push_back(q);
          break;
        }
      }
    }
    auto mark = marks.find(m->spec().id);
    if (mark != marks.end()) item.copy_mark = mark->second;
    item.heartbeat = heartbeat;
    if (item.rows.empty() && item.statements.empty() && !item.copy_mark && !item.heartbeat) continue;
    item.bytes = item.rows.empty() ? 256 : txn.bytes + 256;
    m->Enqueue(std::move(item));
  }
}

void Engine::Impl::HeartbeatLoop() {
  std::mutex wait_mu;
  while (!stop) {
    auto st = WriteHeartbeat();
    if (!st.ok()) Log(LogLevel::kWarn, "heartbeat: " + st.status().ToString());
    // The appliers' pace, about once a second (ApplyPace ignores closer samples).
    std::vector<std::shared_ptr<Migration>> all;
    {
      std::lock_guard<std::mutex> lock(mu);
      for (auto& [id, m] : migrations) all.push_back(m);
    }
    for (auto& m : all) m->SamplePace();
    std::unique_lock<std::mutex> lock(wait_mu);
    stop_cv.wait_for(lock, options.heartbeat_interval, [&] { return stop.load(); });
  }
}

StatusOr<uint64_t> Engine::Impl::WriteHeartbeat() {
  std::lock_guard<std::mutex> write(hb_write_mu);
  uint64_t seq;
  {
    std::lock_guard<std::mutex> lock(hb_mu);
    seq = ++hb_seq;
    hb_written.emplace_back(seq, std::chrono::steady_clock::now());
    while (hb_written.size() > 100000) hb_written.pop_front();
  }
  std::string sql = "INSERT INTO " + Table("heartbeats") + " (id, seq, written_at) VALUES (" +
                    std::to_string(options.replica_server_id) + ", " + std::to_string(seq) +
                    ", NOW(6)) ON DUPLICATE KEY UPDATE seq = VALUES(seq), written_at = VALUES(written_at)";
  Status st = hb_conn.Exec(sql);
  if (!st.ok() && st.code() == StatusCode::kUnavailable) {
    auto c = SqlConn::Open(options.server);
    if (!c.ok()) return c.status();
    hb_conn = std::move(*c);
    st = hb_conn.Exec(sql);
  }
  if (!st.ok()) return st;
  return seq;
}

std::chrono::milliseconds Engine::Impl::LagAfter(uint64_t seen) const {
  std::lock_guard<std::mutex> lock(hb_mu);
  // The oldest heartbeat not yet applied has been waiting this long.
  auto it = std::upper_bound(hb_written.begin(), hb_written.end(), seen,
                             [](uint64_t s, const auto& entry) { return s < entry.first; });
  if (it == hb_written.end()) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - it->second);
}

bool Engine::Impl::TryAcquireCopySlot() {
  std::lock_guard<std::mutex> lock(mu);
  if (copies_running >= options.max_concurrent_copies) return false;
  ++copies_running;
  return true;
}

void Engine::Impl::ReleaseCopySlot() {
  std::lock_guard<std::mutex> lock(mu);
  --copies_running;
}

binlog::StreamStats Engine::BinlogStats() const {
  std::lock_guard<std::mutex> lock(impl_->stream_mu);
  return impl_->stream ? impl_->stream->stats() : binlog::StreamStats{};
}

std::shared_ptr<Migration> Engine::Impl::Find(uint64_t id) const {
  std::lock_guard<std::mutex> lock(mu);
  auto it = migrations.find(id);
  return it == migrations.end() ? nullptr : it->second;
}

}  // namespace sealgate::migration
