#include "deploy/seal.h"

#include <future>
#include <thread>

#include "migration/sql_conn.h"

namespace sealgate::deploy {

using migration::QuoteTable;
using migration::SqlConn;
using Clock = std::chrono::steady_clock;

std::vector<sql::TableName> SealCoordinator::RenameTargets(const std::vector<DeployItem>& items) {
  std::vector<sql::TableName> out;
  for (const auto& it : items) {
    if (it.kind == ItemKind::kAlter || it.kind == ItemKind::kDrop) out.push_back({it.table.schema, it.old_name});
    if (it.kind == ItemKind::kCreate) out.push_back(it.table);
  }
  return out;
}

std::string SealCoordinator::RenameStatement(const std::vector<DeployItem>& items) {
  std::string sql = "RENAME TABLE ";
  bool first = true;
  auto add = [&](const std::string& schema, const std::string& from, const std::string& to) {
    if (!first) sql += ", ";
    first = false;
    sql += QuoteTable(schema, from) + " TO " + QuoteTable(schema, to);
  };
  for (const auto& it : items) {
    const std::string& s = it.table.schema;
    if (it.kind == ItemKind::kAlter) {
      add(s, it.table.name, it.old_name);
      add(s, it.shadow, it.table.name);
    } else if (it.kind == ItemKind::kCreate) {
      add(s, it.shadow, it.table.name);
    } else {
      add(s, it.table.name, it.old_name);
    }
  }
  return sql;
}

Status SealCoordinator::CheckReady(const std::vector<DeployItem>& items) {
  for (const auto& it : items) {
    if (it.kind != ItemKind::kAlter) continue;
    auto p = engine_->Progress(it.migration_id);
    if (!p.ok()) return p.status();
    if (p->state == migration::MigrationState::kFailed) {
      return Status::FailedPrecondition("migration " + std::to_string(it.migration_id) + " of " + it.table.name +
                                        " failed: " + p->last_error);
    }
    if (!p->ready) return Status::Unavailable("table " + it.table.name + " is not staged yet");
  }
  return Status::Ok();
}

Status SealCoordinator::CatchUpAndPause(const std::vector<DeployItem>& items, std::vector<uint64_t>* paused) {
  auto seq = engine_->WriteSentinel();
  if (!seq.ok()) return seq.status();
  for (const auto& it : items) {
    if (it.kind != ItemKind::kAlter) continue;
    Status s = engine_->WaitApplied(it.migration_id, *seq, options_.apply_timeout);
    if (!s.ok()) return Status::Aborted("shadow of " + it.table.name + " did not catch up: " + s.message());
    SEALGATE_RETURN_IF_ERROR(engine_->Pause(it.migration_id));
    paused->push_back(it.migration_id);
  }
  return Status::Ok();
}

void SealCoordinator::ResumeAppliers(const std::vector<uint64_t>& paused) {
  for (uint64_t id : paused) (void)engine_->Resume(id);
}

namespace {

// Connection A's side of an attempt; undoes itself on every early exit.
class SentryLock {
 public:
  SentryLock(SqlConn* a, std::vector<sql::TableName> sentries) : a_(a), sentries_(std::move(sentries)) {}
  ~SentryLock() { Release(); }

  Status Take(const std::vector<DeployItem>& items, int lock_wait_seconds) {
    SEALGATE_RETURN_IF_ERROR(a_->Exec("SET SESSION lock_wait_timeout = " + std::to_string(lock_wait_seconds)));
    for (const auto& t : sentries_) {
      SEALGATE_RETURN_IF_ERROR(a_->Exec("CREATE TABLE " + QuoteTable(t.schema, t.name) +
                                        " (sealgate_sentry INT) ENGINE=InnoDB COMMENT='sealgate seal sentry'"));
      created_.push_back(t);
    }
    std::string lock = "LOCK TABLES ";
    bool first = true;
    for (const auto& it : items) {
      if (it.kind == ItemKind::kCreate) continue;
      lock += std::string(first ? "" : ", ") + QuoteTable(it.table.schema, it.table.name) + " WRITE";
      first = false;
    }
    for (const auto& t : sentries_) {
      lock += std::string(first ? "" : ", ") + QuoteTable(t.schema, t.name) + " WRITE";
      first = false;
    }
    Status s = a_->Exec(lock);
    if (!s.ok()) {
      return a_->server_errno() == 1205 ? Status::Aborted("lock wait timeout on the deploy's tables: " + s.message())
                                        : s;
    }
    locked_ = true;
    return Status::Ok();
  }

  // Drops the sentries (allowed: they are locked WRITE) and unlocks.
  Status DropAndUnlock() {
    for (auto it = created_.begin(); it != created_.end();) {
      SEALGATE_RETURN_IF_ERROR(a_->Exec("DROP TABLE " + QuoteTable(it->schema, it->name)));
      it = created_.erase(it);
    }
    Release();
    return Status::Ok();
  }

  void Release() {
    if (locked_) (void)a_->Exec("UNLOCK TABLES");
    locked_ = false;
    for (const auto& t : created_) (void)a_->Exec("DROP TABLE IF EXISTS " + QuoteTable(t.schema, t.name));
    created_.clear();
  }

 private:
  SqlConn* a_;
  std::vector<sql::TableName> sentries_;
  std::vector<sql::TableName> created_;
  bool locked_ = false;
};

// Polls the processlist until connection `id` waits for a metadata lock.
bool SeenWaiting(SqlConn& a, const std::string& id, std::future<Status>& rename) {
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (Clock::now() < deadline) {
    if (rename.wait_for(std::chrono::milliseconds(0)) == std::future_status::ready) return false;
    auto state = a.Scalar("SELECT STATE FROM information_schema.PROCESSLIST WHERE ID = " + id);
    if (state.ok() && state->has_value() && (*state)->find("metadata lock") != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

}  // namespace

StatusOr<SealResult> SealCoordinator::Attempt(const std::vector<DeployItem>& items) {
  SEALGATE_RETURN_IF_ERROR(CheckReady(items));
  auto a = SqlConn::Open(admin_);
  if (!a.ok()) return a.status();
  auto b = SqlConn::Open(admin_);
  if (!b.ok()) return b.status();
  auto xa = a->Query("XA RECOVER");
  if (xa.ok() && !xa->empty()) {
    return Status::Aborted(std::to_string(xa->size()) + " prepared XA transaction(s) on the server; "
                           "they must be committed or rolled back before the seal");
  }
  auto b_id = b->Scalar("SELECT CONNECTION_ID()");
  if (!b_id.ok() || !b_id->has_value()) return Status::Unavailable("cannot identify the RENAME connection");
  SEALGATE_RETURN_IF_ERROR(b->Exec("SET SESSION lock_wait_timeout = " + std::to_string(options_.lock_wait_seconds + 5)));

  auto hold_start = Clock::now();
  hold_->Begin();
  struct HoldEnd {
    WriteHold* hold;
    ~HoldEnd() { hold->End(); }
  } hold_end{hold_};
  if (!hold_->WaitDrained(options_.drain_timeout)) {
    return Status::Aborted(std::to_string(hold_->NotQuiet()) +
                           " session(s) did not reach a statement boundary (open transaction or locks) in time");
  }
  SentryLock lock(&*a, RenameTargets(items));
  SEALGATE_RETURN_IF_ERROR(lock.Take(items, options_.lock_wait_seconds));

  std::vector<uint64_t> paused;
  Status caught = CatchUpAndPause(items, &paused);
  if (!caught.ok()) {
    ResumeAppliers(paused);
    return caught;
  }
  for (const auto& it : items) {
    if (it.kind != ItemKind::kAlter) continue;
    auto ai = engine_->ReadAutoIncrement(it.table.schema, it.table.name);
    if (ai.ok() && *ai > 0) {
      (void)a->Exec("ALTER TABLE " + QuoteTable(it.table.schema, it.shadow) + " AUTO_INCREMENT = " + std::to_string(*ai));
    }
  }
  std::string rename = RenameStatement(items);
  SqlConn* b_conn = &*b;
  std::future<Status> renamed = std::async(std::launch::async, [b_conn, rename] { return b_conn->Exec(rename); });
  if (!SeenWaiting(*a, **b_id, renamed)) {
    lock.Release();
    Status s = renamed.get();
    ResumeAppliers(paused);
    if (!s.ok()) return s.Annotate("RENAME TABLE failed; nothing was renamed");
    return Status::Internal("RENAME TABLE completed while the tables were locked");
  }
  Status unlocked = lock.DropAndUnlock();
  Status s = renamed.get();
  if (!s.ok() || !unlocked.ok()) {
    ResumeAppliers(paused);
    return (s.ok() ? unlocked : s).Annotate("RENAME TABLE failed; nothing was renamed");
  }
  SealResult result;
  result.hold = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - hold_start);
  return result;
}

}  // namespace sealgate::deploy
