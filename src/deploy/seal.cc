#include "deploy/seal.h"

#include <algorithm>
#include <cstdlib>
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

std::string SealCoordinator::GateOrderProblem(const std::vector<DeployItem>& items) {
  for (const auto& it : items) {
    // memcmp order is the server's metadata-lock order.
    if (it.table.name.compare(kGateA) >= 0) {
      return "table name `" + it.table.name + "` sorts after sealgate's gate table; such names cannot be sealed";
    }
    if (it.kind == ItemKind::kAlter && it.shadow.compare(kGateB) <= 0) {
      return "shadow `" + it.shadow + "` sorts before sealgate's gate table; roll back and stage it again";
    }
  }
  return "";
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
  for (const auto& schema : Databases(items)) add(schema, kGateA, kGateB);
  return sql;
}

std::vector<std::string> SealCoordinator::Databases(const std::vector<DeployItem>& items) {
  std::vector<std::string> out;
  for (const auto& it : items) out.push_back(it.table.schema);
  std::sort(out.begin(), out.end());  // memcmp order: the order the RENAME takes them in
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
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
  // Every shadow catches up in parallel: the hold lasts as long as the slowest, not the sum.
  std::vector<std::pair<const DeployItem*, std::future<Status>>> waits;
  for (const auto& it : items) {
    if (it.kind != ItemKind::kAlter) continue;
    uint64_t id = it.migration_id;
    waits.emplace_back(&it, std::async(std::launch::async, [this, id, seq = *seq] {
                         Status s = engine_->WaitApplied(id, seq, options_.apply_timeout);
                         return s.ok() ? engine_->Pause(id) : s;
                       }));
  }
  Status first;
  for (auto& [item, wait] : waits) {
    Status s = wait.get();
    if (s.ok()) {
      paused->push_back(item->migration_id);
    } else if (first.ok()) {
      first = Status::Aborted("shadow of " + item->table.name + " did not catch up: " + s.message());
    }
  }
  return first;
}

void SealCoordinator::ResumeAppliers(const std::vector<uint64_t>& paused) {
  for (uint64_t id : paused) (void)engine_->Resume(id);
}

namespace {

// Connection S's side: a gate pair in every database of the deploy, every
// gate_b locked. Undoes itself on every exit unless the last gate was opened.
class Gate {
 public:
  Gate(SqlConn* s, std::vector<std::string> schemas) : s_(s), schemas_(std::move(schemas)) {}
  ~Gate() { Close(); }

  Status Take(int lock_wait_seconds) {
    SEALGATE_RETURN_IF_ERROR(s_->Exec("SET SESSION lock_wait_timeout = " + std::to_string(lock_wait_seconds)));
    std::string locks;
    for (const auto& schema : schemas_) {
      SEALGATE_RETURN_IF_ERROR(s_->Exec("DROP TABLE IF EXISTS " + Name(schema, SealCoordinator::kGateA) + ", " +
                                        Name(schema, SealCoordinator::kGateB)));
      created_ = true;
      for (const char* t : {SealCoordinator::kGateA, SealCoordinator::kGateB}) {
        SEALGATE_RETURN_IF_ERROR(s_->Exec("CREATE TABLE " + Name(schema, t) +
                                          " (sealgate_gate INT) ENGINE=InnoDB COMMENT='sealgate seal gate'"));
      }
      locks += (locks.empty() ? "" : ", ") + Name(schema, SealCoordinator::kGateB) + " WRITE";
    }
    Status s = s_->Exec("LOCK TABLES " + locks);
    if (!s.ok()) return Status::Aborted("cannot lock the seal gate: " + s.message());
    locked_ = true;
    return Status::Ok();
  }

  // Lets the waiting RENAME past `schema`'s gate: its gate_b goes away (a
  // table dropped under LOCK TABLES loses its lock at once); after the last
  // database's, the lock goes too. `*final` tells whether the last gate_b is
  // gone: then the RENAME can no longer be stopped. Before that, a killed
  // RENAME leaves everything as it was, and if S dies the remaining gate_b
  // makes the RENAME fail as a whole.
  Status Open(const std::string& schema, bool* final) {
    *final = false;
    SEALGATE_RETURN_IF_ERROR(s_->Exec("DROP TABLE " + Name(schema, SealCoordinator::kGateB)));
    if (schema != schemas_.back()) return Status::Ok();
    *final = true;
    SEALGATE_RETURN_IF_ERROR(s_->Exec("UNLOCK TABLES"));
    locked_ = false;
    return Status::Ok();
  }

  // Unlocks (a gate_b stays until the RENAME is gone) and drops the gate tables.
  void Close() {
    if (locked_) (void)s_->Exec("UNLOCK TABLES");
    locked_ = false;
    if (created_) {
      for (const auto& schema : schemas_) {
        (void)s_->Exec("DROP TABLE IF EXISTS " + Name(schema, SealCoordinator::kGateA) + ", " +
                       Name(schema, SealCoordinator::kGateB));
      }
    }
    created_ = false;
  }

 private:
  static std::string Name(const std::string& schema, const char* t) { return QuoteTable(schema, t); }
  SqlConn* s_;
  std::vector<std::string> schemas_;
  bool created_ = false;
  bool locked_ = false;
};

// True once the RENAME holds gate_a: a no-wait read of it fails only then
// (nothing else ever touches gate_a). By then the RENAME holds every original.
Status WaitRenameHoldsGateA(SqlConn& probe, const std::string& schema, std::future<Status>& rename,
                            std::chrono::milliseconds budget) {
  SEALGATE_RETURN_IF_ERROR(probe.Exec("SET SESSION lock_wait_timeout = 0"));
  std::string sql = "SELECT 1 FROM " + QuoteTable(schema, SealCoordinator::kGateA) + " LIMIT 0";
  auto deadline = Clock::now() + budget;
  while (Clock::now() < deadline) {
    if (rename.wait_for(std::chrono::milliseconds(0)) == std::future_status::ready) {
      return Status::Aborted("the RENAME ended before reaching the seal gate");
    }
    Status s = probe.Exec(sql);
    if (!s.ok()) {
      if (probe.server_errno() == 1205) return Status::Ok();
      return s;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return Status::Aborted("the RENAME did not get the deploy's tables in time (long transactions on them?)");
}

bool GateTableExists(SqlConn& conn, const std::string& schema, const char* table) {
  auto n = conn.Scalar("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = " + conn.Quote(schema) +
                       " AND TABLE_NAME = " + conn.Quote(table));
  return n.ok() && n->value_or("0") != "0";
}

// Ends a RENAME that must not happen: kill it while gate_b still exists and is locked.
void KillRename(SqlConn& probe, const std::string& id, std::future<Status>& rename) {
  (void)probe.Exec("KILL QUERY " + id);
  (void)rename.get();
}

}  // namespace

Status SealCoordinator::CheckBlockers(SqlConn& probe, const std::vector<DeployItem>& items) {
  // Only transactions older than the drain budget matter: younger ones end
  // while the hold drains. Which tables they hold is not visible over SQL on
  // MariaDB, so each table is tried with a lock request that never waits.
  int64_t older = std::max<int64_t>(1, options_.drain_timeout.count() / 1000);
  auto old = probe.Query("SELECT trx_mysql_thread_id, TIMESTAMPDIFF(SECOND, trx_started, NOW()), "
                         "IFNULL(trx_query, '') FROM information_schema.INNODB_TRX WHERE trx_started < NOW() - "
                         "INTERVAL " + std::to_string(older) + " SECOND ORDER BY trx_started");
  if (!old.ok() || old->empty()) return Status::Ok();
  SEALGATE_RETURN_IF_ERROR(probe.Exec("SET SESSION lock_wait_timeout = 0"));
  std::string held;
  for (const auto& it : items) {
    if (it.kind == ItemKind::kCreate) continue;  // not there yet
    Status s = probe.Exec("LOCK TABLES " + QuoteTable(it.table.schema, it.table.name) + " WRITE");
    bool busy = !s.ok() && probe.server_errno() == 1205;
    (void)probe.Exec("UNLOCK TABLES");
    if (busy) held += (held.empty() ? "" : ", ") + it.table.name;
  }
  if (held.empty()) return Status::Ok();
  const migration::SqlRow& first = old->front();
  uint64_t id = std::strtoull(first[0].value_or("0").c_str(), nullptr, 10);
  std::string blocker = "connection " + first[0].value_or("?") + " has had a transaction open for " +
                        first[1].value_or("?") + " s" +
                        (first[2].value_or("").empty() ? " (idle)" : " (running: " + first[2]->substr(0, 80) + ")");
  if (options_.kill_blockers_after > 0 && id != 0) {
    const int seen = ++blocker_attempts_[id];
    if (seen >= options_.kill_blockers_after) {
      (void)probe.Exec("KILL CONNECTION " + std::to_string(id));
      blocker_attempts_.erase(id);
      if (logger_) logger_->Warn("seal", "killed " + blocker + ": it blocked " + held + " for " +
                                             std::to_string(seen) + " seal attempts (seal.kill_blockers_after)");
      return Status::Aborted("killed " + blocker + ", which held " + held);
    }
  }
  return Status::Aborted(held + " held by an open transaction (" + blocker +
                         "); the seal waits for it to end without holding clients");
}

Status SealCoordinator::CheckPreparedXa(SqlConn& probe, const std::vector<DeployItem>& items) {
  auto xa = probe.Query("XA RECOVER");
  if (!xa.ok() || xa->empty()) return Status::Ok();
  // A prepared XA transaction keeps the InnoDB table locks of the tables it
  // changed, but once its session is gone no metadata lock: only a table lock
  // request at the InnoDB level meets it. The RENAME would hold every table's
  // metadata lock while it waits for that lock, so a table a prepared XA
  // changed cannot be sealed; XA transactions on other tables do not matter.
  // Ordinary transactions hold the same table locks for a moment, so a table
  // counts as held only if every try in about half a second meets a lock.
  SEALGATE_RETURN_IF_ERROR(probe.Exec("SET SESSION lock_wait_timeout = 0"));
  if (!probe.Exec("SET SESSION innodb_lock_wait_timeout = 0").ok()) {
    SEALGATE_RETURN_IF_ERROR(probe.Exec("SET SESSION innodb_lock_wait_timeout = 1"));  // MySQL's minimum
  }
  SEALGATE_RETURN_IF_ERROR(probe.Exec("SET SESSION autocommit = 0"));  // LOCK TABLES then locks in InnoDB too
  std::string held;
  Status failed;
  for (const auto& it : items) {
    if (it.kind == ItemKind::kCreate) continue;  // not there yet
    bool busy = true;
    for (int attempt = 0; attempt < 10 && busy && failed.ok(); ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      Status s = probe.Exec("LOCK TABLES " + QuoteTable(it.table.schema, it.table.name) + " WRITE");
      busy = !s.ok() && probe.server_errno() == 1205;
      if (!s.ok() && !busy) failed = s;
      (void)probe.Exec("UNLOCK TABLES");
    }
    if (busy && failed.ok()) held += (held.empty() ? "" : ", ") + it.table.name;
  }
  (void)probe.Exec("SET SESSION autocommit = 1");
  SEALGATE_RETURN_IF_ERROR(failed);
  if (held.empty()) return Status::Ok();
  std::string xids;
  for (const auto& row : *xa) {
    if (row.size() < 4) continue;
    xids += (xids.empty() ? "'" : ", '") + row[3].value_or("") + "'";
  }
  return Status::Aborted(held + " held by a prepared XA transaction (XA RECOVER lists " + xids +
                         "); the seal waits without holding clients until it is ended with XA COMMIT or XA ROLLBACK");
}

StatusOr<SealResult> SealCoordinator::Attempt(const std::vector<DeployItem>& items, const SealHooks& hooks) {
  std::lock_guard<std::mutex> lock(attempt_mu_);
  return AttemptLocked(items, hooks);
}

StatusOr<SealResult> SealCoordinator::AttemptLocked(const std::vector<DeployItem>& items, const SealHooks& hooks) {
  if (items.empty()) return SealResult{};
  std::string problem = GateOrderProblem(items);
  if (!problem.empty()) return Status::FailedPrecondition(problem);
  SEALGATE_RETURN_IF_ERROR(CheckReady(items));
  const std::vector<std::string> schemas = Databases(items);
  auto s_conn = SqlConn::Open(admin_);
  if (!s_conn.ok()) return s_conn.status();
  auto b = SqlConn::Open(admin_);
  if (!b.ok()) return b.status();
  auto probe = SqlConn::Open(admin_);
  if (!probe.ok()) return probe.status();
  SEALGATE_RETURN_IF_ERROR(CheckPreparedXa(*probe, items));
  SEALGATE_RETURN_IF_ERROR(CheckBlockers(*probe, items));
  for (const auto& t : RenameTargets(items)) {
    auto n = probe->Scalar("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = " +
                           probe->Quote(t.schema) + " AND TABLE_NAME = " + probe->Quote(t.name));
    if (n.ok() && n->value_or("0") != "0") {
      return Status::FailedPrecondition("table " + QuoteTable(t.schema, t.name) +
                                        " is in the way of the seal's RENAME; rename or drop it");
    }
  }
  // AUTO_INCREMENT is read before the RENAME locks the originals (reading it
  // then would wait behind the RENAME).
  std::vector<std::pair<sql::TableName, uint64_t>> next_ids;
  for (const auto& it : items) {
    if (it.kind != ItemKind::kAlter) continue;
    auto ai = engine_->ReadAutoIncrement(it.table.schema, it.table.name);
    if (ai.ok() && *ai > 0) next_ids.emplace_back(sql::TableName{it.table.schema, it.shadow}, *ai);
  }
  auto b_id = b->Scalar("SELECT CONNECTION_ID()");
  if (!b_id.ok() || !b_id->has_value()) return Status::Unavailable("cannot identify the RENAME connection");
  // B waits on gate_b while the shadows catch up: its lock wait must outlast
  // the probe and every migration's catch-up (B is killed on abort anyway).
  int alters = 0;
  for (const auto& it : items) alters += it.kind == ItemKind::kAlter;
  int b_wait = options_.lock_wait_seconds * (1 + static_cast<int>(schemas.size())) +
               static_cast<int>((options_.apply_timeout.count() * alters + 999) / 1000) + 5;
  SEALGATE_RETURN_IF_ERROR(b->Exec("SET SESSION lock_wait_timeout = " + std::to_string(b_wait)));
  // Once B has every metadata lock, only an InnoDB table lock can still make
  // it wait (a prepared XA transaction that appeared after the check above):
  // it must give up quickly, for it holds every original meanwhile.
  (void)b->Exec("SET SESSION innodb_lock_wait_timeout = 2");
  // Everything that does not need the hold happens before it: the gate, and
  // the shadows' AUTO_INCREMENT (ids inserted later reach the shadow through
  // the binlog and move its counter themselves).
  for (const auto& [shadow, next] : next_ids) {
    (void)probe->Exec("ALTER TABLE " + QuoteTable(shadow.schema, shadow.name) + " AUTO_INCREMENT = " +
                      std::to_string(next));
  }
  Gate gate(&*s_conn, schemas);
  SEALGATE_RETURN_IF_ERROR(gate.Take(options_.lock_wait_seconds));

  std::vector<std::string> touched;
  for (const auto& schema : schemas) {
    touched.push_back(schema + "." + kGateA);
    touched.push_back(schema + "." + kGateB);
  }
  for (const auto& it : items) {
    const std::string& schema = it.table.schema;
    touched.push_back(schema + "." + it.table.name);
    if (!it.shadow.empty()) touched.push_back(schema + "." + it.shadow);
    if (!it.old_name.empty()) touched.push_back(schema + "." + it.old_name);
  }
  auto hold_start = Clock::now();
  hold_->Begin(touched);
  struct HoldEnd {
    WriteHold* hold;
    ~HoldEnd() { hold->End(); }
  } hold_end{hold_};
  if (!hold_->WaitDrained(options_.drain_timeout)) {
    return Status::Aborted(std::to_string(hold_->NotQuiet()) +
                           " session(s) did not reach a statement boundary (open transaction or locks) in time");
  }
  auto drained_at = Clock::now();

  std::string rename = RenameStatement(items);
  SqlConn* b_conn = &*b;
  std::future<Status> renamed = std::async(std::launch::async, [b_conn, rename] { return b_conn->Exec(rename); });
  // Database by database, in the RENAME's lock order: once it waits at a
  // database's gate it holds every original there, so their shadows catch up
  // and pause; then that gate opens and the RENAME takes those shadows and
  // goes on to the next database's originals. Only the last gate lets it
  // finish.
  auto budget = std::chrono::seconds(options_.lock_wait_seconds) + std::chrono::milliseconds(500);
  Clock::duration locking{}, catching{};
  std::vector<uint64_t> paused;
  bool hooked = false;
  auto abandon = [&] {
    if (hooked && hooks.abandoned) hooks.abandoned();
  };
  for (const auto& schema : schemas) {
    auto t0 = Clock::now();
    Status held = WaitRenameHoldsGateA(*probe, schema, renamed, budget);
    if (!held.ok()) {
      KillRename(*probe, **b_id, renamed);
      ResumeAppliers(paused);
      return held;
    }
    auto t1 = Clock::now();
    std::vector<DeployItem> here;
    for (const auto& it : items) {
      if (it.table.schema == schema) here.push_back(it);
    }
    Status caught = CatchUpAndPause(here, &paused);
    auto t2 = Clock::now();
    locking += t1 - t0;
    catching += t2 - t1;
    if (!caught.ok()) {
      KillRename(*probe, **b_id, renamed);
      ResumeAppliers(paused);
      return caught;
    }
    if (hooks.before_rename) {
      Status h = hooks.before_rename(schema);
      hooked = true;
      if (!h.ok()) {
        KillRename(*probe, **b_id, renamed);
        ResumeAppliers(paused);
        if (hooks.abandoned) hooks.abandoned();
        return Status::Aborted("starting replication for the swap: " + h.message());
      }
    }
    bool final = false;
    Status opened = gate.Open(schema, &final);
    if (!opened.ok() && !final) {
      // A gate_b could not be dropped: the RENAME cannot succeed; end it.
      KillRename(*probe, **b_id, renamed);
      ResumeAppliers(paused);
      abandon();
      return opened.Annotate("opening the seal gate");
    }
  }
  auto caught_at = Clock::now();
  // From here the RENAME may go through: its own outcome decides.
  Status s = renamed.get();
  if (!s.ok() && b->server_errno() >= 2000) {
    // The connection failed, not the statement: read the outcome from the
    // schema. gate_a renamed to gate_b happened exactly when everything did.
    auto fresh = SqlConn::Open(admin_);
    const std::string& last = schemas.back();
    if (fresh.ok() && !GateTableExists(*fresh, last, kGateA) && GateTableExists(*fresh, last, kGateB)) {
      s = Status::Ok();
    }
  }
  gate.Close();  // drops the gate tables (every gate_a renamed to gate_b)
  if (!s.ok()) {
    ResumeAppliers(paused);
    abandon();
    return s.Annotate("RENAME TABLE failed; nothing was renamed");
  }
  SealResult result;
  auto done_at = Clock::now();
  auto ms = [](Clock::duration d) { return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()); };
  result.hold = std::chrono::duration_cast<std::chrono::milliseconds>(done_at - hold_start);
  result.phases = "drain=" + ms(drained_at - hold_start) + " lock=" + ms(locking) + " catchup=" + ms(catching) +
                  " rename=" + ms(done_at - caught_at);
  return result;
}

}  // namespace sealgate::deploy
