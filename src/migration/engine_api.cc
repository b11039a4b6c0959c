// Engine: starting, resuming and controlling migrations.
#include <strings.h>

#include "migration/engine_internal.h"
#include "migration/shadow.h"
#include "migration/table_identity.h"
#include "sql/errors.h"

namespace sealgate::migration {

Status Engine::Impl::LoadMigrations() {
  std::lock_guard<std::mutex> lock(admin_mu);
  // A follower prepared for a seal that this restart interrupted before its
  // position was recorded: its swap cannot have happened (StartPrepared
  // runs before the RENAME is let through).
  SEALGATE_RETURN_IF_ERROR(admin.Exec("UPDATE " + Table("migrations") + " SET state = 'cancelled', last_error = "
                                      "'prepared for a seal that did not finish' WHERE state = 'pending'"));
  auto rows = admin.Query(std::string(kSelectMigrationSql) + Table("migrations") +
                          " WHERE state IN ('copying', 'staged', 'failed') ORDER BY id");
  if (!rows.ok()) return rows.status();
  std::optional<std::set<uint64_t>> live;
  if (options.live_migrations) {
    auto known = options.live_migrations(admin);
    if (!known.ok()) return known.status().Annotate("reading which migrations the deploys need");
    live = std::move(*known);
  }
  for (const SqlRow& r : *rows) {
    uint64_t id = std::strtoull(r[0].value_or("0").c_str(), nullptr, 10);
    if (live && !live->count(id)) {
      Log(LogLevel::kWarn, "migration " + std::to_string(id) + " of " + r[1].value_or("") + "." + r[2].value_or("") +
                               " is not needed by any deploy (its deploy moved on before a restart): recorded as "
                               "cancelled, not resumed; no table touched");
      SEALGATE_RETURN_IF_ERROR(admin.Exec("UPDATE " + Table("migrations") + " SET state = 'cancelled', last_error = "
                                          "'orphaned: its deploy moved on' WHERE id = " + std::to_string(id)));
      continue;
    }
    Status bound = CheckBound(r);
    if (!bound.ok() && bound.code() != StatusCode::kFailedPrecondition) {
      // Not known now (a lost connection, no PROCESS privilege): resumed as before bindings.
      Log(LogLevel::kWarn, "migration " + std::to_string(id) + ": its table binding cannot be checked: " +
                               bound.message());
    } else if (!bound.ok()) {
      Log(LogLevel::kError, "migration " + std::to_string(id) + " is not resumed: " + bound.message());
      SEALGATE_RETURN_IF_ERROR(admin.Exec("UPDATE " + Table("migrations") + " SET state = 'failed', last_error = " +
                                          admin.Quote(bound.message()) + " WHERE id = " + std::to_string(id)));
      continue;
    }
    auto m = LoadOne(r);
    if (!m.ok()) {
      Log(LogLevel::kError, "cannot resume migration " + r[0].value_or("?") + ": " + m.status().ToString());
      continue;
    }
    std::lock_guard<std::mutex> mlock(mu);
    migrations[(*m)->spec().id] = *m;
  }
  return Status::Ok();
}

namespace {

Status NoSuch(uint64_t id) { return Status::NotFound("no migration with id " + std::to_string(id)); }

std::optional<uint64_t> RecordedBinding(const std::optional<std::string>& value) {
  if (!value || value->empty()) return std::nullopt;
  return std::strtoull(value->c_str(), nullptr, 10);
}

std::string Binding(const std::optional<uint64_t>& id) { return id ? std::to_string(*id) : std::string("NULL"); }

}  // namespace

Status Engine::Impl::CheckBound(const SqlRow& r) {
  return CheckBoundTable(admin, r[1].value_or(""), r[3].value_or(""), RecordedBinding(r[18]));
}

std::optional<uint64_t> Engine::Impl::BindingOf(const std::string& schema, const std::string& table) {
  auto id = InnodbTableId(admin, schema, table);
  if (id.ok() && *id) return *id;
  if (!binding_warned) {
    binding_warned = true;
    Log(LogLevel::kWarn, "cannot read InnoDB table ids (" + (id.ok() ? std::string("not found") : id.status().message()) +
                             "; the PROCESS privilege is needed): migrations are bound to their tables by name only");
  }
  return std::nullopt;
}

Status Engine::Impl::CheckBoundById(uint64_t id, sql::TableName* target) {
  auto row = admin.Query("SELECT table_schema, shadow_name, target_table_id FROM " + Table("migrations") +
                         " WHERE id = " + std::to_string(id));
  if (!row.ok()) return row.status();
  if (row->empty()) return NoSuch(id);
  *target = {(*row)[0][0].value_or(""), (*row)[0][1].value_or("")};
  return CheckBoundTable(admin, target->schema, target->name, RecordedBinding((*row)[0][2]));
}

Status Engine::Impl::DropBound(uint64_t id) {
  sql::TableName target;
  Status bound = CheckBoundById(id, &target);
  if (!bound.ok() && bound.code() != StatusCode::kFailedPrecondition) return bound;  // not known: nothing dropped
  if (!bound.ok()) {
    Log(LogLevel::kWarn, "migration " + std::to_string(id) + ": not dropped: " + bound.message());
    return Status::Ok();
  }
  return admin.Exec("DROP TABLE IF EXISTS " + QuoteTable(target.schema, target.name));
}

StatusOr<std::shared_ptr<Migration>> Engine::Impl::LoadOne(const SqlRow& r) {
  auto alter = sql::AnalyzeAlter(r[4].value_or(""));
  if (!alter.ok()) return alter.status();
  const MigrationRole role = ParseMigrationRole(r[17].value_or("stage"));
  const std::string schema = r[1].value_or(""), table = r[2].value_or(""), shadow = r[3].value_or("");
  // The projection is always described old schema -> new schema (the ALTER's
  // direction); a reverse follower reads the new-schema table into the old one.
  const bool reverse = role == MigrationRole::kReverse;
  alter->table = {schema, reverse ? shadow : table};
  auto original = LoadTableSchema(admin, alter->table);
  if (!original.ok()) return original.status();
  const TableSchema::Key* key = nullptr;
  for (const auto& k : original->unique_keys) {
    if (k.name == r[5].value_or("")) key = &k;
  }
  if (!key) return Status::FailedPrecondition("key " + r[5].value_or("") + " is gone from the original");
  auto spec = DescribeShadow(admin, *alter, *original, *key, reverse ? table : shadow);
  if (!spec.ok()) return spec.status();
  if (reverse) {
    spec = InverseSpec(*spec, {schema, table}, shadow);
  } else {
    spec->role = role;
  }
  spec->id = std::stoull(r[0].value_or("0"));
  spec->meta_schema = options.metadata_schema;
  auto cascades = ReadCascades(admin, spec->table);
  if (!cascades.ok()) return cascades.status();
  spec->cascades = std::move(*cascades);
  spec->rows_estimated = std::stoull(r[11].value_or("0"));
  Checkpoint cp;
  cp.copy_seq = std::stoull(r[8].value_or("0"));
  cp.copy_cursor = Cursor::Parse(r[9]);
  cp.rows_copied = std::stoull(r[10].value_or("0"));
  cp.applied_seq = std::stoull(r[12].value_or("0"));
  cp.applied_cursor = Cursor::Parse(r[13]);
  cp.applied = {r[14].value_or(""), r[15].value_or(""), std::stoull(r[16].value_or("0"))};
  auto m = std::make_shared<Migration>(std::move(*spec), std::move(cp), ParseMigrationState(r[6].value_or("")),
                                       tuning, this);
  if (m->state() == MigrationState::kFailed) m->FailFromOutside(Status::Aborted(r[7].value_or("")));
  return m;
}

namespace {

StatusOr<sql::AlterTable> Analyze(const MigrationRequest& request) {
  auto alter = sql::AnalyzeAlter(request.alter_sql);
  if (!alter.ok()) return alter.status();
  if (alter->table.schema.empty()) alter->table.schema = request.default_schema;
  if (alter->table.schema.empty()) {
    return Status::InvalidArgument("no database selected: qualify the table name or USE a database")
        .WithMysqlError(1046, "3D000");
  }
  for (const auto& spec : alter->specs) {
    if (!spec.foreign_key || spec.kind == sql::AlterSpecKind::kDropConstraint) continue;
    return Status::FailedPrecondition(
               "a foreign key cannot be added by a table copy (`" + spec.text +
               "`): send ADD/DROP FOREIGN KEY as a plain ALTER TABLE of its own outside a deploy block (sealgate "
               "checks the rows for orphans, then adds it without a copy), or add the comment "
               "/*sealgate:passthrough*/ to have the server run the statement as written")
        .WithMysqlError(error::kAlterAddsForeignKey, error::kSqlstateNotSupported);
  }
  return alter;
}

}  // namespace

StatusOr<InspectReport> Engine::Inspect(const MigrationRequest& request) {
  auto alter = Analyze(request);
  if (!alter.ok()) return alter.status();
  std::lock_guard<std::mutex> admin_lock(impl_->admin_mu);
  SEALGATE_RETURN_IF_ERROR(impl_->ReopenAdmin());
  return migration::Inspect(impl_->admin, *alter, request.inspect, request.privileges);
}

StatusOr<uint64_t> Engine::Start(const MigrationRequest& request) {
  SEALGATE_RETURN_IF_ERROR(impl_->Owned());
  Impl& d = *impl_;
  auto alter = Analyze(request);
  if (!alter.ok()) return alter.status();
  std::lock_guard<std::mutex> start(d.start_mu);
  std::lock_guard<std::mutex> admin_lock(d.admin_mu);
  SEALGATE_RETURN_IF_ERROR(d.ReopenAdmin());
  auto report = migration::Inspect(d.admin, *alter, request.inspect, request.privileges);
  if (!report.ok()) return report.status();
  SEALGATE_RETURN_IF_ERROR(d.CheckStorage(report->estimated_bytes));
  {
    std::lock_guard<std::mutex> lock(d.mu);
    for (auto& [id, m] : d.migrations) {
      if (m->spec().table == alter->table) {
        return Refusal(error::kMigrationTableBusy, "`" + alter->table.name + "` is already being migrated (id " +
                                                       std::to_string(id) + "): cancel that first");
      }
    }
  }
  auto shadow = ChooseShadowName(d.admin, alter->table, d.options.shadow_prefix);
  if (!shadow.ok()) return shadow.status();
  // Transactions before this point are the copy's business, not the applier's.
  auto pos = d.ServerPosition();
  if (!pos.ok()) return pos.status();
  auto spec = BuildShadow(d.admin, *alter, *report, *shadow, request.settings);
  if (!spec.ok()) return spec.status();
  const std::optional<uint64_t> bound = d.BindingOf(alter->table.schema, *shadow);
  auto cascades = ReadCascades(d.admin, alter->table);
  if (!cascades.ok()) {
    (void)d.admin.Exec("DROP TABLE IF EXISTS " + QuoteTable(alter->table.schema, *shadow));
    return cascades.status();
  }
  spec->cascades = std::move(*cascades);
  SqlConn& a = d.admin;
  Status st = a.Exec("INSERT INTO " + d.Table("migrations") +
                     " (table_schema, table_name, shadow_name, alter_sql, key_name, state, rows_estimated, "
                     "applied_gtid, applied_file, applied_pos, created_at, updated_at, lease_epoch, target_table_id) "
                     "VALUES (" +
                     a.Quote(alter->table.schema) + ", " + a.Quote(alter->table.name) + ", " + a.Quote(*shadow) +
                     ", " + a.Quote(request.alter_sql) + ", " + a.Quote(spec->key_index) + ", 'copying', " +
                     std::to_string(report->estimated_rows) + ", " + a.Quote(pos->gtid_state) + ", " +
                     a.Quote(pos->file) + ", " + std::to_string(pos->offset) + ", NOW(6), NOW(6), " +
                     std::to_string(d.epoch) + ", " + Binding(bound) + ")");
  auto id = st.ok() ? a.Scalar("SELECT LAST_INSERT_ID()") : StatusOr<std::optional<std::string>>(st);
  if (!id.ok()) {
    (void)a.Exec("DROP TABLE IF EXISTS " + QuoteTable(alter->table.schema, *shadow));
    return id.status();
  }
  spec->id = std::stoull(id->value_or("0"));
  spec->meta_schema = d.options.metadata_schema;
  Checkpoint cp;
  cp.applied = *pos;
  auto m = std::make_shared<Migration>(std::move(*spec), std::move(cp), MigrationState::kCopying, d.tuning, &d);
  {
    // From here on the dispatcher routes this table's transactions to the
    // migration: the subscription is in place before the first copy chunk.
    std::lock_guard<std::mutex> lock(d.mu);
    d.migrations[m->spec().id] = m;
  }
  d.WatchTables();
  SEALGATE_RETURN_IF_ERROR(m->Start());
  d.Log(LogLevel::kInfo, "migration " + std::to_string(m->spec().id) + " started: " + alter->table.schema + "." +
                             alter->table.name + " -> " + *shadow);
  return m->spec().id;
}


// Removes a migration from the engine's map (it no longer receives binlog work).
StatusOr<std::shared_ptr<Migration>> TakeMigration(std::mutex& mu,
                                                   std::map<uint64_t, std::shared_ptr<Migration>>& migrations,
                                                   uint64_t id) {
  std::lock_guard<std::mutex> lock(mu);
  auto it = migrations.find(id);
  if (it == migrations.end()) return NoSuch(id);
  std::shared_ptr<Migration> m = it->second;
  migrations.erase(it);
  return m;
}

Status Engine::Cancel(uint64_t id) {
  SEALGATE_RETURN_IF_ERROR(impl_->Owned());
  Impl& d = *impl_;
  auto taken = TakeMigration(d.mu, d.migrations, id);
  if (!taken.ok()) return taken.status();
  std::shared_ptr<Migration> m = *taken;
  std::lock_guard<std::mutex> admin_lock(d.admin_mu);
  SEALGATE_RETURN_IF_ERROR(d.ReopenAdmin());
  SEALGATE_RETURN_IF_ERROR(m->Finish(MigrationState::kCancelled, d.admin));
  // Only the shadow is dropped; the original is never touched.
  return d.DropBound(id);
}

Status Engine::DropBoundTable(uint64_t id) {
  SEALGATE_RETURN_IF_ERROR(impl_->Owned());
  std::lock_guard<std::mutex> admin_lock(impl_->admin_mu);
  SEALGATE_RETURN_IF_ERROR(impl_->ReopenAdmin());
  return impl_->DropBound(id);
}

Status Engine::CheckBound(uint64_t id) {
  std::lock_guard<std::mutex> admin_lock(impl_->admin_mu);
  SEALGATE_RETURN_IF_ERROR(impl_->ReopenAdmin());
  sql::TableName target;
  return impl_->CheckBoundById(id, &target);
}

StatusOr<uint64_t> Engine::PrepareInverse(uint64_t id, const std::string& target) {
  SEALGATE_RETURN_IF_ERROR(impl_->Owned());
  Impl& d = *impl_;
  auto m = d.Find(id);
  if (!m) return NoSuch(id);
  const MigrationSpec& spec = m->spec();
  MigrationSpec inv = InverseSpec(spec, spec.table, target);
  inv.cascades = spec.cascades;  // the same keys, on the table it follows
  std::unique_lock<std::mutex> admin_lock(d.admin_mu);
  SEALGATE_RETURN_IF_ERROR(d.ReopenAdmin());
  SqlConn& a = d.admin;
  // The swap renames the table now under the followed name to `target`,
  // keeping its id: the follower is bound to it.
  const std::optional<uint64_t> bound = d.BindingOf(spec.table.schema, spec.table.name);
  // Recorded 'pending': never resumed, and taken for nothing by a restart,
  // until StartPrepared records where it follows from. The ALTER and key name
  // stay those of the staged migration: a follower is always described by
  // the projection old schema -> new schema.
  Status st = a.Exec("INSERT INTO " + d.Table("migrations") +
                     " (table_schema, table_name, shadow_name, alter_sql, key_name, state, copy_cursor, applied_cursor,"
                     " applied_gtid, applied_file, applied_pos, created_at, updated_at, role, lease_epoch, "
                     "target_table_id) "
                     "SELECT table_schema, " +
                     a.Quote(inv.table.name) + ", " + a.Quote(target) + ", alter_sql, key_name, 'pending', '*', '*', "
                     "'', '', 0, NOW(6), NOW(6), " + a.Quote(MigrationRoleName(inv.role)) + ", " +
                     std::to_string(d.epoch) + ", " + Binding(bound) + " FROM " + d.Table("migrations") +
                     " WHERE id = " + std::to_string(id));
  auto new_id = st.ok() ? a.Scalar("SELECT LAST_INSERT_ID()") : StatusOr<std::optional<std::string>>(st);
  if (!new_id.ok()) return new_id.status();
  inv.id = std::stoull(new_id->value_or("0"));
  admin_lock.unlock();  // several followers are prepared at once
  Checkpoint cp;
  cp.copy_cursor.kind = Cursor::kAll;
  cp.applied_cursor.kind = Cursor::kAll;
  auto follower = std::make_shared<Migration>(std::move(inv), std::move(cp), MigrationState::kStaged, d.tuning, &d);
  const uint64_t follower_id = follower->spec().id;
  Status connected = follower->Connect();
  if (!connected.ok()) {
    (void)Discard(follower_id);
    return connected;
  }
  std::lock_guard<std::mutex> lock(d.mu);
  d.prepared[follower_id] = std::move(follower);
  return follower_id;
}

StatusOr<binlog::BinlogPosition> Engine::ServerPosition() {
  std::lock_guard<std::mutex> admin_lock(impl_->admin_mu);
  SEALGATE_RETURN_IF_ERROR(impl_->ReopenAdmin());
  return impl_->ServerPosition();
}

Status Engine::StartPrepared(const std::vector<FollowerStart>& followers, const binlog::BinlogPosition& from) {
  SEALGATE_RETURN_IF_ERROR(impl_->Owned());
  if (followers.empty()) return Status::Ok();
  Impl& d = *impl_;
  std::vector<std::shared_ptr<Migration>> found;
  std::string ids;
  {
    std::lock_guard<std::mutex> lock(d.mu);
    for (const auto& f : followers) {
      auto it = d.prepared.find(f.id);
      if (it == d.prepared.end()) return NoSuch(f.id);
      found.push_back(it->second);
      ids += (ids.empty() ? "" : ", ") + std::to_string(f.id);
    }
  }
  {
    std::lock_guard<std::mutex> admin_lock(d.admin_mu);
    SEALGATE_RETURN_IF_ERROR(d.ReopenAdmin());
    SqlConn& a = d.admin;
    SEALGATE_RETURN_IF_ERROR(a.Exec("UPDATE " + d.Table("migrations") + " SET state = 'staged', applied_gtid = " +
                                    a.Quote(from.gtid_state) + ", applied_file = " + a.Quote(from.file) +
                                    ", applied_pos = " + std::to_string(from.offset) +
                                    ", updated_at = NOW(6) WHERE id IN (" + ids + ")"));
  }
  for (size_t i = 0; i < followers.size(); ++i) {
    const std::shared_ptr<Migration>& follower = found[i];
    follower->SetStartPosition(from);
    if (followers[i].paused) follower->Pause();  // not running yet: nothing to wait for
    {
      std::lock_guard<std::mutex> lock(d.mu);
      d.prepared.erase(followers[i].id);
      d.migrations[followers[i].id] = follower;
    }
    follower->Launch();
    d.Log(LogLevel::kInfo, "migration " + std::to_string(followers[i].id) + " (" +
                               MigrationRoleName(follower->spec().role) + ") follows " + follower->spec().table.name +
                               " into " + follower->spec().shadow + " from " + from.ToString());
  }
  return Status::Ok();
}

Status Engine::Discard(uint64_t id) {
  SEALGATE_RETURN_IF_ERROR(impl_->Owned());
  Impl& d = *impl_;
  auto taken = TakeMigration(d.mu, d.migrations, id);
  if (!taken.ok()) taken = TakeMigration(d.mu, d.prepared, id);  // prepared, never started
  std::lock_guard<std::mutex> admin_lock(d.admin_mu);
  SEALGATE_RETURN_IF_ERROR(d.ReopenAdmin());
  if (taken.ok()) return (*taken)->Finish(MigrationState::kCancelled, d.admin);
  // Not running (e.g. its tables were never swapped, so it could not be resumed): just record it.
  return d.admin.Exec("UPDATE " + d.Table("migrations") + " SET state = 'cancelled' WHERE id = " + std::to_string(id));
}

Status Engine::Complete(uint64_t id) {
  SEALGATE_RETURN_IF_ERROR(impl_->Owned());
  Impl& d = *impl_;
  auto taken = TakeMigration(d.mu, d.migrations, id);
  std::lock_guard<std::mutex> admin_lock(d.admin_mu);
  Status reopened = d.ReopenAdmin();
  Status done = reopened;
  if (reopened.ok() && taken.ok()) {
    done = (*taken)->Finish(MigrationState::kCompleted, d.admin);
  } else if (reopened.ok()) {
    // Not running (after a restart its swapped shadow could not be resumed): just record it.
    done = d.admin.Exec("UPDATE " + d.Table("migrations") + " SET state = 'completed' WHERE id = " +
                        std::to_string(id) + " AND state IN ('copying', 'staged', 'failed')");
  }
  // Not recorded: the migration stays out of this engine; if sealgate stops
  // before anything records it, the restart finds it unneeded (live_migrations).
  if (!done.ok()) d.Log(LogLevel::kWarn, "migration " + std::to_string(id) + " completed, not recorded yet: " + done.message());
  return done;
}

StatusOr<MigrationProgress> Engine::Progress(uint64_t id) const {
  auto m = impl_->Find(id);
  if (!m) return NoSuch(id);
  MigrationProgress p = m->Progress();
  impl_->AddRetention(&p);
  return p;
}

Status Engine::PauseCopy(uint64_t id) {
  SEALGATE_RETURN_IF_ERROR(impl_->Owned());
  auto m = impl_->Find(id);
  if (!m) return NoSuch(id);
  m->SetCopyPaused(true);
  return Status::Ok();
}

Status Engine::ResumeCopy(uint64_t id) {
  SEALGATE_RETURN_IF_ERROR(impl_->Owned());
  auto m = impl_->Find(id);
  if (!m) return NoSuch(id);
  m->SetCopyPaused(false);
  return Status::Ok();
}

Status Engine::SetCopyThrottle(uint64_t id, double ratio) {
  SEALGATE_RETURN_IF_ERROR(impl_->Owned());
  if (!(ratio >= 0)) return Status::InvalidArgument("a throttle ratio is >= 0");
  auto m = impl_->Find(id);
  if (!m) return NoSuch(id);
  m->SetThrottleRatio(ratio);
  return Status::Ok();
}

std::vector<MigrationProgress> Engine::ListProgress() const {
  std::vector<std::shared_ptr<Migration>> all;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    for (auto& [id, m] : impl_->migrations) all.push_back(m);
  }
  std::vector<MigrationProgress> out;
  for (auto& m : all) {
    out.push_back(m->Progress());
    impl_->AddRetention(&out.back());
  }
  return out;
}

StatusOr<MigrationNames> Engine::Names(uint64_t id) const {
  auto m = impl_->Find(id);
  if (!m) return NoSuch(id);
  const MigrationSpec& spec = m->spec();
  MigrationNames names{spec.table.schema, spec.table.name, spec.shadow, {}};
  for (size_t i = 0; i < spec.original.columns.size(); ++i) {
    bool projected = false;
    for (const auto& c : spec.columns) projected = projected || c.source == i;
    if (!projected && !spec.original.columns[i].generated) names.unprojected.push_back(spec.original.columns[i].name);
  }
  return names;
}

StatusOr<uint64_t> Engine::WriteSentinel() {
  SEALGATE_RETURN_IF_ERROR(impl_->Owned());
  return impl_->WriteHeartbeat();
}

bool Engine::lease_lost() const { return impl_->fenced.load(); }

Status Engine::WaitApplied(uint64_t id, uint64_t seq, std::chrono::milliseconds timeout) {
  SEALGATE_RETURN_IF_ERROR(impl_->Owned());
  auto m = impl_->Find(id);
  if (!m) return NoSuch(id);
  return m->WaitApplied(seq, timeout);
}

Status Engine::Pause(uint64_t id) {
  SEALGATE_RETURN_IF_ERROR(impl_->Owned());
  auto m = impl_->Find(id);
  if (!m) return NoSuch(id);
  m->Pause();
  return Status::Ok();
}

Status Engine::Resume(uint64_t id) {
  SEALGATE_RETURN_IF_ERROR(impl_->Owned());
  auto m = impl_->Find(id);
  if (!m) return NoSuch(id);
  m->Resume();
  return Status::Ok();
}

StatusOr<uint64_t> Engine::ReadAutoIncrement(const std::string& schema, const std::string& table) {
  std::lock_guard<std::mutex> lock(impl_->admin_mu);
  SqlConn& a = impl_->admin;
  auto v = a.Scalar("SELECT IFNULL(AUTO_INCREMENT, 0) FROM information_schema.TABLES WHERE TABLE_SCHEMA = " +
                    a.Quote(schema) + " AND TABLE_NAME = " + a.Quote(table));
  if (!v.ok()) return v.status();
  if (!v->has_value()) return Status::NotFound("table `" + schema + "`.`" + table + "` does not exist");
  return std::stoull(**v);
}

}  // namespace sealgate::migration
