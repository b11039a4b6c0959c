// Operator controls of a deploy, durable in the metadata schema (table
// `deploy_controls`) so that they survive a restart: the copy's pause and
// throttle ratio (ALTER DEPLOY) and the scheduled seal time (COMMIT DEPLOY
// ... AT). The statements themselves are DeployController methods
// (deploy_ops.cc).
//
// DeployControlStore is not thread-safe: the controller serialises access.
#pragma once

#include <ctime>
#include <map>
#include <optional>
#include <string>

#include "migration/sql_conn.h"

namespace sealgate::deploy {

struct DeployControls {
  bool copy_paused = false;       // ALTER DEPLOY 'n' PAUSE / RESUME
  double throttle_ratio = 0;      // ALTER DEPLOY 'n' THROTTLE [RATIO r] / UNTHROTTLE
  std::optional<time_t> seal_at;  // COMMIT DEPLOY 'n' AT '...'; cleared once that seal has run
  bool operator==(const DeployControls&) const = default;
};

class DeployControlStore {
 public:
  DeployControlStore(binlog::ServerEndpoint server, std::string schema)
      : server_(std::move(server)), schema_(std::move(schema)) {}

  // Connects and creates the table if needed.
  Status Open();
  // Every deploy's controls, by deploy name.
  StatusOr<std::map<std::string, DeployControls>> LoadAll();
  Status Save(const std::string& deploy, const DeployControls& controls);

 private:
  Status Exec(const std::string& sql);
  binlog::ServerEndpoint server_;
  std::string schema_;
  migration::SqlConn conn_;
};

}  // namespace sealgate::deploy
