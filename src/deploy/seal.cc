#include "deploy/seal.h"

#include <algorithm>
#include <cstdlib>
#include <atomic>
#include <future>
#include <thread>

#include "deploy/foreign_key_swap.h"
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
    if (p->state == migration::MigrationState::kReconnecting) {
      return Status::Unavailable("migration of " + it.table.name + " is " + p->last_error);
    }
    if (!p->ready) return Status::Unavailable("table " + it.table.name + " is not staged yet");
  }
  return Status::Ok();
}

Status SealCoordinator::CatchUp(const std::vector<DeployItem>& items, std::chrono::milliseconds timeout,
                                std::vector<uint64_t>* paused) {
  auto seq = engine_->WriteSentinel();
  if (!seq.ok()) return seq.status();
  // Every shadow catches up in parallel: it takes as long as the slowest, not the sum.
  std::vector<std::pair<const DeployItem*, std::future<Status>>> waits;
  for (const auto& it : items) {
    if (it.kind != ItemKind::kAlter) continue;
    uint64_t id = it.migration_id;
    waits.emplace_back(&it, std::async(std::launch::async, [this, id, timeout, pause = paused != nullptr,
                                                            seq = *seq] {
                         Status s = engine_->WaitApplied(id, seq, timeout);
                         return s.ok() && pause ? engine_->Pause(id) : s;
                       }));
  }
  Status first;
  for (auto& [item, wait] : waits) {
    Status s = wait.get();
    if (s.ok() && paused) {
      paused->push_back(item->migration_id);
    } else if (!s.ok() && first.ok()) {
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
                            const HoldWatchdog& watchdog) {
  SEALGATE_RETURN_IF_ERROR(probe.Exec("SET SESSION lock_wait_timeout = 0"));
  std::string sql = "SELECT 1 FROM " + QuoteTable(schema, SealCoordinator::kGateA) + " LIMIT 0";
  while (!watchdog.expired()) {
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
  return Status::Aborted("the RENAME did not get the deploy's tables within the hold budget (a lock taken since "
                         "the check?)");
}


// Ends a RENAME that must not happen while some gate_b still exists: kill it.
// If that cannot be done, S's connection goes: its lock goes with it, the
// remaining gate_b fails the RENAME as a whole.
void KillRename(SqlConn& probe, SqlConn* s_conn, uint64_t id, std::future<Status>& rename) {
  if (!probe.Exec("KILL QUERY " + std::to_string(id)).ok()) *s_conn = SqlConn();
  (void)rename.get();
}

// The hold of one attempt: begun on construction, ended exactly once — by
// the attempt or by its watchdog, whichever comes first.
class HoldLease {
 public:
  explicit HoldLease(WriteHold* hold) : hold_(hold) { hold_->Begin(); }
  ~HoldLease() { Release(); }
  HoldLease(const HoldLease&) = delete;
  HoldLease& operator=(const HoldLease&) = delete;
  void Release() {
    if (!released_.exchange(true)) hold_->End();
  }

 private:
  WriteHold* hold_;
  std::atomic<bool> released_{false};
};

std::string Ms(Clock::duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

}  // namespace


StatusOr<SqlConn> SealCoordinator::Connect() { return SqlConn::Open(admin_, options_.io_timeout); }

Status SealCoordinator::ConnectAll(std::initializer_list<SqlConn*> conns) {
  for (SqlConn* c : conns) {
    auto opened = Connect();
    if (!opened.ok()) return opened.status();
    *c = std::move(*opened);
  }
  return Status::Ok();
}

BlockerQuery SealCoordinator::QueryFor(const std::vector<DeployItem>& items, const std::vector<uint64_t>& own) const {
  BlockerQuery q;
  q.own_user = options_.own_user;
  q.ignore = own;
  for (const auto& it : items) {
    if (it.kind != ItemKind::kCreate) q.tables.push_back(it.table);  // a created table is not there yet
    if (!it.shadow.empty()) q.shadows.push_back({it.table.schema, it.shadow});
    // Putting the foreign keys back right after the RENAME alters these too.
    for (const auto& t : RelatedTables(it.table, ParseForeignKeys(it.foreign_keys))) q.tables.push_back(t);
  }
  return q;
}

Status SealCoordinator::CheckBlockers(SqlConn& probe, const BlockerQuery& query) {
  auto found = blockers_.Find(probe, query);
  if (!found.ok()) return Status::Unavailable("looking for what holds the deploy's tables: " + found.status().message());
  auto now = Clock::now();
  std::map<uint64_t, Clock::time_point> still;
  for (const auto& b : *found) {
    if (b.connection_id == 0 || b.connection_id == Blocker::kUnknownConnection) continue;
    auto seen = blocker_since_.find(b.connection_id);
    still[b.connection_id] = seen == blocker_since_.end() ? now : seen->second;
  }
  blocker_since_ = std::move(still);
  if (found->empty()) return Status::Ok();
  if (options_.kill_blockers_after > 0) {
    for (const auto& b : *found) {
      auto since = blocker_since_.find(b.connection_id);
      if (since == blocker_since_.end() || now - since->second < std::chrono::seconds(options_.kill_blockers_after)) {
        continue;
      }
      (void)probe.Exec("KILL CONNECTION " + std::to_string(b.connection_id));
      blocker_since_.erase(since);
      if (logger_) {
        logger_->Warn("seal", "killed connection " + std::to_string(b.connection_id) + " (" + b.account + "): it held " +
                                  b.table + " for " + std::to_string(options_.kill_blockers_after) +
                                  " s of waiting seals (seal.kill_blockers_after)");
      }
      return Status::Aborted("killed connection " + std::to_string(b.connection_id) + ", which held " + b.table);
    }
  }
  std::string why;
  for (const auto& b : *found) why += (why.empty() ? "" : "; ") + b.Describe();
  return Status::ResourceExhausted(why);
}

StatusOr<std::vector<Blocker>> SealCoordinator::FindBlockers(const std::vector<DeployItem>& items) {
  std::lock_guard<std::mutex> lock(attempt_mu_);
  auto probe = Connect();
  if (!probe.ok()) return probe.status();
  return blockers_.Find(*probe, QueryFor(items, {}));
}

StatusOr<SealResult> SealCoordinator::Attempt(const std::vector<DeployItem>& items, const SealHooks& hooks) {
  std::lock_guard<std::mutex> lock(attempt_mu_);
  return AttemptLocked(items, hooks);
}

SealOutcome SealCoordinator::Outcome(const std::vector<DeployItem>& items) {
  auto c = Connect();
  return c.ok() ? ReadOutcome(*c, items) : SealOutcome::kUnknown;
}

SealOutcome SealCoordinator::ReadOutcome(SqlConn& conn, const std::vector<DeployItem>& items) {
  if (items.empty()) return SealOutcome::kNotRenamed;
  // The RENAME is atomic: one item's tables tell for all of them — an ALTER's
  // if there is one (both its names are checked), else the first item's.
  const DeployItem* witness = &items.front();
  for (const auto& it : items) {
    if (it.kind == ItemKind::kAlter) {
      witness = &it;
      break;
    }
  }
  const std::string& schema = witness->table.schema;
  // Present before the RENAME, gone after it; and (an ALTER) the reverse.
  const std::string& before = witness->kind == ItemKind::kDrop ? witness->table.name : witness->shadow;
  auto before_there = migration::TableExists(conn, schema, before);
  if (!before_there.ok()) return SealOutcome::kUnknown;
  if (witness->kind != ItemKind::kAlter) return *before_there ? SealOutcome::kNotRenamed : SealOutcome::kRenamed;
  auto after_there = migration::TableExists(conn, schema, witness->old_name);
  if (!after_there.ok()) return SealOutcome::kUnknown;
  if (*after_there && !*before_there) return SealOutcome::kRenamed;
  if (*before_there && !*after_there) return SealOutcome::kNotRenamed;
  return SealOutcome::kUnknown;
}

StatusOr<SealResult> SealCoordinator::AttemptLocked(const std::vector<DeployItem>& items, const SealHooks& hooks) {
  if (items.empty()) return SealResult{};
  std::string problem = GateOrderProblem(items);
  if (!problem.empty()) return Status::FailedPrecondition(problem);
  SEALGATE_RETURN_IF_ERROR(CheckReady(items));
  const std::vector<std::string> schemas = Databases(items);
  auto probe = Connect();
  if (!probe.ok()) return probe.status();
  for (const auto& t : RenameTargets(items)) {
    auto there = migration::TableExists(*probe, t.schema, t.name);
    if (there.ok() && *there) {
      return Status::FailedPrecondition("table " + QuoteTable(t.schema, t.name) +
                                        " is in the way of the seal's RENAME; rename or drop it");
    }
  }
  SqlConn s_conn, b, killer;
  SEALGATE_RETURN_IF_ERROR(ConnectAll({&s_conn, &b, &killer}));
  const uint64_t b_id = b.connection_id();
  // Step 1, before anyone is held: who could make the RENAME wait.
  const BlockerQuery query = QueryFor(items, {s_conn.connection_id(), b_id, killer.connection_id()});
  SEALGATE_RETURN_IF_ERROR(CheckBlockers(*probe, query));
  // The shadows catch up outside the hold, so inside it only the last
  // milliseconds of writes remain to apply.
  Status caught_up = CatchUp(items, options_.apply_timeout, nullptr);
  if (!caught_up.ok()) return caught_up.Annotate("before the hold");
  // AUTO_INCREMENT: raised before anything is locked (ids inserted later
  // reach the shadow through the binlog and move its counter themselves) to
  // the table's own, never lowered. A counter the ALTER set stands: the
  // shadow got it from the ALTER and was moved past every row since, which
  // is where the server's own ALTER puts it.
  for (const auto& it : items) {
    if (it.kind != ItemKind::kAlter || (hooks.keeps_counter && hooks.keeps_counter(it))) continue;
    auto ai = engine_->ReadAutoIncrement(it.table.schema, it.table.name);
    auto own = engine_->ReadAutoIncrement(it.table.schema, it.shadow);
    if (ai.ok() && *ai > 0 && !(own.ok() && *own >= *ai)) {
      (void)probe->Exec("ALTER TABLE " + QuoteTable(it.table.schema, it.shadow) + " AUTO_INCREMENT = " +
                        std::to_string(*ai));
    }
  }
  // B waits on gate_b on purpose; the watchdog, not a lock timeout, ends it.
  SEALGATE_RETURN_IF_ERROR(b.Exec("SET SESSION lock_wait_timeout = 3600"));
  // Once B has every metadata lock, only an InnoDB table lock can still make
  // it wait (a prepared XA transaction that appeared after the check).
  (void)b.Exec("SET SESSION innodb_lock_wait_timeout = 1");
  Gate gate(&s_conn, schemas);
  SEALGATE_RETURN_IF_ERROR(gate.Take(2));
  auto fault = [&](const char* point) {
    if (!options_.faults) return;
    FaultAction a = options_.faults->Reach(point);
    if (a.kind != FaultAction::Kind::kLoseConnection) return;
    uint64_t id = a.role == "gate" ? s_conn.connection_id() : a.role == "rename" ? b_id : probe->connection_id();
    if (auto k = Connect(); k.ok()) (void)k->Exec("KILL CONNECTION " + std::to_string(id));
  };
  fault("seal.gate_taken");

  // Step 3: the hold, with its hard budget.
  auto hold_start = Clock::now();
  HoldLease lease(hold_);
  SqlConn* killer_conn = &killer;
  HoldWatchdog watchdog(hold_start + options_.max_hold, [&lease, killer_conn, b_id] {
    lease.Release();  // clients first: this needs no server
    (void)killer_conn->Exec("KILL QUERY " + std::to_string(b_id));
  });
  if (!hold_->WaitApplied(watchdog.remaining())) return Status::Aborted("the proxy did not apply the hold in time");
  auto held_at = Clock::now();
  fault("seal.hold_begun");
  // Transactions already inside the deploy's tables finish first; the hold
  // keeps new ones out. A RENAME that has taken some of the tables while such
  // a transaction, holding another, wants one of them is a metadata-lock
  // deadlock, and the server ends the transaction's statement (1213), not
  // the RENAME. Up to half the budget left; then the RENAME waits for them.
  const auto quiet_by = held_at + (watchdog.remaining() / 2);
  for (;;) {
    auto holders = blockers_.Holders(*probe, query);
    if (!holders.ok() || *holders == 0 || Clock::now() >= quiet_by) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  auto quiet_at = Clock::now();

  std::string rename = RenameStatement(items);
  SqlConn* b_conn = &b;
  std::future<Status> renamed = std::async(std::launch::async, [b_conn, rename] { return b_conn->Exec(rename); });
  fault("seal.rename_issued");
  // Database by database, in the RENAME's lock order: once it waits at a
  // database's gate it holds every original there, so their shadows catch up
  // and pause; then that gate opens and the RENAME takes those shadows and
  // goes on to the next database's originals. Only the last gate lets it finish.
  Clock::duration locking{}, catching{}, following{};
  std::vector<uint64_t> paused;
  bool hooked = false;
  bool final_opened = false;
  Status failed;
  for (const auto& schema : schemas) {
    auto t0 = Clock::now();
    failed = WaitRenameHoldsGateA(*probe, schema, renamed, watchdog);
    auto t1 = Clock::now();
    locking += t1 - t0;
    if (!failed.ok()) break;
    fault("seal.rename_holds_originals");
    std::vector<DeployItem> here;
    for (const auto& it : items) {
      if (it.table.schema == schema) here.push_back(it);
    }
    failed = CatchUp(here, watchdog.remaining(), &paused);
    catching += Clock::now() - t1;
    if (!failed.ok()) break;
    if (hooks.before_rename) {
      hooked = true;
      auto t2 = Clock::now();
      Status h = hooks.before_rename(schema);
      following += Clock::now() - t2;
      if (!h.ok()) {
        failed = Status::Aborted("starting replication for the swap: " + h.message());
        break;
      }
    }
    if (watchdog.expired()) {
      failed = Status::Aborted("the hold budget ran out while the shadows caught up");
      break;
    }
    fault("seal.gate_opening");
    bool final = false;
    failed = gate.Open(schema, &final);
    final_opened = final_opened || final;
    if (!failed.ok()) {
      failed = failed.Annotate("opening the seal gate");
      break;
    }
  }
  auto caught_at = Clock::now();
  Status s;
  if (!final_opened) {
    // Some gate_b still exists: the RENAME cannot succeed. End it.
    KillRename(*probe, &s_conn, b_id, renamed);
    s = failed.ok() ? Status::Aborted("the seal gate did not open") : failed;
  } else {
    s = renamed.get();
  }
  std::chrono::steady_clock::duration keys{0};
  if (s.ok() && hooks.after_rename) {  // still under the hold
    fault("seal.keys_restoring");
    auto t3 = Clock::now();
    hooks.after_rename();
    keys = Clock::now() - t3;
  }
  bool within = watchdog.Disarm();
  lease.Release();
  auto released_at = Clock::now();
  fault("seal.renamed");
  if (!s.ok() && final_opened) {
    // The RENAME failed or its connection did after the last gate opened: what
    // happened is read from the schema, never assumed; re-read until it can be.
    SealOutcome outcome = Outcome(items);
    for (auto wait = std::chrono::milliseconds(100); outcome == SealOutcome::kUnknown;
         wait = std::min(wait * 2, std::chrono::milliseconds(5000))) {
      if (logger_) logger_->Warn("seal", "outcome of the RENAME unknown (" + s.message() + "); reading it again");
      std::this_thread::sleep_for(wait);
      outcome = Outcome(items);
    }
    if (outcome == SealOutcome::kRenamed) s = Status::Ok();
  }
  gate.Close();  // drops the gate tables (every gate_a renamed to gate_b)
  if (!s.ok()) {
    ResumeAppliers(paused);
    if (hooked && hooks.abandoned) hooks.abandoned();
    if (!within) return Status::Aborted("the hold budget of " + std::to_string(options_.max_hold.count()) +
                                        " ms ran out; nothing was renamed (" + s.message() + ")");
    if (s.code() == StatusCode::kAborted) return s;
    return Status::Aborted("RENAME TABLE failed; nothing was renamed: " + s.message());
  }
  SealResult result;
  result.hold = std::chrono::duration_cast<std::chrono::milliseconds>(released_at - hold_start);
  result.phases = "begin=" + Ms(held_at - hold_start) + " quiet=" + Ms(quiet_at - held_at) + " lock=" + Ms(locking) +
                  " catchup=" + Ms(catching) +
                  " followers=" + Ms(following) + " rename=" + Ms(released_at - caught_at - keys) +
                  " keys=" + Ms(keys);
  return result;
}

Status SealCoordinator::RunInstant(const InstantChange& change, unsigned* server_errno, std::string* server_sqlstate) {
  std::lock_guard<std::mutex> lock(attempt_mu_);
  SqlConn probe, admin, killer;
  SEALGATE_RETURN_IF_ERROR(ConnectAll({&probe, &admin, &killer}));
  BlockerQuery query;
  query.tables = change.tables;
  query.ignore = {admin.connection_id(), killer.connection_id()};
  SEALGATE_RETURN_IF_ERROR(CheckBlockers(probe, query));
  SEALGATE_RETURN_IF_ERROR(admin.Exec("SET SESSION lock_wait_timeout = 3600"));
  for (const auto& statement : change.setup) SEALGATE_RETURN_IF_ERROR(admin.Exec(statement));
  const std::string& sql = change.sql;
  const uint64_t id = admin.connection_id();
  HoldLease lease(hold_);
  SqlConn* killer_conn = &killer;
  HoldWatchdog watchdog(Clock::now() + options_.max_hold, [&lease, killer_conn, id] {
    lease.Release();
    (void)killer_conn->Exec("KILL QUERY " + std::to_string(id));
  });
  if (!hold_->WaitApplied(watchdog.remaining())) return Status::Aborted("the proxy did not apply the hold in time");
  Status done = admin.Exec(sql);
  bool within = watchdog.Disarm();
  lease.Release();
  if (done.ok()) return done;
  *server_errno = admin.server_errno();
  *server_sqlstate = admin.server_sqlstate();
  if (within && *server_errno != 0 && done.code() != StatusCode::kUnavailable) {
    return Status::Aborted(admin.server_error());
  }
  if (!within) {
    return Status::Aborted("the instant change did not finish within the hold budget of " +
                           std::to_string(options_.max_hold.count()) + " ms");
  }
  return done;
}


}  // namespace sealgate::deploy
