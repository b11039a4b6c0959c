// DeployController: sealing, rolling back, detaching and reporting deploys.
#include <algorithm>
#include <ctime>
#include <future>
#include <set>
#include <thread>

#include "deploy/deploy_controller.h"
#include "deploy/foreign_key_swap.h"
#include "deploy/trigger_swap.h"
#include "deploy/seal_followers.h"
#include "sql/alter.h"
#include "sql/errors.h"
#include "sql/lexer.h"

namespace sealgate::deploy {

using migration::QuoteIdent;

namespace {

std::string Text(uint64_t v) { return std::to_string(v); }

// A plain ALTER that cannot be done online, for a reason of the table's
// shape, may still be one the server can run: the refusal names the
// per-statement way through.
ControlReply WithPassthroughWayOut(ControlReply refused) {
  const uint16_t code = refused.error.mysql_errno();
  bool shape = code == error::kInspectNoUniqueKey || code == error::kInspectForeignKey ||
               code == error::kInspectTrigger || code == error::kInspectTable;
  if (!shape || refused.error.message().find(sql::kPassthroughHintWord) != std::string::npos) return refused;
  refused.error = Status(refused.error.code(),
                         refused.error.message() + "; or add the comment /*sealgate:passthrough*/ to the statement to "
                                                   "have the server run it as written (not online)")
                      .WithMysqlError(code, refused.error.sqlstate());
  return refused;
}

// The ALTER sets the table's AUTO_INCREMENT counter itself.
bool SetsAutoIncrement(const std::string& statement) {
  auto alter = sql::AnalyzeAlter(statement);
  if (!alter.ok()) return false;
  for (const auto& spec : alter->specs) {
    if (spec.kind == sql::AlterSpecKind::kTableOption && spec.option_name == "auto_increment") return true;
  }
  return false;
}

}  // namespace

std::optional<ControlReply> DeployController::RefuseOthersDeploy(const ClientContext& c, const std::string& name,
                                                                const char* action) {
  Deploy copy;
  uint64_t opened_by = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = deploys_.find(name);
    if (it == deploys_.end() || BlockOf(c.session_id) == name) return std::nullopt;
    copy = it->second.deploy;
    opened_by = it->second.opened_by;
  }
  if (MayAccess(c, copy, opened_by)) return std::nullopt;  // grant lookups off the lock
  return ControlReply::Error(DeployError(error::kInspectAlterPrivilege,
                                         "you may not ALTER every table of deploy '" + name + "', so you cannot " +
                                             action + " it",
                                         error::kSqlstateSyntax));
}

ControlReply DeployController::Commit(const ClientContext& c, const std::optional<std::string>& requested) {
  if (requested) {
    if (auto refused = RefuseOthersDeploy(c, *requested, "commit")) return *refused;
  }
  std::string name;
  {
    std::lock_guard<std::mutex> lock(mu_);
    name = requested ? *requested : BlockOf(c.session_id);
    if (name.empty()) {
      return ControlReply::Error(DeployError(error::kDeployNoBlock, "no deploy block is open in this session; "
                                                                    "use COMMIT DEPLOY 'name' for a detached deploy"));
    }
    if (c.in_transaction || c.holds_table_locks) {
      // The seal would wait for this session's own locks.
      return ControlReply::Error(DeployError(
          error::kDeployWrongState, std::string("COMMIT DEPLOY cannot run while this session ") +
                                        (c.holds_table_locks ? "holds LOCK TABLES; UNLOCK TABLES first"
                                                             : "has an open transaction; COMMIT or ROLLBACK it first")));
    }
    auto it = deploys_.find(name);
    if (it == deploys_.end()) {
      return ControlReply::Error(DeployError(error::kDeployNotFound, "no deploy is named '" + name + "'"));
    }
    Entry& e = it->second;
    if (!IsActive(e.deploy.state) || e.busy) {
      return ControlReply::Error(DeployError(
          error::kDeployWrongState, "deploy '" + name + "' is " +
                                        (e.busy ? std::string("being committed or rolled back elsewhere")
                                                : DeployStateName(e.deploy.state))));
    }
    e.busy = true;
    e.cancel = false;
    e.waiter = c.session_id & ~(1ull << 63);
    e.deploy.state = DeployState::kSealing;
    (void)Persist(e.deploy);
  }
  Status sealed = SealWithRetries(name, false);
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = deploys_[name];
  e.busy = false;
  e.waiter = 0;
  busy_cv_.notify_all();
  if (!sealed.ok()) {
    e.deploy.state = blocks_.count(c.session_id) && blocks_[c.session_id] == name ? DeployState::kOpen
                                                                                  : DeployState::kDetached;
    e.deploy.last_error = sealed.message();
    (void)Persist(e.deploy);
    if (e.deploy.anonymous && e.deploy.state == DeployState::kDetached) {
      // Its session went away during the COMMIT: nobody can ever seal it.
      std::thread([this, name] { (void)Rollback(ClientContext{}, name); }).detach();
    }
    if (sealed.mysql_errno() == 0) sealed = DeployError(error::kSealFailed, sealed.message());
    return ControlReply::Error(sealed);
  }
  e.deploy.state = DeployState::kSealed;
  e.deploy.last_error.clear();
  {
    char buf[32];
    time_t now = time(nullptr);
    tm parts;
    gmtime_r(&now, &parts);
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &parts);
    e.deploy.sealed_at = buf;
  }
  (void)Persist(e.deploy);
  ClearBlocksOf(name);
  if (options_.logger) {
    options_.logger->Info("deploy", "deploy=" + name + " sealed tables=" + Text(e.deploy.items.size()) +
                                        " hold_ms=" + std::to_string(e.deploy.hold_ms) +
                                        " attempts=" + std::to_string(e.deploy.seal_attempts));
  }
  return ControlReply::Ok("deploy '" + name + "' sealed: " + Text(e.deploy.items.size()) +
                          " table(s), statements held for " + std::to_string(e.deploy.hold_ms) + " ms");
}

Status DeployController::VerifyShadows(const std::string& name, const std::vector<DeployItem>& items) {
  for (const auto& it : items) {
    if (it.kind != ItemKind::kAlter) continue;
    auto p = options_.engine->Progress(it.migration_id);
    if (!p.ok()) return p.status();
    if (p->state == migration::MigrationState::kFailed) {
      return Status::FailedPrecondition("migration " + std::to_string(it.migration_id) + " of " + it.table.name +
                                        " failed: " + p->last_error).WithMysqlError(p->server_errno, p->server_sqlstate);
    }
    if (p->state == migration::MigrationState::kReconnecting) {
      return Status::Unavailable("migration of " + it.table.name + " is " + p->last_error);
    }
    if (p->state != migration::MigrationState::kStaged) return Status::Unavailable(it.table.name + " is still copying");
  }
  for (const auto& it : items) {
    if (it.kind != ItemKind::kAlter) continue;
    auto started = std::chrono::steady_clock::now();
    auto report = options_.engine->Checksum(it.migration_id);
    if (!report.ok()) return report.status().Annotate("checksum of " + it.table.name);
    if (!report->match) {
      return Status::FailedPrecondition("the shadow of " + it.table.name + " differs from the table (" +
                                        report->mismatch + "): it cannot be sealed; ROLLBACK DEPLOY '" + name +
                                        "' and stage it again")
          .WithMysqlError(error::kMigrationChecksumMismatch, error::kSqlstateGeneral);
    }
    if (options_.logger) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
      options_.logger->Info("deploy", "deploy=" + name + " migration=" + std::to_string(it.migration_id) +
                                          " checksum ok rows=" + std::to_string(report->rows) + " chunks=" +
                                          std::to_string(report->chunks) + " ms=" + std::to_string(ms.count()) +
                                          " point_ms=" + std::to_string(report->point_time.count()) +
                                          " read_ms=" + std::to_string(report->read_time.count()) +
                                          " rest_ms=" + std::to_string(report->rest_time.count()) +
                                          " throttled_ms=" + std::to_string(report->throttled_time.count()));
    }
  }
  return Status::Ok();
}

Status DeployController::SealWithRetries(const std::string& name, bool inverse) {
  auto backoff = options_.seal_retry_initial;
  bool verified = inverse || !options_.verify_checksum;
  // Kept across attempts; what no swap took is discarded on the way out.
  SealFollowers followers(options_.engine, [this, &name](const std::vector<uint64_t>& ids) {
    std::lock_guard<std::mutex> lock(mu_);
    Deploy& d = deploys_[name].deploy;
    for (size_t i = 0; i < ids.size() && i < d.items.size(); ++i) {
      if (d.items[i].kind != ItemKind::kAlter) continue;
      d.items[i].follower_id = ids[i];
      (void)store_.UpdateItem(name, i + 1, d.items[i]);
    }
  });
  for (;;) {
    if (!SleepUnlessCancelled(name, std::chrono::milliseconds(0))) return Cancelled(name, inverse);
    if (options_.engine->lease_lost()) {
      return Status::FailedPrecondition("this sealgate lost the deploy lease while sealing deploy '" + name +
                                        "'; the deploy is kept: COMMIT DEPLOY '" + name + "' again in a few seconds")
          .WithMysqlError(error::kDeployNotOwner, error::kSqlstateGeneral);
    }
    if (!inverse) AwaitSealWindow(name);  // a revert is never held back
    std::vector<DeployItem> items;
    {
      std::lock_guard<std::mutex> lock(mu_);
      items = deploys_[name].deploy.items;
    }
    if (items.empty()) return Status::Ok();
    if (inverse) items = InverseItems(items);
    if (!verified) {
      Status v = VerifyShadows(name, items);
      if (v.code() == StatusCode::kUnavailable) {  // still copying, or reconnecting
        {
          std::lock_guard<std::mutex> lock(mu_);
          deploys_[name].deploy.last_error = "waiting: " + v.message();
        }
        (void)SleepUnlessCancelled(name, std::chrono::milliseconds(100));
        continue;
      }
      if (!v.ok()) return v;
      verified = true;
    }
    // Each ALTER's table gets a follower the other way: prepared (and
    // recorded) now, started while the RENAME holds the tables.
    Status prepared = followers.Prepare(items);
    if (!prepared.ok()) {
      if (prepared.code() != StatusCode::kUnavailable) return prepared;
      {
        std::lock_guard<std::mutex> lock(mu_);
        deploys_[name].deploy.last_error = "waiting: " + prepared.message();
      }
      (void)SleepUnlessCancelled(name, std::chrono::milliseconds(100));
      continue;
    }
    auto admin = migration::SqlConn::Open(options_.admin);
    if (!admin.ok()) {
      (void)SleepUnlessCancelled(name, std::chrono::milliseconds(100));
      continue;
    }
    if (!inverse) SEALGATE_RETURN_IF_ERROR(CheckKeysUnchanged(*admin, items));
    SEALGATE_RETURN_IF_ERROR(CheckTriggersUnchanged(*admin, items));
    // A follower into a table that keeps its triggers until they are moved
    // (SettleTriggers) starts paused: its writes must not fire them.
    auto settle = [&] {
      Status keys = SettleKeys(*admin, items);
      Status triggers = SettleTriggers(*admin, items);
      if (triggers.ok()) followers.ResumePaused();
      return keys.ok() ? triggers : keys;
    };
    SealHooks hooks;
    hooks.before_rename = [&](const std::string& schema) {
      SEALGATE_RETURN_IF_ERROR(followers.StartIn(items, schema));
      SEALGATE_RETURN_IF_ERROR(AddSwapKeys(*admin, items, schema));
      return AddSwapTriggers(*admin, items, schema);
    };
    hooks.abandoned = [&] {
      followers.Abandoned();
      Status cleared = ClearSwapKeys(*admin, items);
      Status triggers = ClearSwapTriggers(*admin, items);
      if (!cleared.ok() && options_.logger) {
        options_.logger->Error("deploy", "deploy=" + name + " temporary foreign keys not cleared: " + cleared.ToString());
      }
      if (!triggers.ok() && options_.logger) {
        options_.logger->Error("deploy", "deploy=" + name + " temporary triggers not cleared: " + triggers.ToString());
      }
    };
    hooks.after_rename = [&] { (void)settle(); };
    if (!inverse) hooks.keeps_counter = [](const DeployItem& it) { return SetsAutoIncrement(it.statement); };
    auto attempt = seal_.Attempt(items, hooks);
    if (attempt.ok()) {
      const std::vector<uint64_t> started = followers.Handover();
      const std::string step = inverse ? "revert." : "seal.";
      Fault(step + "bookkeeping_begins");
      // The swapped-out feeders are done; the followers feed the next swap.
      // (A completion that cannot be recorded now is found unneeded at the
      // next start: the items below no longer name it.)
      for (const auto& it : items) {
        if (it.kind == ItemKind::kAlter) (void)options_.engine->Complete(it.migration_id);
      }
      Fault(step + "feeders_completed");
      // Done under the hold unless something stood in the way; done now, or at the next start.
      Status settled = settle();
      for (int tries = 0; !settled.ok() && tries < 10; ++tries) {  // a writer's lock, briefly
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        settled = settle();
      }
      if (!settled.ok() && options_.logger) {
        options_.logger->Error("deploy", "deploy=" + name + " foreign keys or triggers not put back yet: " +
                                             settled.ToString());
      }
      followers.ResumePaused();  // whatever happened: the next start settles what is left
      std::lock_guard<std::mutex> lock(mu_);
      Deploy& d = deploys_[name].deploy;
      for (size_t i = 0; i < items.size() && i < d.items.size(); ++i) {
        if (items[i].kind != ItemKind::kAlter) continue;
        d.items[i].migration_id = i < started.size() ? started[i] : 0;
        d.items[i].follower_id = 0;
        (void)store_.UpdateItem(name, i + 1, d.items[i]);
      }
      Fault(step + "items_recorded");
      ++d.seal_attempts;
      d.hold_ms = attempt->hold.count();
      if (options_.logger) {
        options_.logger->Info("deploy", "deploy=" + name + (inverse ? " revert" : " seal") +
                                            " hold_ms=" + std::to_string(d.hold_ms) + " " + attempt->phases);
      }
      if (options_.on_sealed) options_.on_sealed(attempt->hold);
      return Status::Ok();
    }
    const Status& s = attempt.status();
    if (s.code() == StatusCode::kUnavailable) {  // not staged yet (or a connection failed): not an attempt
      {
        std::lock_guard<std::mutex> lock(mu_);
        deploys_[name].deploy.last_error = "waiting: " + s.message();
      }
      (void)SleepUnlessCancelled(name, std::chrono::milliseconds(100));
      continue;
    }
    if (s.code() == StatusCode::kResourceExhausted) {
      // Blocked: nobody was held. Say who blocks, and look again soon, so the
      // seal goes ahead within a moment of the blocker ending.
      std::string why = "waiting for: " + s.message();
      bool changed = false;
      {
        std::lock_guard<std::mutex> lock(mu_);
        Deploy& d = deploys_[name].deploy;
        changed = d.last_error != why;
        d.last_error = why;
        if (changed) (void)Persist(d);
      }
      if (changed && options_.logger) {
        options_.logger->Warn("deploy", "deploy=" + name + (inverse ? " revert" : " seal") + " " + why);
      }
      (void)SleepUnlessCancelled(name, std::chrono::milliseconds(250));
      continue;
    }
    if (s.code() != StatusCode::kAborted) return s;
    {
      std::lock_guard<std::mutex> lock(mu_);
      Deploy& d = deploys_[name].deploy;
      ++d.seal_attempts;
      d.last_error = std::string(inverse ? "revert" : "seal") + " attempt " + std::to_string(d.seal_attempts) +
                     " abandoned: " + s.message();
      (void)Persist(d);
    }
    if (options_.logger) {
      options_.logger->Warn("deploy", "deploy=" + name + (inverse ? " revert" : " seal") +
                                          " attempt abandoned: " + s.message());
    }
    (void)SleepUnlessCancelled(name, backoff);
    backoff = std::min(backoff * 2, options_.seal_retry_max);
  }
}

bool DeployController::SleepUnlessCancelled(const std::string& name, std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  auto it = deploys_.find(name);
  if (it == deploys_.end()) return true;
  const bool& cancel = it->second.cancel;  // map entries stay put
  if (d.count() > 0) busy_cv_.wait_for(lock, d, [&] { return cancel; });
  return !cancel;
}

Status DeployController::Cancelled(const std::string& name, bool inverse) {
  return Status::Aborted(std::string(inverse ? "REVERT" : "COMMIT") + " DEPLOY '" + name +
                         "' was cancelled (ROLLBACK DEPLOY or KILL QUERY); nothing was changed")
      .WithMysqlError(1317, "70100");
}

void DeployController::CancelWait(uint64_t session_id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [name, e] : deploys_) {
    if (e.busy && e.waiter == session_id) {
      e.cancel = true;
      if (options_.logger) options_.logger->Info("deploy", "deploy=" + name + " wait cancelled by KILL QUERY");
    }
  }
  busy_cv_.notify_all();
}

ControlReply DeployController::Rollback(const ClientContext& c, const std::optional<std::string>& requested) {
  if (requested) {
    if (auto refused = RefuseOthersDeploy(c, *requested, "roll back")) return *refused;
  }
  std::vector<DeployItem> items;
  std::string name;
  {
    std::lock_guard<std::mutex> lock(mu_);
    name = requested ? *requested : BlockOf(c.session_id);
    if (name.empty()) return ControlReply::Error(DeployError(error::kDeployNoBlock, "no deploy block is open in this session"));
    auto it = deploys_.find(name);
    if (it == deploys_.end()) return ControlReply::Error(DeployError(error::kDeployNotFound, "no deploy is named '" + name + "'"));
    if (it->second.busy && it->second.deploy.state == DeployState::kSealing) {
      // A COMMIT waits for the seal: it stops, then the rollback goes on.
      std::unique_lock<std::mutex> wait(mu_, std::adopt_lock);
      it->second.cancel = true;
      busy_cv_.notify_all();
      busy_cv_.wait(wait, [&] {
        auto found = deploys_.find(name);
        return found == deploys_.end() || !found->second.busy;
      });
      wait.release();
      it = deploys_.find(name);
      if (it == deploys_.end()) return ControlReply::Error(DeployError(error::kDeployNotFound, "no deploy is named '" + name + "'"));
    }
    Entry& e = it->second;
    if (e.busy || (!IsActive(e.deploy.state) && e.deploy.state != DeployState::kFailed)) {
      return ControlReply::Error(DeployError(error::kDeployWrongState,
                                             "deploy '" + name + "' is " +
                                                 (e.busy ? std::string("being committed") : DeployStateName(e.deploy.state))));
    }
    e.busy = true;
    items = e.deploy.items;
  }
  Status cancelled = CancelItems(items);
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = deploys_[name];
  e.busy = false;
  busy_cv_.notify_all();
  e.deploy.state = DeployState::kRolledBack;
  e.deploy.last_error = cancelled.ok() ? "" : cancelled.message();
  (void)Persist(e.deploy);
  ClearBlocksOf(name);
  if (options_.logger) options_.logger->Info("deploy", "deploy=" + name + " rolled back");
  return ControlReply::Ok("deploy '" + name + "' rolled back: shadow tables dropped, originals untouched");
}

ControlReply DeployController::End(const ClientContext& c) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string name = BlockOf(c.session_id);
  if (name.empty()) return ControlReply::Error(DeployError(error::kDeployNoBlock, "no deploy block is open in this session"));
  Entry& e = deploys_[name];
  if (e.deploy.anonymous) {
    return ControlReply::Error(DeployError(error::kDeployNeedsName,
                                           "END DEPLOY keeps staging in the background only for named deploys; "
                                           "use COMMIT DEPLOY or ROLLBACK DEPLOY here (or BEGIN DEPLOY 'name')"));
  }
  e.deploy.state = DeployState::kDetached;
  (void)Persist(e.deploy);
  ClearBlock(c.session_id);
  return ControlReply::Ok("deploy '" + name + "' keeps staging; seal it with COMMIT DEPLOY '" + name + "'");
}

void DeployController::OnSessionClosed(uint64_t session_id) {
  // Called on an event loop: decide cheaply, do the work (server I/O) elsewhere.
  if (!InBlock(session_id)) return;
  std::thread([this, session_id] {
    std::string name;
    bool anonymous = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      name = BlockOf(session_id);
      if (name.empty()) return;
      Entry& e = deploys_[name];
      anonymous = e.deploy.anonymous;
      ClearBlock(session_id);
      if (!anonymous && !e.busy) {
        e.deploy.state = DeployState::kDetached;
        (void)Persist(e.deploy);
      }
    }
    // An anonymous block dies with its session.
    if (anonymous) (void)Rollback(ClientContext{}, name);
  }).detach();
}

namespace {

// The tables a deploy keeps besides the live ones (what its staging costs):
// shadows while staging or after a revert, the old tables after a seal.
std::vector<sql::TableName> HeldTables(const Deploy& d) {
  std::vector<sql::TableName> out;
  bool sealed = d.state == DeployState::kSealed || d.state == DeployState::kReverting;
  for (const auto& it : d.items) {
    if (d.state == DeployState::kRolledBack || d.state == DeployState::kFinalized) break;
    if (sealed) {
      if (it.kind != ItemKind::kCreate) out.push_back({it.table.schema, it.old_name});
    } else if (it.kind != ItemKind::kDrop) {
      out.push_back({it.table.schema, it.shadow});
    }
  }
  return out;
}

}  // namespace

ControlReply DeployController::ShowDeploys(const ClientContext& c) {
  ControlReply r;
  r.kind = ControlReply::Kind::kResultSet;
  r.columns = {"name",    "state",         "tables",        "ready",      "created_at",
               "sealed_at", "seal_attempts", "hold_ms",     "revert_until", "storage_bytes",
               "binlog_needed_from", "last_error"};
  // last_error stays the last column.
  r.columns.insert(r.columns.end() - 1, DeployOpsColumns().begin(), DeployOpsColumns().end());
  // A user sees only deploys of tables they may alter (grant lookups off the lock).
  const std::set<std::string> accessible = AccessibleDeploys(c);
  std::vector<Deploy> shown;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, e] : deploys_) {
      if (accessible.count(name)) shown.push_back(e.deploy);
    }
  }
  // Storage held, read off the lock too.
  std::map<std::string, std::optional<std::string>> storage;
  if (auto admin = migration::SqlConn::Open(options_.admin); admin.ok()) {
    for (const auto& d : shown) {
      auto held = HeldTables(d);
      if (held.empty() || d.items.empty()) continue;
      std::string in;
      for (const auto& t : held) {
        in += (in.empty() ? "(" : ", (") + admin->Quote(t.schema) + ", " + admin->Quote(t.name) + ")";
      }
      auto bytes = admin->Scalar("SELECT SUM(DATA_LENGTH + INDEX_LENGTH) FROM information_schema.TABLES WHERE "
                                 "(TABLE_SCHEMA, TABLE_NAME) IN (" + in + ")");
      if (bytes.ok()) storage[d.name] = *bytes;
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto opt = [](const std::string& s) { return s.empty() ? std::nullopt : std::optional<std::string>(s); };
  for (const auto& d : shown) {
    const std::string& name = d.name;
    int ready = 0;
    std::string binlog_from;
    for (const auto& it : d.items) {
      if (it.kind != ItemKind::kAlter) {
        ++ready;
        continue;
      }
      auto p = options_.engine->Progress(it.migration_id);
      if (!p.ok()) continue;
      ready += p->ready || p->state == migration::MigrationState::kCompleted;
      if (!p->applied_file.empty() && (binlog_from.empty() || p->applied_file < binlog_from)) {
        binlog_from = p->applied_file;
      }
    }
    if (!HoldsTables(d.state)) binlog_from.clear();
    auto held = storage.find(name);
    r.rows.push_back({d.anonymous ? "(anonymous) " + name : name, DeployStateName(d.state), Text(d.items.size()),
                      std::to_string(ready), opt(d.created_at), opt(d.sealed_at), std::to_string(d.seal_attempts),
                      d.hold_ms < 0 ? std::nullopt : std::optional(std::to_string(d.hold_ms)), opt(RevertUntil(d)),
                      held == storage.end() ? std::nullopt : held->second, opt(binlog_from), opt(d.last_error)});
    auto ops = DeployOpsCells(name);
    r.rows.back().insert(r.rows.back().end() - 1, ops.begin(), ops.end());
  }
  return r;
}

ControlReply DeployController::ShowStatus(const ClientContext& c, const std::optional<std::string>& requested) {
  ControlReply r;
  r.kind = ControlReply::Kind::kResultSet;
  r.columns = {"deploy", "table", "kind", "migration_id", "state", "rows_copied", "rows_total", "progress_pct",
               "eta_seconds", "lag_ms", "ready", "last_error", "revertible", "revert_note"};
  r.columns.insert(r.columns.end(), MigrationOpsColumns().begin(), MigrationOpsColumns().end());
  std::string only;
  {
    std::lock_guard<std::mutex> lock(mu_);
    only = requested ? *requested : BlockOf(c.session_id);
  }
  // The same deploys as SHOW DEPLOYS shows this caller (grant lookups off the lock).
  const std::set<std::string> accessible = AccessibleDeploys(c, [&](const Deploy& d) {
    return only.empty() ? HoldsTables(d.state) : d.name == only;
  });
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, e] : deploys_) {
    if (!only.empty() && name != only) continue;
    if (only.empty() && !HoldsTables(e.deploy.state)) continue;
    if (!accessible.count(name)) continue;
    const DeployState state = e.deploy.state;
    const bool swapped = state == DeployState::kSealed || state == DeployState::kReverted ||
                         state == DeployState::kReverting || state == DeployState::kFinalized;
    for (const auto& it : e.deploy.items) {
      std::vector<std::optional<std::string>> row = {name, it.table.schema + "." + it.table.name, ItemKindName(it.kind)};
      std::string why;
      std::string revertible = Revertibility(e.deploy, it, &why);
      auto revert_cols = [&] {
        row.push_back(revertible.empty() ? std::nullopt : std::optional(revertible));
        row.push_back(why.empty() ? std::nullopt : std::optional(why));
      };
      if (it.kind != ItemKind::kAlter || state == DeployState::kFinalized || state == DeployState::kRolledBack) {
        std::string shown_state = swapped || state == DeployState::kRolledBack ? DeployStateName(state) : "staged";
        row.insert(row.end(), {std::nullopt, shown_state, std::nullopt, std::nullopt,
                               std::optional<std::string>("100"), std::nullopt, std::nullopt, "yes", std::nullopt});
        revert_cols();
        auto ops = MigrationOpsCells(nullptr);
        row.insert(row.end(), ops.begin(), ops.end());
        r.rows.push_back(std::move(row));
        continue;
      }
      auto p = options_.engine->Progress(it.migration_id);
      if (!p.ok()) {
        row.insert(row.end(), {Text(it.migration_id), "unknown", std::nullopt, std::nullopt, std::nullopt, std::nullopt,
                               std::nullopt, "no", p.status().message()});
        revert_cols();
        auto ops = MigrationOpsCells(nullptr);
        row.insert(row.end(), ops.begin(), ops.end());
        r.rows.push_back(std::move(row));
        continue;
      }
      char pct[16];
      snprintf(pct, sizeof pct, "%.1f", p->state == migration::MigrationState::kCopying ? p->percent : 100.0);
      // After a swap the row shows the deploy's state and its follower's lag.
      std::string shown_state = swapped && p->state != migration::MigrationState::kFailed
                                    ? DeployStateName(state)
                                    : migration::MigrationStateName(p->state);
      row.insert(row.end(),
                 {Text(it.migration_id), shown_state, swapped ? std::nullopt : std::optional(Text(p->rows_copied)),
                  swapped ? std::nullopt : std::optional(Text(p->rows_estimated)), std::string(pct),
                  p->eta ? std::optional(std::to_string(p->eta->count())) : std::nullopt, Text(p->lag.count()),
                  p->ready ? "yes" : "no", p->last_error.empty() ? std::nullopt : std::optional(p->last_error)});
      revert_cols();
      auto ops = MigrationOpsCells(&*p, swapped);
      row.insert(row.end(), ops.begin(), ops.end());
      r.rows.push_back(std::move(row));
    }
  }
  return r;
}

std::optional<ControlReply> DeployController::TryDirect(const ClientContext& c, const std::string& sql) {
  auto alter = sql::AnalyzeAlter(sql);
  if (!alter.ok() || alter->specs.empty() || !options_.hold) return std::nullopt;
  sql::TableName table = {alter->table.schema.empty() ? c.database : alter->table.schema, alter->table.name};
  if (table.schema.empty()) return std::nullopt;
  auto admin = migration::SqlConn::Open(options_.admin);
  if (!admin.ok()) return std::nullopt;
  if (c.client) {
    migration::GrantTablePrivilegeCheck grants(&*admin, c.user, c.host, c.account_host);
    Status allowed = grants.CheckAlter(table);
    if (!allowed.ok()) return ControlReply::Error(allowed);
  }
  if (!FinalizeImplicitOwner(table).ok()) return std::nullopt;  // staging reports it
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (TableOwner(table) || reserved_.count({table.schema, table.name})) return std::nullopt;  // staging reports it
  }
  // Even a metadata-only change takes an exclusive metadata lock: it runs
  // under the seal's hold, budget and blocker rules, never beside a seal.
  auto owner_of = [this](const sql::TableName& t) -> std::optional<std::string> {
    (void)FinalizeImplicitOwner(t);  // a plain ALTER's revert window ends when a related table changes
    std::lock_guard<std::mutex> lock(mu_);
    if (reserved_.count({t.schema, t.name})) return std::string("(being staged)");
    return TableOwner(t);
  };
  DirectAlter::Result done = direct_.Run(*alter, table, owner_of, c.settings);
  switch (done.verdict) {
    case DirectAlter::Verdict::kDone: return ControlReply::Ok("");
    case DirectAlter::Verdict::kRefused: return ControlReply::Error(done.error);
    case DirectAlter::Verdict::kStage: break;
  }
  return std::nullopt;
}

ControlReply DeployController::PlainAlter(const ClientContext& c, const sql::Statement& st, const std::string& sql) {
  if (options_.plain_alter == PlainAlterMode::kReject) {
    return ControlReply::Error(DeployError(error::kPlainAlterRejected,
                                           "plain ALTER TABLE is disabled here (ddl.plain_alter = reject); "
                                           "stage it with BEGIN DEPLOY ... COMMIT DEPLOY"));
  }
  if (c.holds_table_locks) {
    return ControlReply::Error(DeployError(error::kDeployWrongState,
                                           "this session holds LOCK TABLES: an online ALTER would wait for its own "
                                           "locks at the seal; UNLOCK TABLES first"));
  }
  if (st.kind == sql::StatementKind::kAlterTable) {
    auto direct = TryDirect(c, sql);
    // Too large for the server under the hold (new columns with keys, or a
    // key whose index must be built): staged in two steps if it can be.
    if (!direct || (direct->kind == ControlReply::Kind::kError &&
                    direct->error.mysql_errno() == error::kAlterAddsForeignKey)) {
      if (auto split = SplitForeignKeys(c, sql)) return *split;
    }
    if (direct) return *direct;
  } else if (st.kind == sql::StatementKind::kCreateIndex || st.kind == sql::StatementKind::kDropIndex) {
    auto alter = IndexStatementAsAlter(st, sql, c.database);
    if (alter.ok()) {
      if (auto direct = TryDirect(c, *alter)) return *direct;
    }
  }
  return StagePlainAlter(c, st, sql);
}

std::optional<ControlReply> DeployController::SplitForeignKeys(const ClientContext& c, const std::string& sql) {
  auto alter = sql::AnalyzeAlter(sql);
  if (!alter.ok()) return std::nullopt;
  sql::AlterTable rest = *alter;
  rest.specs.clear();
  std::vector<const sql::AlterSpec*> keys;
  std::set<std::string> added_columns, indexed;  // lower-cased
  for (const auto& spec : alter->specs) {
    if (spec.kind == sql::AlterSpecKind::kAddForeignKey) {
      keys.push_back(&spec);
      continue;
    }
    if (spec.foreign_key) return std::nullopt;  // a column with REFERENCES
    // Only new columns that start out NULL in every row: no row can be an orphan.
    if (spec.kind == sql::AlterSpecKind::kAddColumn) {
      std::string def = sql::ToLower(spec.definition);
      bool null_start = def.find("not null") == std::string::npos &&
                        (def.find("default") == std::string::npos || def.find("default null") != std::string::npos) &&
                        def.find("as ") == std::string::npos;
      if (null_start) added_columns.insert(sql::ToLower(spec.column));
    }
    if (spec.kind == sql::AlterSpecKind::kAddIndex && !spec.index_columns.empty()) {
      indexed.insert(sql::ToLower(spec.index_columns.front()));
    }
    rest.specs.push_back(spec);
  }
  if (keys.empty()) return std::nullopt;
  const sql::TableName table = {alter->table.schema.empty() ? c.database : alter->table.schema, alter->table.name};
  auto admin = migration::SqlConn::Open(options_.admin);
  if (!admin.ok()) return std::nullopt;
  // The table's indexes, each as its columns in order (lower-cased, comma-joined).
  auto indexes = admin->Query("SELECT LOWER(GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX)) FROM "
                              "information_schema.STATISTICS WHERE TABLE_SCHEMA = " + admin->Quote(table.schema) +
                              " AND TABLE_NAME = " + admin->Quote(table.name) + " GROUP BY INDEX_NAME");
  if (!indexes.ok()) return std::nullopt;
  sql::AlterTable only_keys = *alter;
  only_keys.specs.clear();
  for (const sql::AlterSpec* k : keys) {
    if (k->index_name.empty()) return std::nullopt;  // the server would name its index: not guessed
    size_t fresh = 0;
    std::string wanted;
    for (const auto& col : k->index_columns) {
      fresh += added_columns.count(sql::ToLower(col));
      wanted += (wanted.empty() ? "" : ",") + sql::ToLower(col);
    }
    if (fresh != 0 && fresh != k->index_columns.size()) return std::nullopt;
    bool has_index = indexed.count(sql::ToLower(k->index_columns.front())) > 0;
    for (const auto& r : *indexes) {
      const std::string cols = r[0].value_or("");
      has_index = has_index || cols == wanted || cols.rfind(wanted + ",", 0) == 0;
    }
    if (fresh == 0) {
      // Existing rows: refused before anything is staged if one is an orphan.
      const sql::TableName parent = {k->ref_table.schema.empty() ? table.schema : k->ref_table.schema,
                                     k->ref_table.name};
      auto orphan = DirectAlter::FindOrphan(*admin, table, k->index_columns, parent, k->ref_columns);
      if (!orphan.ok()) return ControlReply::Error(orphan.status());
      if (*orphan) {
        return ControlReply::Error(Status::FailedPrecondition("Cannot add foreign key " + QuoteIdent(k->index_name) +
                                                              ": " + **orphan + "; nothing was changed")
                                       .WithMysqlError(1452, "23000"));
      }
    }
    // The index the server would create for the key, under the key's name.
    if (!has_index) {
      sql::AlterSpec index;
      index.kind = sql::AlterSpecKind::kAddIndex;
      index.index_type = sql::IndexType::kIndex;
      index.index_name = k->index_name;
      index.index_columns = k->index_columns;
      std::string cols;
      for (const auto& col : k->index_columns) cols += (cols.empty() ? "" : ", ") + QuoteIdent(col);
      index.text = "ADD INDEX " + QuoteIdent(k->index_name) + " (" + cols + ")";
      rest.specs.push_back(index);
    }
    only_keys.specs.push_back(*k);
  }
  if (rest.specs.empty()) return std::nullopt;
  // The columns and indexes as a copy (the new columns hold no value yet),
  // then the keys without one, once the copy is sealed.
  const std::string first = sql::RenderAlter(rest, table), second = sql::RenderAlter(only_keys, table);
  if (options_.logger) {
    options_.logger->Info("deploy", "ALTER of " + table.schema + "." + table.name +
                                        " in two steps: its columns and indexes staged as a copy, then its foreign "
                                        "keys added without one");
  }
  ControlReply staged = StagePlainAlter(c, sql::Classify(first), first);
  if (staged.kind == ControlReply::Kind::kError) return staged;
  if (auto added = TryDirect(c, second)) {
    if (added->kind != ControlReply::Kind::kError) return added;
    return ControlReply::Error(Status::FailedPrecondition("the columns and indexes of this ALTER were added, its "
                                                          "foreign keys were not: " + added->error.message())
                                   .WithMysqlError(added->error.mysql_errno(), added->error.sqlstate()));
  }
  return ControlReply::Error(DeployError(error::kAlterAddsForeignKey,
                                         "the columns and indexes of this ALTER were added; its foreign keys could "
                                         "not be added without a copy: send `" + second + "` again",
                                         error::kSqlstateNotSupported));
}

ControlReply DeployController::StagePlainAlter(const ClientContext& c, const sql::Statement& st,
                                               const std::string& sql) {
  // An implicit one-statement deploy that replies once sealed.
  ClientContext self = c;
  self.session_id = c.session_id | (1ull << 63);  // its own block, never the client's
  sql::Statement begin;
  begin.kind = sql::StatementKind::kBeginDeploy;
  ControlReply opened = Begin(self, begin);
  if (opened.kind == ControlReply::Kind::kError) return opened;
  std::string name;
  {
    std::lock_guard<std::mutex> lock(mu_);
    name = BlockOf(self.session_id);
  }
  ControlReply staged = Stage(self, st, sql, name);
  if (staged.kind == ControlReply::Kind::kError) {
    (void)Rollback(self, std::nullopt);
    return WithPassthroughWayOut(std::move(staged));
  }
  ControlReply sealed = Commit(self, std::nullopt);
  if (sealed.kind == ControlReply::Kind::kError) {
    (void)Rollback(self, std::nullopt);
    return sealed;
  }
  return ControlReply::Ok("");
}

}  // namespace sealgate::deploy
