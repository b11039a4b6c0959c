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

namespace sealgate::deploy {

using migration::QuoteIdent;

namespace {

std::string Text(uint64_t v) { return std::to_string(v); }

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
    e.checked = false;
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
    if (!p.ok()) {
      // Not running: a shadow that is not the migration's own is why, if it is.
      Status bound = options_.engine->CheckBound(it.migration_id);
      if (bound.code() == StatusCode::kFailedPrecondition) {
        return std::move(bound).WithMysqlError(error::kMigrationShadowFailed, error::kSqlstateGeneral);
      }
      return p.status();
    }
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
      std::lock_guard<std::mutex> lock(mu_);
      deploys_[name].checked = true;
    }
    // Every shadow is still the table its migration created (checksum or not).
    if (!inverse) {
      for (const auto& it : items) {
        if (it.kind != ItemKind::kAlter) continue;
        Status bound = options_.engine->CheckBound(it.migration_id);
        if (bound.code() == StatusCode::kFailedPrecondition) {
          return std::move(bound).WithMysqlError(error::kMigrationShadowFailed, error::kSqlstateGeneral);
        }
      }
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
      // The statement that waited (a plain ALTER's own deploy) may take the
      // deploy first to roll it back itself: that is waited for too (busy
      // again), and its outcome is the answer.
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
      if (it->second.deploy.state == DeployState::kRolledBack) {
        return ControlReply::Ok("deploy '" + name + "' rolled back: shadow tables dropped, originals untouched");
      }
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

}  // namespace sealgate::deploy
