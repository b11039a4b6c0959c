// DeployStatusSource: whether this instance owns the deploys, and (when it
// does) the deploys and their migrations, in /metrics and /status, read from
// the live DeployController at scrape time.
#pragma once

#include "deploy/deploy_controller.h"
#include "proxy/deploy_ownership.h"
#include "proxy/metrics.h"

namespace sealgate::proxy {

class DeployStatusSource : public StatusSource {
 public:
  // `ownership` is not owned; it outlives this source's registration.
  explicit DeployStatusSource(DeployOwnership* ownership) : ownership_(ownership) {}

  // sealgate_deploy_owner (1: this instance runs the deploys, 0: standby);
  // while owner: sealgate_deploys{state}, and per migration (labels deploy, table):
  // sealgate_migration_rows_copied, _rows_total, _lag_seconds, _ready, _rows_applied_total,
  // _state{state}, _copy_paused, _copy_throttled, _throttle_ratio,
  // _binlog_retention_warning and _binlog_purge_in_seconds.
  void AppendMetrics(MetricsWriter& out) const override;
  // "deploy_role": "owner" | "standby", "deploy_unavailable": why (standby
  // only: who owns them), "deploys": [{name, state, tables, ready, ...,
  // "migrations": [...]}] (empty on a standby: ask the owner).
  void AppendStatus(picojson::object& status) const override;

 private:
  DeployOwnership* ownership_;
};

}  // namespace sealgate::proxy
