// DeployController: staging a block's statements (DESIGN.md §3) — an ALTER as
// a migration, a CREATE TABLE under a shadow name, a DROP TABLE as a rename
// at the seal.
#include <re2/re2.h>

#include "deploy/controller_util.h"
#include "deploy/deploy_controller.h"
#include "deploy/foreign_key_swap.h"
#include "deploy/trigger_swap.h"
#include "migration/session_settings.h"
#include "migration/shadow.h"
#include "sql/alter.h"
#include "sql/errors.h"

namespace sealgate::deploy {

using migration::QuoteTable;
using migration::SqlConn;
using sql::StatementKind;

namespace {

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
      if (auto composed = ComposeInBlock(c, name, sql)) return *composed;
      staged.push_back(StageAlter(c, sql));
      break;
    case StatementKind::kCreateIndex:
    case StatementKind::kDropIndex: {
      auto alter = IndexStatementAsAlter(st, sql, c.database);
      if (alter.ok()) {
        if (auto composed = ComposeInBlock(c, name, *alter)) return *composed;
      }
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
      if (auto read = ReadInBlock(c, sql, name)) return *read;
      return ControlReply::Error(DeployError(
          error::kDeployStatementNotAllowed,
          "only ALTER TABLE, CREATE TABLE, DROP TABLE, CREATE/DROP INDEX, statements that only read and SHOW "
          "DEPLOY... are accepted inside a deploy block; deploy '" + name + "' stays open (COMMIT DEPLOY or "
          "ROLLBACK DEPLOY ends it)"));
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

StatusOr<DeployItem> DeployController::StageAlter(const ClientContext& c, const std::string& alter_sql,
                                                  bool composing) {
  auto analyzed = sql::Classify(alter_sql);
  std::optional<sql::TableName> reserved;
  if (!analyzed.tables.empty() && !composing) {
    sql::TableName t = Resolve(analyzed.tables[0], c.database);
    SEALGATE_RETURN_IF_ERROR(FinalizeImplicitOwner(t));
    std::lock_guard<std::mutex> lock(mu_);
    if (reserved_.count({t.schema, t.name})) {
      return DeployError(error::kDeployTableBusy, "table " + Qualified(t) + " is being staged by another session");
    }
    if (auto owner = TableOwner(t)) return TableBusy(t, *owner, c.session_id);
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
    if (auto owner = TableOwner(t)) return TableBusy(t, *owner, c.session_id);
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
  if (auto owner = TableOwner(t)) return TableBusy(t, *owner, c.session_id);
  DeployItem item;
  item.kind = ItemKind::kDrop;
  item.table = t;
  item.old_name = ChooseOldName(*admin, t, {});
  item.statement = sql;
  item.foreign_keys = SerializeForeignKeys(*keys);
  return item;
}

std::optional<ControlReply> DeployController::ComposeInBlock(const ClientContext& c, const std::string& name,
                                                             const std::string& alter_sql) {
  auto alter = sql::AnalyzeAlter(alter_sql);
  if (!alter.ok()) return std::nullopt;  // staging says what is wrong with it
  const sql::TableName t = Resolve(alter->table, c.database);
  DeployItem earlier;
  size_t seq = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto found = deploys_.find(name);
    if (found == deploys_.end() || found->second.busy || found->second.deploy.state != DeployState::kOpen) {
      return std::nullopt;
    }
    const auto& items = found->second.deploy.items;
    for (size_t i = 0; i < items.size(); ++i) {
      if (items[i].table == t) {
        earlier = items[i];
        seq = i + 1;
      }
    }
    if (seq == 0) return std::nullopt;
    if (reserved_.count({t.schema, t.name})) {
      return ControlReply::Error(
          DeployError(error::kDeployTableBusy, "table " + Qualified(t) + " is being staged in this block right now"));
    }
    reserved_.insert({t.schema, t.name});
  }
  struct Release {
    DeployController* self;
    sql::TableName t;
    ~Release() {
      std::lock_guard<std::mutex> lock(self->mu_);
      self->Unreserve(t);
    }
  } release{this, t};
  auto refused = [&](const Status& why) {
    return ControlReply::Error(
        Status(why.code(), "this change of " + Qualified(t) + " cannot be combined with the earlier change of it in "
                               "deploy '" + name + "' (write both changes as one ALTER TABLE; the block stays open, "
                               "the earlier change staged): " + why.message())
            .WithMysqlError(why.mysql_errno() ? why.mysql_errno() : error::kDeployTableBusy,
                            why.sqlstate().empty() ? std::string(error::kSqlstateGeneral) : why.sqlstate()));
  };
  DeployItem updated = earlier;
  std::string info;
  switch (earlier.kind) {
    case ItemKind::kDrop:
      return ControlReply::Error(NoSuchTable(t));
    case ItemKind::kCreate: {
      // Created by this block: still an empty table under its shadow name,
      // which nobody reads or writes. The change is made on it, as the
      // client would have made it right after its CREATE TABLE.
      auto admin = SqlConn::Open(options_.admin);
      if (!admin.ok()) return ControlReply::Error(admin.status());
      if (c.client) {  // made with sealgate's account: the client's own right is checked here
        Status allowed = migration::GrantTablePrivilegeCheck(&*admin, c.user, c.host, c.account_host).CheckAlter(t);
        if (!allowed.ok()) return ControlReply::Error(allowed);
      }
      if (!c.database.empty()) (void)admin->Exec("USE " + migration::QuoteIdent(c.database));
      Status made = migration::WithSessionSettings(*admin, c.settings, [&] {
        Status s = admin->Exec(sql::RenderAlter(*alter, {t.schema, earlier.shadow}));
        if (s.ok()) return s;
        return Status(s.code(), s.message())
            .WithMysqlError(static_cast<uint16_t>(admin->server_errno()), admin->server_sqlstate());
      });
      if (!made.ok()) return ControlReply::Error(made);
      updated.statement = earlier.statement + ";\n" + alter_sql;
      info = "change of " + Qualified(t) + " made on the table this deploy creates";
      break;
    }
    case ItemKind::kAlter: {
      auto first = sql::AnalyzeAlter(earlier.statement);
      if (!first.ok()) return refused(first.status());
      sql::AlterTable both = *first;
      both.specs.insert(both.specs.end(), alter->specs.begin(), alter->specs.end());
      const std::string combined = sql::RenderAlter(both, t);
      // One migration per table: the earlier one goes first. Should the
      // server refuse the combination, the earlier change is staged again.
      (void)CancelItems({earlier});
      auto staged = StageAlter(c, combined, /*composing=*/true);
      if (!staged.ok()) {
        auto again = StageAlter(c, earlier.statement, /*composing=*/true);
        bool kept = false;
        if (again.ok()) {
          std::lock_guard<std::mutex> lock(mu_);
          auto found = deploys_.find(name);
          kept = found != deploys_.end() && seq <= found->second.deploy.items.size();
          if (kept) {
            found->second.deploy.items[seq - 1] = *again;
            (void)store_.ReplaceItem(name, seq, *again);
            ApplyCopyControls(name, *again);
          }
        }
        if (again.ok() && !kept) (void)CancelItems({*again});
        if (!kept) {
          return ControlReply::Error(
              Status::FailedPrecondition("this change of " + Qualified(t) + " cannot be combined with the earlier "
                                         "one (" + staged.status().message() + "), and the earlier one could not be "
                                         "staged again (" + (again.ok() ? "the deploy moved on" : again.status().message()) +
                                         "): ROLLBACK DEPLOY '" + name + "' and start over")
                  .WithMysqlError(error::kSealFailed, error::kSqlstateGeneral));
        }
        return refused(staged.status());
      }
      updated = *staged;
      info = "migration " + std::to_string(updated.migration_id) + " staging " + Qualified(t) +
             " with both changes (migration " + std::to_string(earlier.migration_id) + " cancelled)";
      break;
    }
  }
  bool open = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto found = deploys_.find(name);
    open = found != deploys_.end() && found->second.deploy.state == DeployState::kOpen && !found->second.busy &&
           seq <= found->second.deploy.items.size() && found->second.deploy.items[seq - 1].table == t;
    if (open) {
      found->second.deploy.items[seq - 1] = updated;
      Status stored = store_.ReplaceItem(name, seq, updated);
      if (!stored.ok() && options_.logger) {
        options_.logger->Error("deploy", "deploy=" + name + " composed change of " + t.name +
                                             " not recorded: " + stored.ToString());
      }
      if (updated.kind == ItemKind::kAlter) ApplyCopyControls(name, updated);
    }
  }
  if (!open) {
    if (updated.kind == ItemKind::kAlter) (void)CancelItems({updated});
    return ControlReply::Error(
        DeployError(error::kDeployWrongState, "deploy '" + name + "' was committed or rolled back meanwhile"));
  }
  if (options_.logger) options_.logger->Info("deploy", "deploy=" + name + " " + info);
  return ControlReply::Ok(info);
}

}  // namespace sealgate::deploy
