#include "deploy/deploy_controller.h"

#include <re2/re2.h>

#include <algorithm>
#include <ctime>
#include <thread>

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

std::string Qualified(const sql::TableName& t) { return QuoteTable(t.schema, t.name); }

sql::TableName Resolve(const sql::TableName& t, const std::string& database) {
  return {t.schema.empty() ? database : t.schema, t.name};
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

// The CREATE TABLE text with its table name replaced by `schema`.`shadow`.
StatusOr<std::string> CreateAsShadow(const std::string& sql, const std::string& schema, const std::string& shadow) {
  static const re2::RE2 kHead(
      R"((?is)^(\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?)((?:`(?:[^`]|``)+`|[\w$]+)(?:\s*\.\s*(?:`(?:[^`]|``)+`|[\w$]+))?)(.*)$)");
  std::string head, name, rest;
  if (!re2::RE2::FullMatch(sql, kHead, &head, &name, &rest)) {
    return DeployError(error::kDeployUnsupported,
                       "cannot stage this CREATE TABLE (comments before the table name?); write it plainly",
                       error::kSqlstateNotSupported);
  }
  return head + QuoteTable(schema, shadow) + rest;
}

// An error reads as absent.
bool TableIsThere(SqlConn& admin, const std::string& schema, const std::string& table) {
  auto there = migration::TableExists(admin, schema, table);
  return there.ok() && *there;
}

// `~<table>_old`, `~<table>_old2`, ... (at most 64 characters), not taken.
// Like shadows, old tables sort after the seal gate: a revert swaps them back
// in while their follower still writes to them (see seal.h).
std::string ChooseOldName(SqlConn& admin, const sql::TableName& t, const std::set<std::string>& reserved) {
  for (int n = 1;; ++n) {
    std::string suffix = n == 1 ? "_old" : "_old" + std::to_string(n);
    std::string base = "~" + t.name;
    if (base.size() + suffix.size() > 64) base = std::string(Utf8Prefix(base, 64 - suffix.size()));
    std::string name = base + suffix;
    if (!reserved.count(name) && !TableIsThere(admin, t.schema, name)) return name;
  }
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
  if ((st.kind == StatementKind::kPrepare || st.kind == StatementKind::kExecuteImmediate) && !st.inner_sql.empty()) {
    sql::Statement inner = sql::Classify(st.inner_sql);
    return IsStageableDdl(inner.kind) && !inner.passthrough_hint && !st.passthrough_hint &&
           options_.plain_alter != PlainAlterMode::kPassthrough;
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
    if (st.kind == StatementKind::kOther) {  // refused by the proxy front (multi-statement, prepared DDL)
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
  const bool ascii = std::all_of(sql.begin(), sql.end(), [](char ch) { return static_cast<unsigned char>(ch) < 0x80; });
  if (c.settings && !ascii) {
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
  if (st.kind == StatementKind::kPrepare || st.kind == StatementKind::kExecuteImmediate) {
    return ControlReply::Error(DeployError(error::kDeployUnsupported,
                                           "DDL cannot be run through PREPARE or EXECUTE IMMEDIATE on sealgate "
                                           "(it would bypass staging); send the statement itself",
                                           error::kSqlstateNotSupported));
  }
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
  if (deploys_.count(d.name)) {
    return ControlReply::Error(DeployError(error::kDeployNameTaken, "deploy name '" + d.name +
                                                                         "' is taken; choose another name"));
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

Status DeployController::TableBusy(const sql::TableName& t, const std::string& owner) const {
  auto it = deploys_.find(owner);
  if (it != deploys_.end() && !IsActive(it->second.deploy.state)) {
    return DeployError(error::kDeployTableBusy,
                       "table " + Qualified(t) + " belongs to deploy '" + owner + "', " +
                           DeployStateName(it->second.deploy.state) + " and revertible until " +
                           RevertUntil(it->second.deploy) + ": FINALIZE DEPLOY '" + owner +
                           "' (or REVERT DEPLOY it) before changing the table again");
  }
  return DeployError(error::kDeployTableBusy,
                     "table " + Qualified(t) + " is already in deploy '" + owner + "'; commit or roll that back first");
}

Status DeployController::FinalizeImplicitOwner(const sql::TableName& t) {
  std::string owner;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto name = TableOwner(t);
    if (!name) return Status::Ok();
    const Entry& e = deploys_[*name];
    bool swapped = e.deploy.state == DeployState::kSealed || e.deploy.state == DeployState::kReverted;
    if (!e.deploy.anonymous || !swapped || e.busy) return Status::Ok();
    owner = *name;
  }
  // A plain ALTER's implicit deploy keeps its revert window only until the
  // table changes again: the next change supersedes it.
  if (options_.logger) {
    options_.logger->Info("deploy", "deploy=" + owner + " finalized: " + t.name + " is being changed again");
  }
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

ControlReply DeployController::Stage(const ClientContext& c, const sql::Statement& st, const std::string& sql,
                                     const std::string& name) {
  if (st.kind == StatementKind::kShowDeploys) return ShowDeploys(c);
  if (st.passthrough_hint) {
    return ControlReply::Error(DeployError(
        error::kDeployStatementNotAllowed,
        "/*sealgate:passthrough*/ is not accepted inside a deploy block (the deploy's seal could not follow a change "
        "the server makes on its own); deploy '" + name + "' stays open: send the statement after END DEPLOY"));
  }
  // Refused before anything is copied: the seal could never take such a table.
  for (const auto& t : st.tables) {
    if (t.name.compare(SealCoordinator::kGateA) >= 0) {
      return ControlReply::Error(DeployError(
          error::kDeployUnsupported,
          "table name `" + t.name + "` sorts after sealgate's seal gate table `" + SealCoordinator::kGateA +
              "` (byte order: names starting with '~' or with a character outside ASCII), so a deploy of it cannot "
              "be sealed; change it outside sealgate (ddl.plain_alter = passthrough, or on the server)",
          error::kSqlstateNotSupported));
    }
  }
  std::vector<StatusOr<DeployItem>> staged;
  switch (st.kind) {
    case StatementKind::kAlterTable:
      staged.push_back(StageAlter(c, sql));
      break;
    case StatementKind::kCreateIndex:
    case StatementKind::kDropIndex: {
      auto alter = IndexStatementAsAlter(st, sql, c.database);
      staged.push_back(alter.ok() ? StageAlter(c, *alter) : StatusOr<DeployItem>(alter.status()));
      break;
    }
    case StatementKind::kCreateTable:
      staged.push_back(StageCreate(c, st, sql));
      break;
    case StatementKind::kDropTable:
      for (const auto& t : st.tables) staged.push_back(StageDrop(c, Resolve(t, c.database), sql));
      break;
    default:
      return ControlReply::Error(DeployError(
          error::kDeployStatementNotAllowed,
          "only ALTER TABLE, CREATE TABLE, DROP TABLE, CREATE/DROP INDEX and SHOW DEPLOY... are accepted inside "
          "a deploy block; deploy '" + name + "' stays open (COMMIT DEPLOY or ROLLBACK DEPLOY ends it)"));
  }
  std::string info;
  std::vector<DeployItem> orphans;  // staged, but the deploy moved on meanwhile
  ControlReply reply;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& item : staged) {
      if (item.ok()) Unreserve(item->table);
    }
    auto found = deploys_.find(name);
    bool open = found != deploys_.end() && found->second.deploy.state == DeployState::kOpen && !found->second.busy;
    for (auto& item : staged) {
      if (!item.ok()) {
        if (reply.kind != ControlReply::Kind::kError) reply = ControlReply::Error(item.status());
        continue;
      }
      if (!open || reply.kind == ControlReply::Kind::kError) {
        orphans.push_back(*item);
        if (!open && reply.kind != ControlReply::Kind::kError) {
          reply = ControlReply::Error(DeployError(error::kDeployWrongState,
                                                  "deploy '" + name + "' was committed or rolled back meanwhile"));
        }
        continue;
      }
      Deploy& d = found->second.deploy;
      d.items.push_back(*item);
      (void)store_.AddItem(d.name, d.items.size(), *item);
      ApplyCopyControls(d.name, *item);  // a paused or throttled deploy's new migrations too
      if (!info.empty()) info += "; ";
      info += item->kind == ItemKind::kAlter
                  ? "migration " + std::to_string(item->migration_id) + " staging " + Qualified(item->table)
                  : std::string(item->kind == ItemKind::kCreate ? "create of " : "drop of ") + Qualified(item->table) +
                        " staged";
    }
  }
  if (!orphans.empty()) (void)CancelItems(orphans);
  if (reply.kind == ControlReply::Kind::kError) return reply;
  return ControlReply::Ok(info);
}

StatusOr<DeployItem> DeployController::StageAlter(const ClientContext& c, const std::string& alter_sql) {
  auto analyzed = sql::Classify(alter_sql);
  std::optional<sql::TableName> reserved;
  if (!analyzed.tables.empty()) {
    sql::TableName t = Resolve(analyzed.tables[0], c.database);
    SEALGATE_RETURN_IF_ERROR(FinalizeImplicitOwner(t));
    std::lock_guard<std::mutex> lock(mu_);
    if (reserved_.count({t.schema, t.name})) {
      return DeployError(error::kDeployTableBusy, "table " + Qualified(t) + " is being staged by another session");
    }
    if (auto owner = TableOwner(t)) return TableBusy(t, *owner);
    int staged = 0;
    for (const auto& [n, e] : deploys_) {
      if (!IsActive(e.deploy.state)) continue;
      for (const auto& it : e.deploy.items) staged += it.kind == ItemKind::kAlter;
    }
    if (staged >= options_.max_staged_migrations) {
      return DeployError(error::kDeployLimit, "already " + std::to_string(staged) +
                                                  " staged migrations, the limit (deploy.max_staged_migrations): "
                                                  "seal or roll back a deploy first, or raise the limit");
    }
    reserved_.insert({t.schema, t.name});
    reserved = t;
  }
  auto release = [&] {
    if (!reserved) return;
    std::lock_guard<std::mutex> lock(mu_);
    Unreserve(*reserved);
  };
  migration::MigrationRequest request;
  request.alter_sql = alter_sql;
  request.default_schema = c.database;
  request.settings = c.settings;
  request.inspect.triggers_moved = true;  // SettleTriggers moves them at the swap
  // Validation runs with the client's own privileges: may this user ALTER the table?
  auto grants_conn = SqlConn::Open(options_.admin);
  std::optional<migration::GrantTablePrivilegeCheck> grants;
  if (c.client && grants_conn.ok()) {
    grants.emplace(&*grants_conn, c.user, c.host, c.account_host);
    request.privileges = &*grants;
  }
  auto id = options_.engine->Start(request);
  if (!id.ok()) {
    release();
    return id.status();
  }
  auto names = options_.engine->Names(*id);
  auto admin = SqlConn::Open(options_.admin);
  if (!names.ok() || !admin.ok()) {
    release();
    (void)options_.engine->Cancel(*id);
    return names.ok() ? admin.status() : names.status();
  }
  DeployItem item;
  item.kind = ItemKind::kAlter;
  item.table = {names->schema, names->original};
  item.migration_id = *id;
  item.shadow = names->shadow;
  item.old_name = ChooseOldName(*admin, item.table, {});
  item.statement = alter_sql;
  // Put back after the swap (the shadow has none): read once the migration
  // exists, so that a key added meanwhile is refused or seen at the seal.
  auto keys = ReadForeignKeys(*admin, item.table);
  if (!keys.ok()) {
    release();
    (void)options_.engine->Cancel(*id);
    return keys.status();
  }
  item.foreign_keys = SerializeForeignKeys(*keys);
  // Moved to the live table at the swap (the shadow has none while staging).
  auto triggers = ReadTriggers(*admin, item.table);
  Status movable = triggers.ok() ? CheckTriggersCanMove(*admin, item.table, item.shadow, *triggers) : triggers.status();
  if (!movable.ok()) {
    release();
    (void)options_.engine->Cancel(*id);
    return movable;
  }
  item.triggers = SerializeTriggers(*triggers);
  return item;
}

StatusOr<DeployItem> DeployController::StageCreate(const ClientContext& c, const sql::Statement& st,
                                                   const std::string& sql) {
  if (st.temporary || st.create_select || st.tables.empty()) {
    return DeployError(error::kDeployUnsupported,
                       "CREATE TEMPORARY TABLE and CREATE TABLE ... SELECT cannot be staged; run them outside the block",
                       error::kSqlstateNotSupported);
  }
  sql::TableName t = Resolve(st.tables[0], c.database);
  SEALGATE_RETURN_IF_ERROR(FinalizeImplicitOwner(t));
  auto admin = SqlConn::Open(options_.admin);
  if (!admin.ok()) return admin.status();
  if (c.client) {  // created by sealgate's account, so the client's own right is checked here
    SEALGATE_RETURN_IF_ERROR(
        migration::GrantTablePrivilegeCheck(&*admin, c.user, c.host, c.account_host).Check(t, "Create"));
  }
  if (TableIsThere(*admin, t.schema, t.name)) {
    return Status::AlreadyExists("Table '" + t.name + "' already exists").WithMysqlError(1050, "42S01");
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto owner = TableOwner(t)) return TableBusy(t, *owner);
  }
  auto shadow = migration::ChooseShadowName(*admin, t, "~");
  if (!shadow.ok()) return shadow.status();
  auto create = CreateAsShadow(sql, t.schema, *shadow);
  if (!create.ok()) return create.status();
  if (!c.database.empty()) (void)admin->Exec("USE " + migration::QuoteIdent(c.database));
  // The client's settings (default engine, character set, sql_mode, ...) give the CREATE its meaning.
  if (c.settings && !c.settings->AssignmentSql().empty()) {
    SEALGATE_RETURN_IF_ERROR(admin->Exec(c.settings->AssignmentSql()));
  }
  Status s = admin->Exec(*create);
  if (!s.ok() && admin->server_errno() == 1005) {
    // A foreign key to a table this or another deploy creates (still under
    // its shadow name): the key is accepted by name, and the RENAME that
    // creates the parent gives it its table. Any other parent must exist.
    const Status refused = Status(s.code(), s.message()).WithMysqlError(1005, admin->server_sqlstate());
    (void)admin->Exec("SET SESSION foreign_key_checks = 0");
    s = admin->Exec(*create);
    (void)admin->Exec("SET SESSION foreign_key_checks = 1");
    if (!s.ok()) return refused;
    auto keys = ReadForeignKeys(*admin, {t.schema, *shadow});
    bool known = keys.ok();
    for (const auto& k : keys.ok() ? *keys : std::vector<ForeignKey>{}) {
      if (!(k.child == sql::TableName{t.schema, *shadow}) || TableIsThere(*admin, k.parent.schema, k.parent.name)) {
        continue;
      }
      std::lock_guard<std::mutex> lock(mu_);
      bool created = false;
      for (const auto& [name, e] : deploys_) {
        if (!IsActive(e.deploy.state)) continue;
        for (const auto& it : e.deploy.items) created = created || (it.kind == ItemKind::kCreate && it.table == k.parent);
      }
      known = known && created;
    }
    if (!known) {
      (void)admin->Exec("DROP TABLE IF EXISTS " + QuoteTable(t.schema, *shadow));
      return refused;
    }
  }
  if (!s.ok()) {
    return Status(s.code(), s.message())
        .WithMysqlError(static_cast<uint16_t>(admin->server_errno()), admin->server_sqlstate());
  }
  DeployItem item;
  item.kind = ItemKind::kCreate;
  item.table = t;
  item.shadow = *shadow;
  item.statement = sql;
  return item;
}

StatusOr<DeployItem> DeployController::StageDrop(const ClientContext& c, const sql::TableName& t, const std::string& sql) {
  SEALGATE_RETURN_IF_ERROR(FinalizeImplicitOwner(t));
  auto admin = SqlConn::Open(options_.admin);
  if (!admin.ok()) return admin.status();
  if (c.client) {
    SEALGATE_RETURN_IF_ERROR(
        migration::GrantTablePrivilegeCheck(&*admin, c.user, c.host, c.account_host).Check(t, "Drop"));
  }
  if (!TableIsThere(*admin, t.schema, t.name)) {
    return Status::NotFound("Unknown table '" + t.schema + "." + t.name + "'").WithMysqlError(1051, "42S02");
  }
  // Its keys leave with it (and come back with a revert); a table other
  // tables still reference cannot go, as on the server.
  auto keys = ReadForeignKeys(*admin, t);
  if (!keys.ok()) return keys.status();
  for (const auto& k : *keys) {
    if (k.parent == t && !(k.child == t)) {
      return Status::FailedPrecondition("Cannot drop table " + Qualified(t) + " referenced by a foreign key constraint `" +
                                        k.name + "` on table " + Qualified(k.child) +
                                        ": drop that key (or that table) first")
          .WithMysqlError(1451, "23000");
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (auto owner = TableOwner(t)) return TableBusy(t, *owner);
  DeployItem item;
  item.kind = ItemKind::kDrop;
  item.table = t;
  item.old_name = ChooseOldName(*admin, t, {});
  item.statement = sql;
  item.foreign_keys = SerializeForeignKeys(*keys);
  return item;
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
        // it): the deploy still owns the table, so the shadow is its own.
        (void)options_.engine->Discard(it.migration_id);
        s = admin->Exec("DROP TABLE IF EXISTS " + QuoteTable(it.table.schema, it.shadow));
      }
      Fault("rollback.item_cancelled");
    }
    if (it.kind == ItemKind::kCreate && admin.ok()) s = admin->Exec("DROP TABLE IF EXISTS " + QuoteTable(it.table.schema, it.shadow));
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

}  // namespace sealgate::deploy
