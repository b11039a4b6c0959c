// SHOW DEPLOY CHECK: sealgate's metadata (deploys, deploy_items, migrations)
// read back from the metadata schema and compared with the tables it names,
// plus seal gate tables left behind. Report only: each row suggests what to
// do; nothing is repaired here (recovery at start and the operator do that).
//
// What each deploy state expects of an item's three names — the table, its
// shadow (`~t_new`) and its old name (`~t_old`) — follows the RENAMEs of the
// seal and the revert (deploy.h): staged, the table and shadow exist and the
// old name is free; sealed, the table and old name exist; reverted, the table
// and shadow exist; during a swap, either layout. Rolled back and finalized
// deploys leave none of their shadow or old names behind.
#include <cstdlib>
#include <map>
#include <set>

#include "deploy/deploy_controller.h"
#include "deploy/seal.h"
#include "migration/table_identity.h"

namespace sealgate::deploy {
namespace {

using migration::QuoteTable;
using migration::SqlConn;

// A migration row older than this that no deploy names is reported (a
// younger one may belong to an ALTER being staged right now).
constexpr int64_t kUnclaimedMigrationGraceSeconds = 60;

struct Finding {
  std::string kind;    // table, migration, item, gate
  std::string deploy;  // empty: none
  sql::TableName table;
  std::string problem;
  std::string fix;
};

struct MigrationRow {
  uint64_t id = 0;
  sql::TableName table;
  std::string state;
  int64_t age_seconds = 0;
  std::string writes_into;              // shadow_name: its shadow, or a follower's kept table
  std::optional<uint64_t> bound_to;     // that table's InnoDB id when it was bound (table_identity.h)
};

struct Metadata {
  std::map<std::string, Deploy> deploys;                  // items not attached
  std::vector<std::pair<std::string, DeployItem>> items;  // every row, with its deploy's name
  std::map<uint64_t, MigrationRow> migrations;
};

using TableSet = std::set<std::pair<std::string, std::string>>;

std::string Name(const std::string& schema, const std::string& table) { return QuoteTable(schema, table); }

StatusOr<Metadata> ReadMetadata(SqlConn& admin, const std::string& schema) {
  Metadata m;
  // One snapshot for the three tables, which sealgate writes in separate transactions.
  SEALGATE_RETURN_IF_ERROR(admin.Exec("START TRANSACTION WITH CONSISTENT SNAPSHOT"));
  auto deploys = admin.Query("SELECT name, anonymous, state FROM " + QuoteTable(schema, "deploys"));
  if (!deploys.ok()) return deploys.status();
  for (const auto& r : *deploys) {
    Deploy d;
    d.name = r[0].value_or("");
    d.anonymous = r[1].value_or("0") == "1";
    d.state = ParseDeployState(r[2].value_or(""));
    m.deploys[d.name] = std::move(d);
  }
  auto items = admin.Query("SELECT deploy, kind, table_schema, table_name, migration_id, shadow, old_name, follower_id "
                           "FROM " + QuoteTable(schema, "deploy_items") + " ORDER BY deploy, seq");
  if (!items.ok()) return items.status();
  for (const auto& r : *items) {
    DeployItem it;
    it.kind = ParseItemKind(r[1].value_or(""));
    it.table = {r[2].value_or(""), r[3].value_or("")};
    it.migration_id = std::strtoull(r[4].value_or("0").c_str(), nullptr, 10);
    it.shadow = r[5].value_or("");
    it.old_name = r[6].value_or("");
    it.follower_id = std::strtoull(r[7].value_or("0").c_str(), nullptr, 10);
    m.items.emplace_back(r[0].value_or(""), std::move(it));
  }
  auto migrations = admin.Query("SELECT id, table_schema, table_name, state, "
                                "TIMESTAMPDIFF(SECOND, created_at, NOW(6)), shadow_name, target_table_id FROM " +
                                QuoteTable(schema, "migrations"));
  if (!migrations.ok()) return migrations.status();
  for (const auto& r : *migrations) {
    MigrationRow row;
    row.id = std::strtoull(r[0].value_or("0").c_str(), nullptr, 10);
    row.table = {r[1].value_or(""), r[2].value_or("")};
    row.state = r[3].value_or("");
    row.age_seconds = std::strtoll(r[4].value_or("0").c_str(), nullptr, 10);
    row.writes_into = r[5].value_or("");
    if (r[6]) row.bound_to = std::strtoull(r[6]->c_str(), nullptr, 10);
    m.migrations[row.id] = std::move(row);
  }
  (void)admin.Exec("COMMIT");
  return m;
}

// Which of the names the items use exist, one query per database.
StatusOr<TableSet> ExistingTables(SqlConn& admin, const Metadata& m) {
  std::map<std::string, std::set<std::string>> wanted;
  for (const auto& [deploy, it] : m.items) {
    for (const std::string* name : {&it.table.name, &it.shadow, &it.old_name}) {
      if (!name->empty()) wanted[it.table.schema].insert(*name);
    }
  }
  TableSet out;
  for (const auto& [schema, names] : wanted) {
    std::string in;
    for (const auto& n : names) in += (in.empty() ? "" : ", ") + admin.Quote(n);
    auto rows = admin.Query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = " +
                            admin.Quote(schema) + " AND TABLE_NAME IN (" + in + ")");
    if (!rows.ok()) return rows.status();
    for (const auto& r : *rows) out.insert({schema, r[0].value_or("")});
  }
  return out;
}

// The expectations of one item of a deploy in `state` (see the top of the file).
class ItemCheck {
 public:
  ItemCheck(const std::string& deploy, DeployState state, const DeployItem& it, const TableSet& exists,
            const TableSet& live, std::vector<Finding>* out)
      : deploy_(deploy), state_(state), it_(it), exists_(exists), live_(live), out_(out) {}

  void Run() {
    const std::string& t = it_.table.name;
    const std::string& shadow = it_.shadow;
    const std::string& old = it_.old_name;
    const bool alter = it_.kind == ItemKind::kAlter, create = it_.kind == ItemKind::kCreate,
               drop = it_.kind == ItemKind::kDrop;
    switch (state_) {
      case DeployState::kOpen:
      case DeployState::kDetached:
        if (!create) Need(t, "the table it changes is gone", Rollback());
        if (!drop) Need(shadow, "its shadow table is gone", Rollback() + " and stage it again");
        if (create) Free(t, "the table it creates exists already: the seal's RENAME would fail", Rollback());
        if (!create) {
          Free(old, "the seal's RENAME target exists: the seal would fail", DropLeftover(old) + ", or " + Rollback());
        }
        return;
      case DeployState::kSealing:
      case DeployState::kReverting:
        // Either side of the swap; which one is read from the schema when sealgate recovers it.
        if (alter) {
          Need(t, "the table is gone", "restore it from a backup; " + Rollback());
          OneOf(shadow, old);
        } else {
          OneOf(t, create ? shadow : old);
        }
        return;
      case DeployState::kSealed:
        if (!drop) Need(t, "the table is gone since the seal", "restore it from a backup; REVERT DEPLOY needs it");
        if (!create) Need(old, "the table kept for REVERT DEPLOY is gone", Finalize());
        if (!drop) {
          Free(shadow, "the name the table goes back to at REVERT DEPLOY is taken: the revert would fail",
               DropLeftover(shadow) + ", or " + Finalize());
        }
        if (drop) {
          Free(t, "a table of the dropped name exists again: REVERT DEPLOY would fail",
               "rename it away before reverting, or " + Finalize());
        }
        return;
      case DeployState::kReverted:
        if (!create) Need(t, "the table is gone since the revert", "restore it from a backup; " + Finalize());
        if (!drop) Need(shadow, "the new table kept for sealing again is gone", Finalize());
        if (!create) {
          Free(old, "the seal's RENAME target exists: sealing again would fail",
               DropLeftover(old) + ", or " + Finalize());
        }
        if (create) Free(t, "a table of the created name exists: sealing again would fail", "rename it away, or " + Finalize());
        return;
      case DeployState::kFailed:
        if (!create) Need(t, "the table it changes is gone", Rollback());
        return;
      case DeployState::kRolledBack:
      case DeployState::kFinalized:
        Leftover(shadow);
        Leftover(old);
        return;
    }
  }

 private:
  bool Has(const std::string& name) const { return exists_.count({it_.table.schema, name}) > 0; }
  std::string Quoted(const std::string& name) const { return Name(it_.table.schema, name); }
  std::string Rollback() const { return "ROLLBACK DEPLOY '" + deploy_ + "'"; }
  std::string Finalize() const { return "FINALIZE DEPLOY '" + deploy_ + "' to end the revert window"; }
  std::string DropLeftover(const std::string& name) const {
    return "if " + Quoted(name) + " is a leftover, DROP TABLE " + Quoted(name) + " on the server";
  }
  void Add(const std::string& name, const std::string& problem, const std::string& fix) {
    out_->push_back({"table", deploy_, {it_.table.schema, name}, problem, fix});
  }
  void Need(const std::string& name, const std::string& problem, const std::string& fix) {
    if (!name.empty() && !Has(name)) Add(name, "missing: " + problem + " (deploy " + DeployStateName(state_) + ")", fix);
  }
  void Free(const std::string& name, const std::string& problem, const std::string& fix) {
    if (!name.empty() && Has(name)) Add(name, "exists: " + problem + " (deploy " + DeployStateName(state_) + ")", fix);
  }
  // Exactly one of `a` and `b` exists on either side of a swap.
  void OneOf(const std::string& a, const std::string& b) {
    if (Has(a) != Has(b)) return;
    std::string which = Has(a) ? "both " + Quoted(a) + " and " + Quoted(b) + " exist"
                               : "neither " + Quoted(a) + " nor " + Quoted(b) + " exists";
    Add(Has(a) ? a : it_.table.name,
        which + ": the outcome of the interrupted " + (state_ == DeployState::kSealing ? "seal" : "revert") +
            " cannot be read from the schema",
        "compare the tables by hand before restarting sealgate; keep the one with the deploy's schema");
  }
  void Leftover(const std::string& name) {
    if (name.empty() || !Has(name) || live_.count({it_.table.schema, name})) return;
    Add(name, std::string("exists: left behind by a ") + DeployStateName(state_) + " deploy",
        "DROP TABLE " + Quoted(name) + " on the server once nothing needs it");
  }

  const std::string& deploy_;
  DeployState state_;
  const DeployItem& it_;
  const TableSet& exists_;
  const TableSet& live_;  // names a deploy that holds tables uses
  std::vector<Finding>* out_;
};

// Migration rows still applying (copying, staged) that no live deploy needs.
void CheckMigrations(const Metadata& m, const std::string& schema, std::vector<Finding>* out) {
  std::map<uint64_t, std::vector<std::string>> named_by;
  for (const auto& [deploy, it] : m.items) {
    if (it.migration_id) named_by[it.migration_id].push_back(deploy);
    if (it.follower_id) named_by[it.follower_id].push_back(deploy);
  }
  for (const auto& [id, row] : m.migrations) {
    if (row.state != "copying" && row.state != "staged") continue;
    std::string cancel = "if no ALTER is being staged for it, mark it cancelled on the server (not through sealgate): "
                         "UPDATE " + QuoteTable(schema, "migrations") + " SET state = 'cancelled' WHERE id = " +
                         std::to_string(id) + ", drop its shadow, and restart sealgate";
    auto named = named_by.find(id);
    if (named == named_by.end()) {
      if (row.age_seconds < kUnclaimedMigrationGraceSeconds) continue;
      out->push_back({"migration", "", row.table,
                      "migration " + std::to_string(id) + " is " + row.state + " but no deploy names it", cancel});
      continue;
    }
    for (const auto& deploy : named->second) {
      auto d = m.deploys.find(deploy);
      if (d != m.deploys.end() && HoldsTables(d->second.state)) continue;
      if (d != m.deploys.end() && d->second.state == DeployState::kFailed) continue;  // until ROLLBACK DEPLOY
      std::string why = d == m.deploys.end() ? "its deploy '" + deploy + "' is not in `deploys`"
                                             : "its deploy is " + std::string(DeployStateName(d->second.state));
      out->push_back({"migration", deploy, row.table,
                      "migration " + std::to_string(id) + " is " + row.state + " but " + why, cancel});
    }
  }
  // The other way: a live deploy naming a migration that is not recorded.
  for (const auto& [deploy, it] : m.items) {
    auto d = m.deploys.find(deploy);
    if (it.kind != ItemKind::kAlter || d == m.deploys.end() || !HoldsTables(d->second.state)) continue;
    if (it.migration_id && m.migrations.count(it.migration_id)) continue;
    out->push_back({"migration", deploy, it.table,
                    "the deploy names migration " + std::to_string(it.migration_id) + ", which `migrations` does not have",
                    IsActive(d->second.state) ? "ROLLBACK DEPLOY '" + deploy + "'"
                                              : "FINALIZE DEPLOY '" + deploy + "' (nothing follows the other side)"});
  }
}

// A migration of a live deploy whose shadow's (or kept table's) name is
// taken by another table than the one it was bound to: it never writes there.
Status CheckBindings(SqlConn& admin, const Metadata& m, std::vector<Finding>* out) {
  for (const auto& [deploy, it] : m.items) {
    auto d = m.deploys.find(deploy);
    if (it.kind != ItemKind::kAlter || d == m.deploys.end() || !HoldsTables(d->second.state)) continue;
    for (uint64_t id : {it.migration_id, it.follower_id}) {
      auto row = m.migrations.find(id);
      if (!id || row == m.migrations.end() || !row->second.bound_to) continue;
      if (row->second.state == "cancelled" || row->second.state == "completed") continue;
      // A missing table is reported by the item checks; here, another table under its name.
      auto now = migration::InnodbTableId(admin, row->second.table.schema, row->second.writes_into);
      if (!now.ok()) return now.status();
      if (!*now) continue;
      Status bound = migration::BoundMismatch(row->second.table.schema, row->second.writes_into,
                                              row->second.bound_to, *now);
      if (bound.ok()) continue;
      out->push_back({"migration", deploy, it.table, "migration " + std::to_string(id) + ": " + bound.message(),
                      IsActive(d->second.state)
                          ? "ROLLBACK DEPLOY '" + deploy + "' (the table under that name is left alone)"
                          : "FINALIZE DEPLOY '" + deploy + "' (the table under that name is left alone)"});
    }
  }
  return Status::Ok();
}

void CheckItemsAndDeploys(const Metadata& m, const TableSet& exists, const std::string& schema,
                          std::vector<Finding>* out) {
  TableSet live;
  for (const auto& [deploy, it] : m.items) {
    auto d = m.deploys.find(deploy);
    if (d == m.deploys.end() || !HoldsTables(d->second.state)) continue;
    for (const std::string* name : {&it.table.name, &it.shadow, &it.old_name}) {
      if (!name->empty()) live.insert({it.table.schema, *name});
    }
  }
  std::set<std::string> orphans;
  for (const auto& [deploy, it] : m.items) {
    auto d = m.deploys.find(deploy);
    if (d == m.deploys.end()) {
      if (orphans.insert(deploy).second) {
        out->push_back({"item", deploy, it.table, "deploy_items rows name a deploy that `deploys` does not have",
                        "drop the tables listed for it that nothing uses, then DELETE FROM " +
                            QuoteTable(schema, "deploy_items") + " WHERE deploy = '" + deploy +
                            "' on the server (not through sealgate)"});
      }
      continue;
    }
    ItemCheck(deploy, d->second.state, it, exists, live, out).Run();
  }
}

// Seal gate tables (seal.h) outlive their seal only when it was cut short.
Status CheckGates(SqlConn& admin, const Metadata& m, std::vector<Finding>* out) {
  auto rows = admin.Query(std::string("SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_NAME IN (") +
                          admin.Quote(SealCoordinator::kGateA) + ", " + admin.Quote(SealCoordinator::kGateB) + ")");
  if (!rows.ok()) return rows.status();
  std::string swapping;
  for (const auto& [name, d] : m.deploys) {
    if (d.state == DeployState::kSealing || d.state == DeployState::kReverting) swapping = name;
  }
  for (const auto& r : *rows) {
    sql::TableName gate{r[0].value_or(""), r[1].value_or("")};
    std::string problem = swapping.empty()
                              ? "a seal gate table outlived its seal (the seal was cut short)"
                              : "a seal gate table: deploy '" + swapping + "' is being swapped now, or its swap was cut short";
    out->push_back({"gate", swapping, gate, problem,
                    "once no seal or revert runs (SHOW DEPLOYS shows none sealing or reverting), DROP TABLE " +
                        Name(gate.schema, gate.name) + " on the server"});
  }
  return Status::Ok();
}

}  // namespace

ControlReply DeployController::ShowCheck(const ClientContext& c) {
  auto admin = SqlConn::Open(options_.admin);
  if (!admin.ok()) return ControlReply::Error(admin.status());
  auto m = ReadMetadata(*admin, options_.metadata_schema);
  if (!m.ok()) return ControlReply::Error(m.status().Annotate("reading the metadata schema"));
  auto exists = ExistingTables(*admin, *m);
  if (!exists.ok()) return ControlReply::Error(exists.status());
  std::vector<Finding> findings;
  CheckItemsAndDeploys(*m, *exists, options_.metadata_schema, &findings);
  CheckMigrations(*m, options_.metadata_schema, &findings);
  Status bindings = CheckBindings(*admin, *m, &findings);
  if (!bindings.ok()) return ControlReply::Error(bindings);
  Status gates = CheckGates(*admin, *m, &findings);
  if (!gates.ok()) return ControlReply::Error(gates);

  // Shown as SHOW DEPLOYS would show their deploys; a finding of no known
  // deploy to whoever may alter its table.
  std::set<std::string> named;
  for (const Finding& f : findings) named.insert(f.deploy);
  const std::set<std::string> accessible =
      AccessibleDeploys(c, [&](const Deploy& d) { return named.count(d.name) > 0; });
  std::set<std::string> known;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, e] : deploys_) known.insert(name);
  }
  migration::GrantTablePrivilegeCheck grants(&*admin, c.user, c.host, c.account_host);
  ControlReply r;
  r.kind = ControlReply::Kind::kResultSet;
  r.columns = {"kind", "deploy", "table", "problem", "suggested_fix"};
  for (const Finding& f : findings) {
    if (c.client) {
      bool shown = known.count(f.deploy) ? accessible.count(f.deploy) > 0 : grants.CheckAlter(f.table).ok();
      if (!shown) continue;
    }
    r.rows.push_back({f.kind, f.deploy.empty() ? std::nullopt : std::optional<std::string>(f.deploy),
                      f.table.schema + "." + f.table.name, f.problem, f.fix});
  }
  return r;
}

}  // namespace sealgate::deploy
