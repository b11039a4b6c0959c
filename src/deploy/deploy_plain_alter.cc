// DeployController: a plain ALTER TABLE (or CREATE / DROP INDEX) outside a
// block — made by the server under the seal's hold when it can be
// (DirectAlter), split in two steps for keys on new columns, or staged as a
// one-statement deploy that replies once sealed.
#include <strings.h>

#include <set>

#include "deploy/deploy_controller.h"
#include "sql/alter.h"
#include "sql/errors.h"
#include "sql/lexer.h"

namespace sealgate::deploy {

using migration::QuoteIdent;

namespace {

// A plain ALTER that cannot be done online, for a reason of the table's
// shape, may still be one the server can run: the refusal names the
// per-statement way through.
ControlReply WithPassthroughWayOut(ControlReply refused) {
  const uint16_t code = refused.error.mysql_errno();
  bool shape = code == error::kInspectNoUniqueKey || code == error::kInspectForeignKey || code == error::kInspectTable;
  if (!shape || refused.error.message().find(sql::kPassthroughHintWord) != std::string::npos) return refused;
  refused.error = Status(refused.error.code(),
                         refused.error.message() + "; or add the comment /*sealgate:passthrough*/ to the statement to "
                                                   "have the server run it as written (not online)")
                      .WithMysqlError(code, refused.error.sqlstate());
  return refused;
}

}  // namespace

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
  // A table a deploy holds is not the server's to change, whatever its engine.
  for (const auto& t : st.tables) {
    const sql::TableName table = {t.schema.empty() ? c.database : t.schema, t.name};
    if (table.schema.empty()) continue;
    (void)FinalizeImplicitOwner(table);
    std::lock_guard<std::mutex> lock(mu_);
    if (auto owner = TableOwner(table)) return ControlReply::Error(TableBusy(table, *owner, c.session_id));
  }
  if (auto why = ServerRunsIt(st, sql, c.database)) {
    if (options_.logger) {
      options_.logger->Info("deploy", "session=" + std::to_string(c.session_id & ~(1ull << 63)) + ": its " +
                                          sql::StatementKindName(st.kind) + " goes to the server as is, not online: " +
                                          *why);
    }
    return ControlReply::Forward();
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

std::optional<std::string> DeployController::ServerRunsIt(const sql::Statement& st, const std::string& sql,
                                                          const std::string& db) {
  std::string alter_sql = sql;
  if (st.kind == sql::StatementKind::kCreateIndex || st.kind == sql::StatementKind::kDropIndex) {
    auto as_alter = IndexStatementAsAlter(st, sql, db);
    if (!as_alter.ok()) return std::nullopt;
    alter_sql = *as_alter;
  } else if (st.kind != sql::StatementKind::kAlterTable) {
    return std::nullopt;
  }
  auto alter = sql::AnalyzeAlter(alter_sql);
  if (!alter.ok()) {
    if (alter.status().mysql_errno() == error::kAlterNonTransactionalEngine) {
      return std::string("it changes the table to an engine sealgate does not stage (only InnoDB)");
    }
    return std::nullopt;  // staging says what is wrong with it
  }
  const sql::TableName table = {alter->table.schema.empty() ? db : alter->table.schema, alter->table.name};
  if (table.schema.empty()) return std::nullopt;
  auto admin = migration::SqlConn::Open(options_.admin);
  if (!admin.ok()) return std::nullopt;
  auto rows = admin->Query("SELECT IFNULL(ENGINE, ''), TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = " +
                           admin->Quote(table.schema) + " AND TABLE_NAME = " + admin->Quote(table.name));
  if (!rows.ok()) return std::nullopt;
  const std::string name = table.schema + "." + table.name;
  if (rows->empty()) return name + " does not exist here (the server answers)";
  const std::string engine = (*rows)[0][0].value_or(""), type = (*rows)[0][1].value_or("");
  if (type != "BASE TABLE") return name + " is a " + (type.empty() ? std::string("table of another kind") : type);
  if (strcasecmp(engine.c_str(), "InnoDB") != 0) return name + " is a " + engine + " table (sealgate stages InnoDB tables)";
  return std::nullopt;
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
