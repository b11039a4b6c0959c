// DeployStore: deploys and their items, durable in the metadata schema
// (tables `deploys` and `deploy_items`), so a named deploy survives its
// client and a restart of the proxy.
//
// Not thread-safe: the caller serialises access (DeployController does).
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "deploy/deploy.h"
#include "migration/sql_conn.h"

namespace sealgate::deploy {

// Deploy names are compared exactly, byte for byte, everywhere: in memory
// and by the metadata tables' keys (VARBINARY), so 'coll' and 'Coll' are two
// deploys. A utf8mb4_general_ci key made 'coll' "taken" by 'Coll' while
// ROLLBACK DEPLOY 'coll' found nothing.
inline constexpr const char* kDeployNameColumnType = "VARBINARY(512)";

// Makes `table`.`column` (a deploy name) kDeployNameColumnType if an older
// sealgate created it as a VARCHAR; a no-op once it is.
Status MakeDeployNameColumnExact(migration::SqlConn& conn, const std::string& schema, const std::string& table,
                                 const std::string& column);

class DeployStore {
 public:
  // The migrations the recorded deploys still need (every item's migration
  // and follower of a deploy that holds tables), read through `admin` from
  // metadata schema `schema`; nullopt if no deploy was ever recorded there.
  // For EngineOptions::live_migrations.
  static StatusOr<std::optional<std::set<uint64_t>>> LiveMigrations(migration::SqlConn& admin,
                                                                      const std::string& schema);

  DeployStore(binlog::ServerEndpoint server, std::string schema) : server_(std::move(server)), schema_(std::move(schema)) {}

  // Every write first asks `writable` (may be null: always): a sealgate that
  // lost the deploy lease must not overwrite what the new owner records.
  void set_writable(std::function<bool()> writable) { writable_ = std::move(writable); }

  // Connects and creates the tables if needed.
  Status Open();
  // Every deploy recorded, oldest first.
  StatusOr<std::vector<Deploy>> LoadAll();
  // Inserts the deploy row (AlreadyExists if the name is taken).
  Status Create(const Deploy& deploy);
  // Gives an ended deploy (rolled back or finalized) and its items the name
  // `retired` (one statement), so that its own name can be used again.
  Status Retire(const std::string& name, const std::string& retired);
  Status AddItem(const std::string& deploy, size_t seq, const DeployItem& item);
  // Rewrites every column of an item (a change composed into it).
  Status ReplaceItem(const std::string& deploy, size_t seq, const DeployItem& item);
  // Updates an item's migration_id and follower_id (`seq` counts from 1, as AddItem's).
  Status UpdateItem(const std::string& deploy, size_t seq, const DeployItem& item);
  // Updates state, attempts, hold, error, sealed_at.
  Status Update(const Deploy& deploy);

 private:
  Status Exec(const std::string& sql);
  std::string Table(const std::string& name) const { return migration::QuoteTable(schema_, name); }
  binlog::ServerEndpoint server_;
  std::string schema_;
  migration::SqlConn conn_;
  std::function<bool()> writable_;
};

}  // namespace sealgate::deploy
