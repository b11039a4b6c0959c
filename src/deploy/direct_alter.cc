#include "deploy/direct_alter.h"

#include <strings.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>
#include <utility>

#include "sql/errors.h"

namespace sealgate::deploy {

using migration::QuoteIdent;
using migration::QuoteTable;
using migration::SqlConn;

namespace {

// How long a change that only the server can make looks again for blockers
// before it gives up as the server's own lock wait would.
constexpr int kBlockedTries = 240;  // x 250 ms = 60 s
constexpr int kInstantBlockedTries = 40;

// The server's answer to a failed statement or query on `conn`.
Status ServerError(const SqlConn& conn, const Status& status) {
  if (conn.server_errno() == 0) return status;
  return Status::Aborted(conn.server_error())
      .WithMysqlError(static_cast<uint16_t>(conn.server_errno()),
                      conn.server_sqlstate().empty() ? "HY000" : conn.server_sqlstate());
}

std::string NameList(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + QuoteIdent(n);
  return out;
}

bool OneOf(unsigned err, std::initializer_list<unsigned> errs) {
  return std::find(errs.begin(), errs.end(), err) != errs.end();
}

// Names of the foreign keys whose child is `table`.
StatusOr<std::set<std::string>> ForeignKeyNames(SqlConn& conn, const sql::TableName& table) {
  auto rows = conn.Query("SELECT CONSTRAINT_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE "
                         "CONSTRAINT_SCHEMA = " + conn.Quote(table.schema) + " AND TABLE_NAME = " +
                         conn.Quote(table.name));
  if (!rows.ok()) return rows.status();
  std::set<std::string> names;
  for (const auto& r : *rows) names.insert(r[0].value_or(""));
  return names;
}

}  // namespace

void DirectAlter::Log(const std::string& message) {
  if (options_.logger) options_.logger->Info("deploy", message);
}

StatusOr<std::optional<std::string>> DirectAlter::FindOrphan(SqlConn& conn, const sql::TableName& child,
                                                             const std::vector<std::string>& columns,
                                                             const sql::TableName& parent,
                                                             const std::vector<std::string>& parent_columns) {
  std::string values, not_null, match;
  for (size_t i = 0; i < columns.size() && i < parent_columns.size(); ++i) {
    std::string c = "c." + QuoteIdent(columns[i]);
    values += (i ? ", " : "") + ("QUOTE(" + c + ")");
    not_null += " AND " + c + " IS NOT NULL";
    match += (i ? " AND " : "") + ("p." + QuoteIdent(parent_columns[i]) + " = " + c);
  }
  auto found = conn.Scalar("SELECT CONCAT_WS(', ', " + values + ") FROM " + QuoteTable(child.schema, child.name) +
                           " c WHERE TRUE" + not_null + " AND NOT EXISTS (SELECT 1 FROM " +
                           QuoteTable(parent.schema, parent.name) + " p WHERE " + match + ") LIMIT 1");
  if (!found.ok()) return ServerError(conn, found.status());
  if (!found->has_value()) return std::optional<std::string>();
  return std::optional<std::string>("a row of " + QuoteTable(child.schema, child.name) + " has (" +
                                    NameList(columns) + ") = (" + **found + "), which " +
                                    QuoteTable(parent.schema, parent.name) + " (" + NameList(parent_columns) +
                                    ") does not have");
}

Status DirectAlter::Held(const SealCoordinator::InstantChange& change, unsigned* server_errno,
                         std::string* server_sqlstate) {
  *server_errno = 0;
  server_sqlstate->clear();
  Status done = options_.seal->RunInstant(change, server_errno, server_sqlstate);
  for (int tries = 0; done.code() == StatusCode::kResourceExhausted && tries < kBlockedTries; ++tries) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    done = options_.seal->RunInstant(change, server_errno, server_sqlstate);
  }
  return done;
}

StatusOr<bool> DirectAlter::Small(SqlConn& conn, const sql::TableName& table) {
  auto rows = conn.Scalar("SELECT COUNT(*) FROM (SELECT 1 FROM " + QuoteTable(table.schema, table.name) +
                          " LIMIT " + std::to_string(options_.small_table_rows + 1) + ") x");
  if (!rows.ok()) return ServerError(conn, rows.status());
  return std::stoull(rows->value_or("0")) <= options_.small_table_rows;
}

DirectAlter::Result DirectAlter::Run(const sql::AlterTable& alter, const sql::TableName& table,
                                     const OwnerOf& owner_of,
                                     const std::optional<migration::SessionSettings>& settings) {
  auto refused = [](Status s) { return Result{Verdict::kRefused, std::move(s)}; };
  if (!options_.seal || alter.specs.empty()) return {};
  auto opened = SqlConn::Open(options_.admin);
  if (!opened.ok()) return {};
  SqlConn& conn = *opened;

  // The table and every table a foreign key ties it to (either way), old or new.
  std::vector<sql::TableName> related = {table};
  auto add_related = [&](sql::TableName t) {
    for (const auto& r : related) {
      if (r.schema == t.schema && r.name == t.name) return;
    }
    related.push_back(std::move(t));
  };
  bool has_foreign_keys = false, adds_foreign_key = false, foreign_keys_only = true;
  auto links = conn.Query(
      "SELECT CONSTRAINT_SCHEMA, TABLE_NAME, UNIQUE_CONSTRAINT_SCHEMA, REFERENCED_TABLE_NAME FROM "
      "information_schema.REFERENTIAL_CONSTRAINTS WHERE (CONSTRAINT_SCHEMA = " + conn.Quote(table.schema) +
      " AND TABLE_NAME = " + conn.Quote(table.name) + ") OR (UNIQUE_CONSTRAINT_SCHEMA = " +
      conn.Quote(table.schema) + " AND REFERENCED_TABLE_NAME = " + conn.Quote(table.name) + ")");
  if (!links.ok()) return {};
  for (const auto& r : *links) {
    has_foreign_keys = true;
    add_related({r[0].value_or(""), r[1].value_or("")});
    add_related({r[2].value_or(""), r[3].value_or("")});
  }
  for (const auto& spec : alter.specs) {
    if (spec.kind == sql::AlterSpecKind::kAddForeignKey) {
      add_related({spec.ref_table.schema.empty() ? table.schema : spec.ref_table.schema, spec.ref_table.name});
      // Checkable only with plain column names on both sides.
      bool plain = !spec.ref_columns.empty() && spec.ref_columns.size() == spec.index_columns.size();
      for (const auto& c : spec.index_columns) plain = plain && !c.empty();
      for (const auto& c : spec.ref_columns) plain = plain && !c.empty();
      foreign_keys_only = foreign_keys_only && plain;
    } else if (!(spec.kind == sql::AlterSpecKind::kDropConstraint && spec.foreign_key)) {
      foreign_keys_only = false;
    }
    adds_foreign_key = adds_foreign_key || (spec.foreign_key && spec.kind != sql::AlterSpecKind::kDropConstraint);
  }
  for (const auto& r : related) {
    auto owner = owner_of ? owner_of(r) : std::nullopt;
    if (!owner) continue;
    if (r == table) return {};  // staging names the deploy that holds it
    return refused(DeployError(error::kDeployTableBusy,
                               QuoteTable(r.schema, r.name) + ", tied to " + QuoteTable(table.schema, table.name) +
                                   " by a foreign key, belongs to deploy '" + *owner +
                                   "' (staged, or in its revert window): a swap of it would take the foreign key "
                                   "along; FINALIZE DEPLOY or ROLLBACK DEPLOY it first"));
  }

  // The client's statement runs with the client's settings.
  std::vector<std::string> client_setup;
  if (settings && !settings->AssignmentSql().empty()) client_setup.push_back(settings->AssignmentSql());
  if (foreign_keys_only) {
    return ForeignKeysOnly(conn, alter, table, related, client_setup, !settings || settings->foreign_key_checks);
  }

  const std::string rendered = sql::RenderAlter(alter, table);
  unsigned err = 0;
  std::string sqlstate;
  if (!alter.algorithm || *alter.algorithm == "INSTANT" || *alter.algorithm == "DEFAULT") {
    SealCoordinator::InstantChange instant{related, client_setup, rendered + ", ALGORITHM=INSTANT"};
    Status done = options_.seal->RunInstant(instant, &err, &sqlstate);
    // Blocked (nobody held): look again for a while before staging a copy,
    // whose seal would then wait for the same blocker anyway.
    for (int tries = 0; done.code() == StatusCode::kResourceExhausted && tries < kInstantBlockedTries; ++tries) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      done = options_.seal->RunInstant(instant, &err, &sqlstate);
    }
    if (done.ok()) {
      Log("instant ALTER of " + table.schema + "." + table.name);
      return {Verdict::kDone, Status::Ok()};
    }
    // 1845/1846: not possible as INSTANT; blocked or abandoned (no server
    // error): not for now; anything else is the client's own mistake
    // (unknown column, ...), answered as the server would.
    if (!OneOf(err, {1845, 1846, 1205, 1317, 0})) {
      return refused(Status::Aborted(done.message())
                         .WithMysqlError(static_cast<uint16_t>(err), sqlstate.empty() ? "HY000" : sqlstate));
    }
  }

  // A copy cannot take foreign keys; the server can, on a small table, within the hold.
  if (!has_foreign_keys && !adds_foreign_key) return {};
  auto small = Small(conn, table);
  if (!small.ok()) return refused(small.status());
  if (!*small) return {};  // staging refuses it, saying why and what to do
  std::string statement = rendered;
  if (alter.algorithm) statement += ", ALGORITHM=" + *alter.algorithm;
  if (alter.lock) statement += ", LOCK=" + *alter.lock;
  Status done = Held({related, client_setup, statement}, &err, &sqlstate);
  if (done.ok()) {
    Log("ALTER of " + table.schema + "." + table.name + " (foreign keys in or out, at most " +
        std::to_string(options_.small_table_rows) + " rows) made by the server under the hold");
    return {Verdict::kDone, Status::Ok()};
  }
  if (err != 0 && err != 1317) {
    return refused(Status::Aborted(done.message())
                       .WithMysqlError(static_cast<uint16_t>(err), sqlstate.empty() ? "HY000" : sqlstate));
  }
  if (done.code() == StatusCode::kResourceExhausted) {
    return refused(Status::Aborted("Lock wait timeout exceeded: " + done.message())
                       .WithMysqlError(1205, "HY000"));
  }
  return refused(DeployError(error::kDeployUnsupported,
                             "the ALTER of " + QuoteTable(table.schema, table.name) +
                                 " (it has foreign keys, so the server makes it under sealgate's hold) did not "
                                 "finish within the hold budget (" + done.message() +
                                 "), and nothing was changed; add the comment /*sealgate:passthrough*/ to have the "
                                 "server run it as written (not online)",
                             error::kSqlstateNotSupported));
}

DirectAlter::Result DirectAlter::ForeignKeysOnly(SqlConn& conn, const sql::AlterTable& alter,
                                                 const sql::TableName& table,
                                                 const std::vector<sql::TableName>& related,
                                                 const std::vector<std::string>& client_setup, bool check_rows) {
  auto refused = [](Status s) { return Result{Verdict::kRefused, std::move(s)}; };
  struct Added {
    std::string name;
    std::vector<std::string> columns, parent_columns;
    sql::TableName parent;
  };
  std::vector<Added> added;
  for (const auto& spec : alter.specs) {
    if (spec.kind != sql::AlterSpecKind::kAddForeignKey) continue;
    added.push_back({spec.index_name, spec.index_columns, spec.ref_columns,
                     {spec.ref_table.schema.empty() ? table.schema : spec.ref_table.schema, spec.ref_table.name}});
  }
  // A session with foreign_key_checks=0 adds keys without looking at the
  // rows, as the server would for it.
  auto orphans = [&]() -> Status {
    if (!check_rows) return Status::Ok();
    for (const auto& a : added) {
      auto orphan = FindOrphan(conn, table, a.columns, a.parent, a.parent_columns);
      if (!orphan.ok()) return orphan.status();
      if (*orphan) {
        return Status::FailedPrecondition("Cannot add foreign key " + (a.name.empty() ? "" : QuoteIdent(a.name) + " ") +
                                          "to " + QuoteTable(table.schema, table.name) + ": " + **orphan +
                                          "; nothing was changed (delete or correct such rows first)")
            .WithMysqlError(1452, "23000");
      }
    }
    return Status::Ok();
  };
  Status clean = orphans();
  if (!clean.ok()) return refused(clean);
  auto before = ForeignKeyNames(conn, table);
  if (!before.ok()) return {};
  if (options_.faults) (void)options_.faults->Reach("direct.foreign_key_checked");

  // No copy: the rows were just checked, so the server need not check them
  // (with foreign_key_checks=1 it would rebuild the table to do so).
  const std::string rendered = sql::RenderAlter(alter, table);
  std::vector<std::string> setup = client_setup;
  setup.push_back("SET SESSION foreign_key_checks = 0");
  unsigned err = 0;
  std::string sqlstate;
  Status done = Held({related, setup, rendered + ", ALGORITHM=INSTANT"}, &err, &sqlstate);
  if (!done.ok() && err == 1846) {  // the key needs an index of its own, built now
    auto small = Small(conn, table);
    if (!small.ok()) return refused(small.status());
    if (!*small) {
      std::string cols;
      for (const auto& a : added) cols += (cols.empty() ? "" : "; ") + NameList(a.columns);
      return refused(DeployError(error::kAlterAddsForeignKey,
                                 "the foreign key needs an index on (" + cols + ") of " +
                                     QuoteTable(table.schema, table.name) +
                                     ", which would be built while clients wait; add the index first (ALTER TABLE "
                                     "... ADD INDEX), then the foreign key; nothing was changed",
                                 error::kSqlstateNotSupported));
    }
    done = Held({related, setup, rendered + ", ALGORITHM=NOCOPY"}, &err, &sqlstate);
  }
  if (!done.ok()) {
    if (err != 0 && err != 1317) {
      return refused(Status::Aborted(done.message())
                         .WithMysqlError(static_cast<uint16_t>(err), sqlstate.empty() ? "HY000" : sqlstate));
    }
    if (done.code() == StatusCode::kResourceExhausted) {
      return refused(Status::Aborted("Lock wait timeout exceeded: " + done.message()).WithMysqlError(1205, "HY000"));
    }
    return refused(DeployError(error::kDeployUnsupported,
                               "the foreign key change of " + QuoteTable(table.schema, table.name) +
                                   " did not finish within the hold budget (" + done.message() +
                                   "); nothing was changed",
                               error::kSqlstateNotSupported));
  }
  // A row written between the check and the key (nothing refused it then)
  // is found now; from here on the key refuses such rows itself.
  Status still_clean = orphans();
  if (still_clean.ok()) {
    Log("foreign key change of " + table.schema + "." + table.name + " made without a copy");
    return {Verdict::kDone, Status::Ok()};
  }
  auto after = ForeignKeyNames(conn, table);
  std::string undo;
  if (after.ok() && before.ok()) {
    for (const auto& name : *after) {
      if (!before->count(name)) undo += (undo.empty() ? "" : ", ") + ("DROP FOREIGN KEY " + QuoteIdent(name));
    }
  }
  if (!undo.empty()) {
    Status undone = Held({related, {}, "ALTER TABLE " + QuoteTable(table.schema, table.name) + " " + undo +
                                           ", ALGORITHM=INSTANT"},
                         &err, &sqlstate);
    if (!undone.ok()) {
      return refused(Status::FailedPrecondition(still_clean.message() +
                                                "; but the foreign key was already added and taking it out again "
                                                "failed (" + undone.message() + "): drop it by hand")
                         .WithMysqlError(1452, "23000"));
    }
  }
  return refused(still_clean);
}

}  // namespace sealgate::deploy
