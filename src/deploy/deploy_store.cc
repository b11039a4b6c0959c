#include "deploy/deploy_store.h"

#include <cstdlib>

namespace sealgate::deploy {

const char* DeployStateName(DeployState state) {
  switch (state) {
    case DeployState::kOpen: return "open";
    case DeployState::kDetached: return "detached";
    case DeployState::kSealing: return "sealing";
    case DeployState::kSealed: return "sealed";
    case DeployState::kRolledBack: return "rolled_back";
    case DeployState::kFailed: return "failed";
    case DeployState::kReverting: return "reverting";
    case DeployState::kReverted: return "reverted";
    case DeployState::kFinalized: return "finalized";
  }
  return "failed";
}

DeployState ParseDeployState(const std::string& name) {
  for (auto s : {DeployState::kOpen, DeployState::kDetached, DeployState::kSealing, DeployState::kSealed,
                 DeployState::kRolledBack, DeployState::kReverting, DeployState::kReverted, DeployState::kFinalized}) {
    if (name == DeployStateName(s)) return s;
  }
  return DeployState::kFailed;
}

bool IsActive(DeployState state) {
  return state == DeployState::kOpen || state == DeployState::kDetached || state == DeployState::kSealing;
}

StatusOr<std::optional<std::set<uint64_t>>> DeployStore::LiveMigrations(migration::SqlConn& admin,
                                                                        const std::string& schema) {
  std::string states;
  for (auto s : {DeployState::kOpen, DeployState::kDetached, DeployState::kSealing, DeployState::kSealed,
                 DeployState::kReverting, DeployState::kReverted, DeployState::kFailed}) {
    states += (states.empty() ? "" : ", ") + admin.Quote(DeployStateName(s));
  }
  auto rows = admin.Query("SELECT i.migration_id, i.follower_id FROM " + migration::QuoteTable(schema, "deploy_items") +
                          " i JOIN " + migration::QuoteTable(schema, "deploys") +
                          " d ON d.name = i.deploy WHERE d.state IN (" + states + ")");
  if (!rows.ok()) {
    if (admin.server_errno() == 1146) return std::optional<std::set<uint64_t>>();  // no deploy recorded yet
    return rows.status();
  }
  std::set<uint64_t> live;
  for (const auto& r : *rows) {
    for (const auto& v : r) {
      uint64_t id = v ? std::strtoull(v->c_str(), nullptr, 10) : 0;
      if (id) live.insert(id);
    }
  }
  return std::optional<std::set<uint64_t>>(std::move(live));
}

bool HoldsTables(DeployState state) {
  return IsActive(state) || state == DeployState::kSealed || state == DeployState::kReverting ||
         state == DeployState::kReverted;
}

std::vector<DeployItem> InverseItems(const std::vector<DeployItem>& items) {
  std::vector<DeployItem> out;
  for (const auto& it : items) {
    DeployItem inv = it;
    switch (it.kind) {
      case ItemKind::kAlter:
        inv.shadow = it.old_name;
        inv.old_name = it.shadow;
        break;
      case ItemKind::kCreate:
        inv.kind = ItemKind::kDrop;
        inv.old_name = it.shadow;
        inv.shadow.clear();
        break;
      case ItemKind::kDrop:
        inv.kind = ItemKind::kCreate;
        inv.shadow = it.old_name;
        inv.old_name.clear();
        break;
    }
    out.push_back(std::move(inv));
  }
  return out;
}

const char* ItemKindName(ItemKind kind) {
  switch (kind) {
    case ItemKind::kAlter: return "alter";
    case ItemKind::kCreate: return "create";
    case ItemKind::kDrop: return "drop";
  }
  return "alter";
}

ItemKind ParseItemKind(const std::string& name) {
  if (name == "create") return ItemKind::kCreate;
  if (name == "drop") return ItemKind::kDrop;
  return ItemKind::kAlter;
}

Status MakeDeployNameColumnExact(migration::SqlConn& conn, const std::string& schema, const std::string& table,
                                 const std::string& column) {
  auto type = conn.Scalar("SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " + conn.Quote(schema) +
                          " AND TABLE_NAME = " + conn.Quote(table) + " AND COLUMN_NAME = " + conn.Quote(column));
  if (!type.ok()) return type.status();
  if (!type->has_value() || **type == "varbinary") return Status::Ok();
  return conn.Exec("ALTER TABLE " + migration::QuoteTable(schema, table) + " MODIFY " + migration::QuoteIdent(column) +
                   " " + kDeployNameColumnType + " NOT NULL");
}

Status DeployStore::Exec(const std::string& sql) {
  if (writable_ && !writable_()) {
    return Status::FailedPrecondition("this sealgate lost the deploy lease: deploy state is the new owner's to record");
  }
  if (!conn_.connected()) {
    auto c = migration::SqlConn::Open(server_);
    if (!c.ok()) return c.status();
    conn_ = std::move(*c);
  }
  Status s = conn_.Exec(sql);
  if (s.code() == StatusCode::kUnavailable) {  // reconnect once
    auto c = migration::SqlConn::Open(server_);
    if (!c.ok()) return c.status();
    conn_ = std::move(*c);
    s = conn_.Exec(sql);
  }
  return s;
}

Status DeployStore::Open() {
  SEALGATE_RETURN_IF_ERROR(Exec("CREATE DATABASE IF NOT EXISTS " + migration::QuoteIdent(schema_) +
                                " CHARACTER SET utf8mb4"));
  SEALGATE_RETURN_IF_ERROR(Exec("CREATE TABLE IF NOT EXISTS " + Table("deploys") + " (name " +
                                kDeployNameColumnType + " NOT NULL PRIMARY KEY, anonymous TINYINT NOT NULL,"
                                " state VARCHAR(16) NOT NULL, created_at DATETIME(3) NOT NULL,"
                                " sealed_at DATETIME(3) NULL, seal_attempts INT NOT NULL DEFAULT 0,"
                                " hold_ms BIGINT NOT NULL DEFAULT -1, last_error TEXT NULL) ENGINE=InnoDB"));
  SEALGATE_RETURN_IF_ERROR(Exec("CREATE TABLE IF NOT EXISTS " + Table("deploy_items") +
              " (deploy " + kDeployNameColumnType + " NOT NULL, seq INT NOT NULL, kind VARCHAR(8) NOT NULL,"
              " table_schema VARCHAR(64) NOT NULL, table_name VARCHAR(64) NOT NULL,"
              " migration_id BIGINT UNSIGNED NOT NULL DEFAULT 0, shadow VARCHAR(64) NOT NULL DEFAULT '',"
              " old_name VARCHAR(64) NOT NULL DEFAULT '', statement LONGTEXT NOT NULL,"
              " follower_id BIGINT UNSIGNED NOT NULL DEFAULT 0, foreign_keys LONGTEXT NULL, triggers LONGTEXT NULL,"
              " PRIMARY KEY (deploy, seq)) ENGINE=InnoDB"));
  // Metadata written by an older sealgate has no follower_id, foreign_keys or triggers yet, and
  // compares deploy names without regard to case.
  SEALGATE_RETURN_IF_ERROR(Exec("DO 0"));
  SEALGATE_RETURN_IF_ERROR(MakeDeployNameColumnExact(conn_, schema_, "deploys", "name"));
  SEALGATE_RETURN_IF_ERROR(MakeDeployNameColumnExact(conn_, schema_, "deploy_items", "deploy"));
  for (const char* column :
       {"follower_id BIGINT UNSIGNED NOT NULL DEFAULT 0", "foreign_keys LONGTEXT NULL", "triggers LONGTEXT NULL"}) {
    SEALGATE_RETURN_IF_ERROR(Exec("ALTER TABLE " + Table("deploy_items") + " ADD COLUMN IF NOT EXISTS " + column));
  }
  return Status::Ok();
}

Status DeployStore::ReplaceItem(const std::string& deploy, size_t seq, const DeployItem& item) {
  return Exec("UPDATE " + Table("deploy_items") + " SET kind = " + conn_.Quote(ItemKindName(item.kind)) +
              ", migration_id = " + std::to_string(item.migration_id) + ", follower_id = " +
              std::to_string(item.follower_id) + ", shadow = " + conn_.Quote(item.shadow) + ", old_name = " +
              conn_.Quote(item.old_name) + ", statement = " + conn_.Quote(item.statement) + ", foreign_keys = " +
              conn_.Quote(item.foreign_keys) + ", triggers = " + conn_.Quote(item.triggers) + " WHERE deploy = " +
              conn_.Quote(deploy) + " AND seq = " + std::to_string(seq));
}

Status DeployStore::UpdateItem(const std::string& deploy, size_t seq, const DeployItem& item) {
  return Exec("UPDATE " + Table("deploy_items") + " SET migration_id = " + std::to_string(item.migration_id) +
              ", follower_id = " + std::to_string(item.follower_id) + " WHERE deploy = " + conn_.Quote(deploy) +
              " AND seq = " + std::to_string(seq));
}

StatusOr<std::vector<Deploy>> DeployStore::LoadAll() {
  SEALGATE_RETURN_IF_ERROR(Exec("DO 0"));  // connects if needed
  auto rows = conn_.Query("SELECT name, anonymous, state, created_at, sealed_at, seal_attempts, hold_ms, last_error"
                          " FROM " + Table("deploys") + " ORDER BY created_at, name");
  if (!rows.ok()) return rows.status();
  std::vector<Deploy> out;
  for (const auto& r : *rows) {
    Deploy d;
    d.name = r[0].value_or("");
    d.anonymous = r[1].value_or("0") == "1";
    d.state = ParseDeployState(r[2].value_or(""));
    d.created_at = r[3].value_or("");
    d.sealed_at = r[4].value_or("");
    d.seal_attempts = atoi(r[5].value_or("0").c_str());
    d.hold_ms = atoll(r[6].value_or("-1").c_str());
    d.last_error = r[7].value_or("");
    out.push_back(std::move(d));
  }
  auto items = conn_.Query("SELECT deploy, kind, table_schema, table_name, migration_id, shadow, old_name, statement,"
                           " follower_id, foreign_keys, triggers"
                           " FROM " + Table("deploy_items") + " ORDER BY deploy, seq");
  if (!items.ok()) return items.status();
  for (const auto& r : *items) {
    for (auto& d : out) {
      if (d.name != r[0].value_or("")) continue;
      DeployItem item;
      item.kind = ParseItemKind(r[1].value_or(""));
      item.table = {r[2].value_or(""), r[3].value_or("")};
      item.migration_id = strtoull(r[4].value_or("0").c_str(), nullptr, 10);
      item.shadow = r[5].value_or("");
      item.old_name = r[6].value_or("");
      item.statement = r[7].value_or("");
      item.follower_id = strtoull(r[8].value_or("0").c_str(), nullptr, 10);
      item.foreign_keys = r[9].value_or("");
      item.triggers = r[10].value_or("");
      d.items.push_back(std::move(item));
    }
  }
  return out;
}

Status DeployStore::Create(const Deploy& d) {
  Status s = Exec("INSERT INTO " + Table("deploys") + " (name, anonymous, state, created_at) VALUES (" +
                  conn_.Quote(d.name) + ", " + (d.anonymous ? "1" : "0") + ", " +
                  conn_.Quote(DeployStateName(d.state)) + ", UTC_TIMESTAMP(3))");
  if (!s.ok() && conn_.server_errno() == 1062) return Status::AlreadyExists("deploy name '" + d.name + "' is taken");
  return s;
}

Status DeployStore::Retire(const std::string& name, const std::string& retired) {
  // One statement: the deploy and its items move together or not at all.
  return Exec("UPDATE " + Table("deploys") + " d LEFT JOIN " + Table("deploy_items") + " i ON i.deploy = d.name SET " +
              "i.deploy = " + conn_.Quote(retired) + ", d.name = " + conn_.Quote(retired) + " WHERE d.name = " +
              conn_.Quote(name));
}

Status DeployStore::AddItem(const std::string& deploy, size_t seq, const DeployItem& item) {
  return Exec("INSERT INTO " + Table("deploy_items") +
              " (deploy, seq, kind, table_schema, table_name, migration_id, shadow, old_name, statement, foreign_keys,"
              " triggers)"
              " VALUES (" +
              conn_.Quote(deploy) + ", " + std::to_string(seq) + ", " + conn_.Quote(ItemKindName(item.kind)) + ", " +
              conn_.Quote(item.table.schema) + ", " + conn_.Quote(item.table.name) + ", " +
              std::to_string(item.migration_id) + ", " + conn_.Quote(item.shadow) + ", " +
              conn_.Quote(item.old_name) + ", " + conn_.Quote(item.statement) + ", " + conn_.Quote(item.foreign_keys) +
              ", " + conn_.Quote(item.triggers) + ")");
}

Status DeployStore::Update(const Deploy& d) {
  std::string sealed = !d.sealed_at.empty()               ? conn_.Quote(d.sealed_at)
                       : d.state == DeployState::kSealed ? "COALESCE(sealed_at, UTC_TIMESTAMP(3))"
                                                         : "sealed_at";
  return Exec("UPDATE " + Table("deploys") + " SET state = " + conn_.Quote(DeployStateName(d.state)) +
              ", seal_attempts = " + std::to_string(d.seal_attempts) + ", hold_ms = " + std::to_string(d.hold_ms) +
              ", last_error = " + conn_.Quote(d.last_error) + ", sealed_at = " + sealed +
              " WHERE name = " + conn_.Quote(d.name));
}

}  // namespace sealgate::deploy
