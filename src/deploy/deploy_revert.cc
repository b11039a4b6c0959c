// DeployController: the revert window — REVERT DEPLOY (and sealing a
// reverted deploy again), FINALIZE DEPLOY, and its end by retention.
#include <ctime>

#include "deploy/deploy_controller.h"
#include "sql/errors.h"

namespace sealgate::deploy {

using migration::QuoteTable;
using migration::SqlConn;

namespace {

std::string UtcSeconds(time_t t) {
  char buf[32];
  tm parts;
  gmtime_r(&t, &parts);
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &parts);
  return buf;
}

}  // namespace

std::optional<time_t> ParseUtc(const std::string& text) {
  tm parts{};
  if (text.size() < 19 || !strptime(text.substr(0, 19).c_str(), "%Y-%m-%d %H:%M:%S", &parts)) return std::nullopt;
  return timegm(&parts);
}

std::string DeployController::RevertUntil(const Deploy& d) const {
  if (d.state != DeployState::kSealed && d.state != DeployState::kReverted) return "";
  auto swapped = ParseUtc(d.sealed_at);
  if (!swapped) return "";
  return UtcSeconds(*swapped + time_t(options_.revert_retention.count()));
}

std::string DeployController::Revertibility(const Deploy& d, const DeployItem& it, std::string* why) const {
  why->clear();
  if (d.state != DeployState::kSealed && d.state != DeployState::kReverted && d.state != DeployState::kReverting) {
    return "";
  }
  if (it.kind != ItemKind::kAlter) return "yes";
  auto p = options_.engine->Progress(it.migration_id);
  if (!p.ok()) {
    *why = "its replication is not running: " + p.status().message();
    return "no";
  }
  if (p->state == migration::MigrationState::kFailed) {
    *why = p->last_error;
    return "no";
  }
  return "yes";
}

ControlReply DeployController::Revert(const ClientContext& c, const std::string& name) {
  if (auto refused = RefuseOthersDeploy(c, name, "revert")) return *refused;
  if (c.in_transaction || c.holds_table_locks) {
    return ControlReply::Error(DeployError(
        error::kDeployWrongState, std::string("REVERT DEPLOY cannot run while this session ") +
                                      (c.holds_table_locks ? "holds LOCK TABLES; UNLOCK TABLES first"
                                                           : "has an open transaction; COMMIT or ROLLBACK it first")));
  }
  bool inverse = false;
  std::vector<DeployItem> items;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto found = deploys_.find(name);
    if (found == deploys_.end()) {
      return ControlReply::Error(DeployError(error::kDeployNotFound, "no deploy is named '" + name + "'"));
    }
    Entry& e = found->second;
    if (e.busy || (e.deploy.state != DeployState::kSealed && e.deploy.state != DeployState::kReverted)) {
      return ControlReply::Error(DeployError(
          error::kDeployWrongState,
          "deploy '" + name + "' is " + (e.busy ? std::string("busy (being reverted or finalized)") : DeployStateName(e.deploy.state)) +
              ": only a sealed deploy can be reverted (and a reverted one reverted again, which seals it anew)"));
    }
    inverse = e.deploy.state == DeployState::kSealed;
    items = e.deploy.items;
    // Refused before anything is touched: a table whose replication failed
    // would lose the writes it could not carry.
    for (const auto& it : items) {
      std::string why;
      if (Revertibility(e.deploy, it, &why) == "no") {
        return ControlReply::Error(DeployError(
            error::kRevertImpossible, "deploy '" + name + "' cannot be " + (inverse ? "reverted" : "sealed again") +
                                          ": table " + it.table.name + ": " + why));
      }
    }
    std::string problem = SealCoordinator::GateOrderProblem(inverse ? InverseItems(items) : items);
    if (!problem.empty()) {
      return ControlReply::Error(DeployError(error::kRevertImpossible, "deploy '" + name + "' cannot be " +
                                                                           (inverse ? "reverted: " : "sealed again: ") +
                                                                           problem));
    }
    e.busy = true;
    e.cancel = false;
    e.waiter = c.session_id;
    e.deploy.state = DeployState::kReverting;
    (void)Persist(e.deploy);
  }
  // What the old schema has no place for, said before it is gone from view.
  std::string lost;
  if (inverse) {
    for (const auto& it : items) {
      if (it.kind == ItemKind::kCreate) {
        lost += (lost.empty() ? "" : "; ") + std::string("rows of ") + it.table.name +
                " (created by the deploy; kept aside as `" + it.shadow + "`)";
      } else if (it.kind == ItemKind::kAlter) {
        auto names = options_.engine->Names(it.migration_id);
        if (names.ok() && !names->unprojected.empty()) {
          std::string cols;
          for (const auto& col : names->unprojected) cols += (cols.empty() ? "" : ", ") + it.table.name + "." + col;
          lost += (lost.empty() ? "" : "; ") + std::string("values of ") + cols + " (added by the deploy)";
        }
      }
    }
  }
  Status swapped = SealWithRetries(name, inverse);
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = deploys_[name];
  e.busy = false;
  e.waiter = 0;
  busy_cv_.notify_all();
  if (!swapped.ok()) {
    e.deploy.state = inverse ? DeployState::kSealed : DeployState::kReverted;
    e.deploy.last_error = swapped.message();
    (void)Persist(e.deploy);
    if (swapped.mysql_errno() == 0) swapped = DeployError(error::kRevertImpossible, swapped.message());
    return ControlReply::Error(swapped);
  }
  e.deploy.state = inverse ? DeployState::kReverted : DeployState::kSealed;
  e.deploy.sealed_at = UtcSeconds(time(nullptr));
  e.deploy.last_error.clear();
  (void)Persist(e.deploy);
  if (options_.logger) {
    options_.logger->Info("deploy", "deploy=" + name + (inverse ? " reverted" : " sealed again") + " tables=" +
                                        std::to_string(items.size()) + " hold_ms=" + std::to_string(e.deploy.hold_ms));
  }
  std::string info = "deploy '" + name + "' " + (inverse ? "reverted" : "sealed again") + ": " +
                     std::to_string(items.size()) + " table(s) swapped, statements held for " +
                     std::to_string(e.deploy.hold_ms) + " ms";
  if (inverse) {
    info += lost.empty() ? "; nothing written since the seal was lost"
                         : "; not kept, the old schema has no place for them: " + lost;
    info += ". REVERT DEPLOY '" + name + "' again seals it anew";
  }
  return ControlReply::Ok(info);
}

ControlReply DeployController::Finalize(const ClientContext& c, const std::string& name) {
  if (auto refused = RefuseOthersDeploy(c, name, "finalize")) return *refused;
  std::vector<DeployItem> items;
  bool sealed = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto found = deploys_.find(name);
    if (found == deploys_.end()) {
      return ControlReply::Error(DeployError(error::kDeployNotFound, "no deploy is named '" + name + "'"));
    }
    Entry& e = found->second;
    if (e.busy || (e.deploy.state != DeployState::kSealed && e.deploy.state != DeployState::kReverted)) {
      return ControlReply::Error(DeployError(
          error::kDeployWrongState, "deploy '" + name + "' is " +
                                        (e.busy ? std::string("busy (being reverted or finalized)") : DeployStateName(e.deploy.state)) +
                                        ": only a sealed or reverted deploy can be finalized"));
    }
    e.busy = true;
    sealed = e.deploy.state == DeployState::kSealed;
    items = e.deploy.items;
  }
  // The side that is not live goes: after a seal the old tables, after a
  // revert the new ones. Followers stop first (Cancel drops their target).
  Status first;
  auto admin = SqlConn::Open(options_.admin);
  for (const auto& it : items) {
    const std::string& schema = it.table.schema;
    std::string drop;
    if (it.kind == ItemKind::kAlter) {
      Status s = options_.engine->Cancel(it.migration_id);
      if (s.code() == StatusCode::kNotFound) {
        // Not running: its kept table (`old_name` once sealed, the shadow
        // once reverted) is dropped if it is still the one it followed into.
        (void)options_.engine->Discard(it.migration_id);
        Status dropped = options_.engine->DropBoundTable(it.migration_id);
        if (!dropped.ok() && first.ok()) first = dropped;
      } else if (!s.ok() && first.ok()) {
        first = s;
      }
    } else if (it.kind == ItemKind::kDrop && sealed) {
      drop = it.old_name;
    } else if (it.kind == ItemKind::kCreate && !sealed) {
      drop = it.shadow;
    }
    Fault("finalize.follower_stopped");
    if (drop.empty()) continue;
    Status s = admin.ok() ? admin->Exec("DROP TABLE IF EXISTS " + QuoteTable(schema, drop)) : admin.status();
    if (!s.ok() && first.ok()) first = s;
  }
  Fault("finalize.tables_dropped");
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = deploys_[name];
  e.busy = false;
  e.deploy.state = DeployState::kFinalized;
  e.deploy.last_error = first.ok() ? "" : "finalizing: " + first.message();
  (void)Persist(e.deploy);
  if (options_.logger) options_.logger->Info("deploy", "deploy=" + name + " finalized kept=" + (sealed ? "new" : "old"));
  return ControlReply::Ok("deploy '" + name + "' finalized: " +
                          (sealed ? std::string("the old tables are dropped and reverse replication stopped")
                                  : std::string("the new tables are dropped; the schema before the deploy stays")) +
                          (first.ok() ? "" : " (" + first.message() + ")"));
}

void DeployController::RetentionLoop() {
  std::unique_lock<std::mutex> lock(retention_mu_);
  while (!retention_stop_) {
    retention_cv_.wait_for(lock, options_.retention_check);
    if (retention_stop_) break;
    lock.unlock();
    std::vector<std::string> due;
    {
      std::lock_guard<std::mutex> deploys_lock(mu_);
      time_t now = time(nullptr);
      for (const auto& [name, e] : deploys_) {
        if (e.busy || (e.deploy.state != DeployState::kSealed && e.deploy.state != DeployState::kReverted)) continue;
        auto swapped = ParseUtc(e.deploy.sealed_at);
        if (swapped && now - *swapped >= time_t(options_.revert_retention.count())) due.push_back(name);
      }
    }
    for (const auto& name : due) {
      if (options_.logger) options_.logger->Info("deploy", "deploy=" + name + " revert window over; finalizing");
      (void)Finalize(ClientContext{}, name);
    }
    lock.lock();
  }
}

}  // namespace sealgate::deploy
