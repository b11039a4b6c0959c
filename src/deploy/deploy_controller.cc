#include "deploy/deploy_controller.h"

#include <re2/re2.h>

#include <algorithm>
#include <ctime>
#include <thread>

#include "deploy/controller_util.h"
#include "deploy/foreign_key_swap.h"
#include "deploy/trigger_swap.h"
#include "common/utf8.h"
#include "migration/shadow.h"
#include "sql/errors.h"

namespace sealgate::deploy {

using migration::QuoteTable;
using migration::SqlConn;
using sql::StatementKind;

namespace {

std::string UtcNow() {
  char buf[64];
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  tm parts;
  gmtime_r(&ts.tv_sec, &parts);
  snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%03ld", parts.tm_year + 1900, parts.tm_mon + 1,
           parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, ts.tv_nsec / 1000000);
  return buf;
}

bool IsDeployControl(StatementKind k) {
  switch (k) {
    case StatementKind::kBeginDeploy:
    case StatementKind::kCommitDeploy:
    case StatementKind::kRollbackDeploy:
    case StatementKind::kEndDeploy:
    case StatementKind::kRevertDeploy:
    case StatementKind::kFinalizeDeploy:
    case StatementKind::kShowDeploys:
    case StatementKind::kShowDeployStatus:
    case StatementKind::kAlterDeploy:
    case StatementKind::kShowDeployCheck:
      return true;
    default:
      return false;
  }
}

bool IsStageableDdl(StatementKind k) {
  return k == StatementKind::kAlterTable || k == StatementKind::kCreateIndex || k == StatementKind::kDropIndex;
}

}  // namespace

StatusOr<std::string> IndexStatementAsAlter(const sql::Statement& st, const std::string& sql, const std::string& db) {
  sql::TableName t = Resolve(st.tables.at(0), db);
  if (st.kind == StatementKind::kDropIndex) {
    return "ALTER TABLE " + Qualified(t) + " DROP INDEX " + migration::QuoteIdent(st.index_name);
  }
  static const re2::RE2 kCreate(
      R"((?is)^\s*CREATE\s+(?:OR\s+REPLACE\s+)?((?:UNIQUE|FULLTEXT|SPATIAL)\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?)"
      R"((?:`(?:[^`]|``)+`|[\w$]+)\s+(?:USING\s+\w+\s+)?ON\s+(?:`(?:[^`]|``)+`|[\w$]+)(?:\s*\.\s*(?:`(?:[^`]|``)+`|[\w$]+))?\s*(\(.*)$)");
  std::string kind, rest;
  if (!re2::RE2::FullMatch(sql, kCreate, &kind, &rest)) {
    return DeployError(error::kDeployUnsupported, "cannot read this CREATE INDEX; write it as ALTER TABLE ... ADD INDEX",
                       error::kSqlstateNotSupported);
  }
  return "ALTER TABLE " + Qualified(t) + " ADD " + kind + "INDEX " + migration::QuoteIdent(st.index_name) + " " + rest;
}


ControlReply ControlReply::Forward() {
  ControlReply r;
  r.kind = Kind::kForward;
  return r;
}

ControlReply ControlReply::Ok(std::string info, uint64_t affected) {
  ControlReply r;
  r.kind = Kind::kOk;
  r.info = std::move(info);
  r.affected_rows = affected;
  return r;
}

ControlReply ControlReply::Error(Status status) {
  ControlReply r;
  r.kind = Kind::kError;
  r.error = std::move(status);
  return r;
}

DeployController::DeployController(ControllerOptions options)
    : options_(options),
      seal_(options.engine, options.admin, options.hold, options.seal, options.logger),
      direct_({options.admin, &seal_, options.direct_max_rows, options.logger, options.faults}),
      store_(options.admin, options.metadata_schema),
      control_store_(options.admin, options.metadata_schema),
      scheduler_(std::make_unique<SealScheduler>([this](const std::string& name) { SealScheduled(name); })) {
  if (migration::Engine* engine = options_.engine) store_.set_writable([engine] { return !engine->lease_lost(); });
}

DeployController::~DeployController() {
  {
    std::lock_guard<std::mutex> lock(retention_mu_);
    retention_stop_ = true;
  }
  retention_cv_.notify_all();
  if (retention_thread_.joinable()) retention_thread_.join();
}

Status DeployController::Open() {
  std::lock_guard<std::mutex> lock(mu_);
  SEALGATE_RETURN_IF_ERROR(store_.Open());
  auto all = store_.LoadAll();
  if (!all.ok()) return all.status();
  auto admin = SqlConn::Open(options_.admin);
  for (auto& d : *all) {
    if ((d.state == DeployState::kSealing || d.state == DeployState::kReverting) && admin.ok()) {
      RecoverInterruptedSeal(*admin, &d);
    }
    // No session owns a block after a restart; a seal that did not happen is retried by the next COMMIT.
    if (d.state == DeployState::kOpen || d.state == DeployState::kSealing) {
      d.state = d.anonymous ? DeployState::kFailed : DeployState::kDetached;
      if (d.anonymous) d.last_error = "its session ended while sealgate was down; ROLLBACK DEPLOY '" + d.name + "'";
      (void)store_.Update(d);
    }
    // A swap whose foreign keys were not all put back before the stop.
    if ((d.state == DeployState::kSealed || d.state == DeployState::kReverted) && admin.ok()) {
      const std::vector<DeployItem> swapped = d.state == DeployState::kReverted ? InverseItems(d.items) : d.items;
      Status restored = SettleKeys(*admin, swapped);
      if (!restored.ok() && options_.logger) {
        options_.logger->Error("deploy", "deploy=" + d.name + " foreign keys not put back: " + restored.ToString());
      }
      Status moved = SettleTriggers(*admin, swapped);
      if (!moved.ok() && options_.logger) {
        options_.logger->Error("deploy", "deploy=" + d.name + " triggers not moved: " + moved.ToString());
      }
    }
    std::string name = d.name;
    deploys_[name] = Entry{std::move(d), false};
  }
  int active = 0;
  for (const auto& [name, e] : deploys_) active += HoldsTables(e.deploy.state);
  active_deploys_.store(active);
  SEALGATE_RETURN_IF_ERROR(OpenOps());
  if (!retention_thread_.joinable()) retention_thread_ = std::thread([this] { RetentionLoop(); });
  return Status::Ok();
}

Status DeployController::CheckKeysUnchanged(SqlConn& admin, const std::vector<DeployItem>& items) {
  for (const auto& it : items) {
    if (it.kind != ItemKind::kAlter) continue;
    auto now = ReadForeignKeys(admin, it.table);
    if (!now.ok()) return now.status();
    if (SerializeForeignKeys(*now) == it.foreign_keys) continue;
    return DeployError(error::kDeployUnsupported,
                       "the foreign keys of " + Qualified(it.table) + " or of the tables referencing it changed after "
                       "it was staged (the swap would lose the change): ROLLBACK DEPLOY and stage it again",
                       error::kSqlstateNotSupported);
  }
  return Status::Ok();
}

void DeployController::RecoverInterruptedSeal(SqlConn& admin, Deploy* d) {
  // What happened is read from the schema: the RENAME moved every table or none.
  if (d->items.empty()) return;
  const bool inverse = d->state == DeployState::kReverting;
  const std::vector<DeployItem> swap = inverse ? InverseItems(d->items) : d->items;
  for (const auto& db : SealCoordinator::Databases(swap)) {
    (void)admin.Exec("DROP TABLE IF EXISTS " + QuoteTable(db, SealCoordinator::kGateA) + ", " +
                     QuoteTable(db, SealCoordinator::kGateB));
  }
  // Unknown (half a rename cannot be: the RENAME is atomic) counts as not renamed.
  bool renamed = SealCoordinator::ReadOutcome(admin, swap) == SealOutcome::kRenamed;
  for (size_t i = 0; i < d->items.size(); ++i) {
    DeployItem& it = d->items[i];
    if (it.kind != ItemKind::kAlter) continue;
    if (renamed) {
      // follower_id is 0 when the items were updated before the stop.
      if (it.follower_id) {
        (void)options_.engine->Complete(it.migration_id);
        it.migration_id = it.follower_id;
      }
    } else if (it.follower_id) {
      (void)options_.engine->Discard(it.follower_id);
    }
    it.follower_id = 0;
    (void)store_.UpdateItem(d->name, i + 1, it);
  }
  if (!renamed) {
    (void)ClearSwapKeys(admin, swap);
    (void)ClearSwapTriggers(admin, swap);
    if (inverse) {
      d->state = DeployState::kSealed;  // the revert did not happen
      (void)store_.Update(*d);
    }
    return;
  }
  d->state = inverse ? DeployState::kReverted : DeployState::kSealed;
  (void)SettleKeys(admin, swap);
  (void)SettleTriggers(admin, swap);
  d->sealed_at = UtcNow();
  d->last_error = std::string(inverse ? "reverted" : "sealed") + " before a restart interrupted the bookkeeping";
  (void)store_.Update(*d);
  if (options_.logger) {
    options_.logger->Info("deploy", "deploy=" + d->name + " recovered as " + DeployStateName(d->state) +
                                        " from the schema");
  }
}

std::string DeployController::BlockOf(uint64_t session_id) const {
  auto it = blocks_.find(session_id);
  return it == blocks_.end() ? "" : it->second;
}

bool DeployController::MayControl(const ClientContext& c, const Deploy& d) {
  if (!c.client) return true;
  auto conn = SqlConn::Open(options_.admin);
  if (!conn.ok()) return false;
  migration::GrantTablePrivilegeCheck grants(&*conn, c.user, c.host, c.account_host);
  for (const auto& it : d.items) {
    if (!grants.CheckAlter(it.table).ok()) return false;
  }
  return true;
}

bool DeployController::MayAccess(const ClientContext& c, const Deploy& d, uint64_t opened_by,
                                 migration::GrantTablePrivilegeCheck* grants) {
  if (!c.client) return true;
  // A plain ALTER's implicit deploy runs as the session id with the top bit set.
  if (opened_by != 0 && (opened_by == c.session_id || opened_by == (c.session_id | (1ull << 63)))) return true;
  // Another session's anonymous block with nothing staged yet: no table to judge by, and not the caller's.
  if (d.anonymous && d.items.empty()) return false;
  if (!grants) return MayControl(c, d);
  for (const auto& it : d.items) {
    if (!grants->CheckAlter(it.table).ok()) return false;
  }
  return true;
}

std::set<std::string> DeployController::AccessibleDeploys(const ClientContext& c,
                                                          const std::function<bool(const Deploy&)>& wanted) {
  std::vector<std::pair<Deploy, uint64_t>> all;
  std::set<std::string> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, e] : deploys_) {
      if (wanted && !wanted(e.deploy)) continue;
      if (!c.client || BlockOf(c.session_id) == name) {
        out.insert(name);
      } else {
        all.emplace_back(e.deploy, e.opened_by);
      }
    }
  }
  if (all.empty()) return out;
  auto conn = SqlConn::Open(options_.admin);
  if (!conn.ok()) return out;  // grants unknown: only the caller's own
  migration::GrantTablePrivilegeCheck grants(&*conn, c.user, c.host, c.account_host);
  for (const auto& [d, opened_by] : all) {
    if (MayAccess(c, d, opened_by, &grants)) out.insert(d.name);
  }
  return out;
}

bool DeployController::InBlock(uint64_t session_id) const {
  // The common case — no deploy block open anywhere — costs one atomic load.
  if (in_block_count_.load(std::memory_order_acquire) == 0) return false;
  std::lock_guard<std::mutex> lock(block_mu_);
  return in_block_.count(session_id) > 0;
}

void DeployController::SetBlock(uint64_t session_id, const std::string& name) {
  blocks_[session_id] = name;
  std::lock_guard<std::mutex> lock(block_mu_);
  in_block_.insert(session_id);
  in_block_count_.store(in_block_.size(), std::memory_order_release);
}

void DeployController::ClearBlock(uint64_t session_id) {
  blocks_.erase(session_id);
  std::lock_guard<std::mutex> lock(block_mu_);
  in_block_.erase(session_id);
  in_block_count_.store(in_block_.size(), std::memory_order_release);
}

void DeployController::ClearBlocksOf(const std::string& name) {
  for (auto it = blocks_.begin(); it != blocks_.end();) {
    if (it->second == name) {
      {
        std::lock_guard<std::mutex> lock(block_mu_);
        in_block_.erase(it->first);
        in_block_count_.store(in_block_.size(), std::memory_order_release);
      }
      it = blocks_.erase(it);
    } else {
      ++it;
    }
  }
}

void DeployController::Unreserve(const sql::TableName& t) { reserved_.erase({t.schema, t.name}); }

bool DeployController::Wants(const sql::Statement& st, const SessionFacts& session) const {
  if (IsDeployControl(st.kind)) return true;
  if (InBlock(session.session_id)) return true;
  if (st.passthrough_hint && IsStageableDdl(st.kind)) {
    if (options_.logger) {
      options_.logger->Info("deploy", "session=" + std::to_string(session.session_id) + " " +
                                          sql::StatementKindName(st.kind) +
                                          " with /*sealgate:passthrough*/ goes to the server as written");
    }
    return false;
  }
  if (IsStageableDdl(st.kind)) {
    // Indexes switched off and on around a dump's INSERTs: nothing to stage
    // (a no-op for InnoDB), and the dump holds LOCK TABLES meanwhile.
    if (st.toggles_keys_only || options_.plain_alter == PlainAlterMode::kPassthrough) return false;
    if (session.holds_table_locks && options_.plain_alter == PlainAlterMode::kOnline) {
      // The online way cannot run under the session's own locks (the seal
      // would wait for them): the server runs it, locks and all.
      if (options_.logger) {
        std::string table = st.tables.empty() ? "?" : st.tables[0].name;
        if (!st.tables.empty() && !st.tables[0].schema.empty()) table = st.tables[0].schema + "." + table;
        options_.logger->Info("deploy", "session=" + std::to_string(session.session_id) + " holds LOCK TABLES: its " +
                                            sql::StatementKindName(st.kind) + " of " + table +
                                            " goes to the server as is, not online");
      }
      return false;
    }
    return true;
  }
  if (st.kind == StatementKind::kSetSessionVariable && active_deploys_.load() > 0) {
    for (const auto& v : st.variables) {
      if (v == "sql_log_bin" || v == "binlog_format" || v == "binlog_row_image") return true;
    }
  }
  return false;
}

ControlReply DeployController::Execute(const ClientContext& c, const sql::Statement& st, const std::string& sql) {
  if (!st.syntax_error.empty()) {
    if (st.kind == StatementKind::kOther) {  // refused by the proxy front (a multi-statement)
      return ControlReply::Error(DeployError(error::kDeployUnsupported, st.syntax_error, error::kSqlstateNotSupported));
    }
    return ControlReply::Error(DeployError(error::kDeploySyntax, st.syntax_error, error::kSqlstateSyntax));
  }
  switch (st.kind) {
    case StatementKind::kBeginDeploy: return Begin(c, st);
    case StatementKind::kCommitDeploy:
      return st.commit_at ? ScheduleCommit(c, st.deploy_name, *st.commit_at) : Commit(c, st.deploy_name);
    case StatementKind::kAlterDeploy: return AlterDeploy(c, st);
    case StatementKind::kRollbackDeploy: return Rollback(c, st.deploy_name);
    case StatementKind::kEndDeploy: return End(c);
    case StatementKind::kShowDeploys: return ShowDeploys(c);
    case StatementKind::kShowDeployStatus: return ShowStatus(c, st.deploy_name);
    case StatementKind::kShowDeployCheck: return ShowCheck(c);
    case StatementKind::kRevertDeploy: return Revert(c, st.deploy_name.value_or(""));
    case StatementKind::kFinalizeDeploy: return Finalize(c, st.deploy_name.value_or(""));
    default: break;
  }
  // DDL text in another character set than UTF-8 is kept, parsed and run as
  // UTF-8 (meaning the same under the client's converted settings).
  if (c.settings && !IsAscii(sql)) {
    ClientContext utf8 = c;
    auto admin = SqlConn::Open(options_.admin);
    if (!admin.ok()) return ControlReply::Error(admin.status());
    auto text = utf8.settings->TextAsUtf8(*admin, sql);
    if (!text.ok()) return ControlReply::Error(text.status());
    if (*text != sql) {
      sql::Statement again = sql::Classify(*text);
      if (again.kind == st.kind && again.syntax_error.empty()) return ExecuteDdl(utf8, again, *text);
    }
  }
  return ExecuteDdl(c, st, sql);
}

ControlReply DeployController::ExecuteDdl(const ClientContext& c, const sql::Statement& st, const std::string& sql) {
  std::string block;
  {
    std::lock_guard<std::mutex> lock(mu_);
    block = BlockOf(c.session_id);
  }
  if (!block.empty()) return Stage(c, st, sql, block);
  if (st.kind == StatementKind::kSetSessionVariable) {
    return ControlReply::Error(DeployError(error::kDeployStatementNotAllowed,
                                           "changing sql_log_bin, binlog_format or binlog_row_image is refused "
                                           "while deploys are staging: those writes would bypass the migrations"));
  }
  return PlainAlter(c, st, sql);
}

Status DeployController::Persist(const Deploy& d) {
  int active = 0;
  for (const auto& [name, e] : deploys_) active += HoldsTables(e.deploy.state);
  active_deploys_.store(active);
  return store_.Update(d);
}

ControlReply DeployController::Begin(const ClientContext& c, const sql::Statement& st) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string open = BlockOf(c.session_id);
  if (!open.empty()) {
    return ControlReply::Error(DeployError(error::kDeployBlockOpen, "deploy '" + open +
                                                                         "' is already open in this session; "
                                                                         "COMMIT DEPLOY or ROLLBACK DEPLOY it first"));
  }
  Deploy d;
  d.created_at = UtcNow();
  d.anonymous = !st.deploy_name.has_value();
  d.name = d.anonymous ? "anonymous-" + std::to_string(c.session_id) + "-" + std::to_string(++anonymous_counter_) +
                             "-" + std::to_string(time(nullptr))
                       : *st.deploy_name;
  if (d.name.empty() || d.name.size() > 128) {
    return ControlReply::Error(DeployError(error::kDeploySyntax, "a deploy name has 1 to 128 characters",
                                           error::kSqlstateSyntax));
  }
  if (auto taken = deploys_.find(d.name); taken != deploys_.end()) {
    const DeployState was = taken->second.deploy.state;
    if (was != DeployState::kRolledBack && was != DeployState::kFinalized) {
      return ControlReply::Error(DeployError(
          error::kDeployNameTaken, "deploy name '" + d.name + "' is taken by a deploy that is " +
                                       DeployStateName(was) + "; " +
                                       (IsActive(was) ? "COMMIT DEPLOY or ROLLBACK DEPLOY" : "FINALIZE DEPLOY") +
                                       " it first, or choose another name"));
    }
    // An ended deploy keeps its history under "name#n"; the name is free again.
    std::string retired;
    for (int n = 1; retired.empty() || deploys_.count(retired); ++n) retired = d.name + "#" + std::to_string(n);
    Status moved = store_.Retire(d.name, retired);
    if (!moved.ok()) return ControlReply::Error(moved);
    Entry old = std::move(taken->second);
    deploys_.erase(taken);
    old.deploy.name = retired;
    deploys_[retired] = std::move(old);
    // The ended deploy's pause, throttle and scheduled seal are not the new one's.
    if (controls_.erase(d.name)) {
      Status cleared = control_store_.Save(d.name, DeployControls{});
      if (!cleared.ok()) return ControlReply::Error(cleared);
    }
    if (options_.logger) {
      options_.logger->Info("deploy", "deploy=" + d.name + " (" + DeployStateName(was) + ") is kept as '" + retired +
                                          "': the name is used again");
    }
  }
  Status s = store_.Create(d);
  if (!s.ok()) {
    if (s.code() == StatusCode::kAlreadyExists) return ControlReply::Error(DeployError(error::kDeployNameTaken, s.message()));
    return ControlReply::Error(s);
  }
  SetBlock(c.session_id, d.name);
  std::string name = d.name;
  deploys_[name] = Entry{std::move(d), false};
  deploys_[name].opened_by = c.session_id;
  active_deploys_.fetch_add(1);
  if (options_.logger) {
    options_.logger->Info("deploy", "deploy=" + name + " opened session=" + std::to_string(c.session_id) +
                                        " user=" + (c.client ? c.user : "sealgate"));
  }
  return ControlReply::Ok(st.deploy_name ? "deploy '" + name + "' opened" : "deploy opened");
}

Status DeployController::TableBusy(const sql::TableName& t, const std::string& owner, uint64_t session_id) const {
  auto it = deploys_.find(owner);
  if (it != deploys_.end() && !IsActive(it->second.deploy.state)) {
    return DeployError(error::kDeployTableBusy,
                       "table " + Qualified(t) + " belongs to deploy '" + owner + "', " +
                           DeployStateName(it->second.deploy.state) + " and revertible until " +
                           RevertUntil(it->second.deploy) + ": FINALIZE DEPLOY '" + owner +
                           "' (or REVERT DEPLOY it) before changing the table again");
  }
  if (BlockOf(session_id) == owner) {
    // ALTERs and index statements compose (ComposeInBlock); a CREATE or
    // DROP of a table the block already changes does not.
    return DeployError(error::kDeployTableBusy,
                       "table " + Qualified(t) + " is already changed in this deploy block; a CREATE or DROP of it "
                       "cannot follow that change in the same deploy: send it in another deploy (this block stays "
                       "open)");
  }
  if (it != deploys_.end() && it->second.deploy.anonymous) {
    // Another session's unnamed block, or a plain ALTER's own one-statement
    // deploy (its session id has bit 63): say which, and how to end it.
    const Entry& e = it->second;
    std::string statement;
    for (const auto& item : e.deploy.items) {
      if (item.table == t) statement = item.statement;
    }
    if (statement.size() > 200) statement = std::string(Utf8Prefix(statement, 200)) + "...";
    const bool plain = (e.opened_by >> 63) != 0;
    return DeployError(error::kDeployTableBusy,
                       "table " + Qualified(t) + " is still being changed by " +
                           (plain ? std::string("an earlier ALTER") : std::string("another session's deploy block")) +
                           (statement.empty() ? "" : " (`" + statement + "`)") +
                           (plain ? ", which goes on online after its client went away (as the server's own ALTER "
                                    "does) and finishes by itself"
                                  : "") +
                           ": wait for it, or cancel it with ROLLBACK DEPLOY '" + owner + "'");
  }
  return DeployError(error::kDeployTableBusy,
                     "table " + Qualified(t) + " is already in deploy '" + owner + "'; COMMIT DEPLOY '" + owner +
                         "' or ROLLBACK DEPLOY '" + owner + "' first");
}

Status DeployController::FinalizeImplicitOwner(const sql::TableName& t) {
  std::string owner, kept;
  bool anonymous = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto name = TableOwner(t);
    if (!name) return Status::Ok();
    const Entry& e = deploys_[*name];
    bool swapped = e.deploy.state == DeployState::kSealed || e.deploy.state == DeployState::kReverted;
    if (!swapped || e.busy) return Status::Ok();
    owner = *name;
    anonymous = e.deploy.anonymous;
    for (const auto& it : e.deploy.items) {
      if (it.table == t) kept = e.deploy.state == DeployState::kSealed ? it.old_name : it.shadow;
    }
  }
  std::string why;
  if (anonymous) {
    // A plain ALTER's implicit deploy keeps its revert window only until the
    // table changes again: the next change supersedes it.
    why = t.name + " is being changed again";
  } else {
    // A named deploy whose kept side of this table is gone (dropped behind
    // sealgate's back: DROP DATABASE, a test database made anew) can never
    // be reverted: it no longer claims the table.
    if (kept.empty()) return Status::Ok();
    auto admin = SqlConn::Open(options_.admin);
    if (!admin.ok()) return Status::Ok();
    auto there = migration::TableExists(*admin, t.schema, kept);
    if (!there.ok() || *there) return Status::Ok();
    why = "its kept table " + Qualified({t.schema, kept}) +
          " is gone (dropped behind sealgate's back), so it could not be reverted any more";
  }
  if (options_.logger) options_.logger->Info("deploy", "deploy=" + owner + " finalized: " + why);
  ControlReply done = Finalize(ClientContext{}, owner);
  return done.kind == ControlReply::Kind::kError ? done.error : Status::Ok();
}

std::optional<std::string> DeployController::TableOwner(const sql::TableName& t) const {
  for (const auto& [name, e] : deploys_) {
    if (!HoldsTables(e.deploy.state)) continue;
    for (const auto& it : e.deploy.items) {
      if (it.table == t) return name;
    }
  }
  return std::nullopt;
}

Status DeployController::CancelItems(const std::vector<DeployItem>& items) {
  Status first;
  auto admin = SqlConn::Open(options_.admin);
  for (const auto& it : items) {
    Status s;
    if (it.kind == ItemKind::kAlter) {
      s = options_.engine->Cancel(it.migration_id);
      if (s.code() == StatusCode::kNotFound && admin.ok()) {
        // Not running (a rollback interrupted by a restart already stopped
        // it, or its shadow was not the table it made): the shadow is
        // dropped if it is still the migration's own.
        (void)options_.engine->Discard(it.migration_id);
        s = options_.engine->DropBoundTable(it.migration_id);
      }
      Fault("rollback.item_cancelled");
    }
    if (it.kind == ItemKind::kCreate && admin.ok()) s = admin->Exec("DROP TABLE IF EXISTS " + QuoteTable(it.table.schema, it.shadow));
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

}  // namespace sealgate::deploy
