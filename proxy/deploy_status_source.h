// DeployStatusSource: deploys and their migrations in /metrics and /status,
// read from the DeployController at scrape time.
#pragma once

#include "deploy/deploy_controller.h"
#include "proxy/metrics.h"

namespace sealgate::proxy {

class DeployStatusSource : public StatusSource {
 public:
  // `controller` is not owned; it outlives this source's registration.
  explicit DeployStatusSource(deploy::DeployController* controller) : controller_(controller) {}

  // sealgate_deploys{state}, and per migration (labels deploy, table):
  // sealgate_migration_rows_copied, _rows_total, _lag_seconds, _ready, _rows_applied_total,
  // _state{state}, _copy_paused, _copy_throttled, _throttle_ratio,
  // _binlog_retention_warning and _binlog_purge_in_seconds.
  void AppendMetrics(MetricsWriter& out) const override;
  // "deploys": [{name, state, tables, ready, ..., "migrations": [...]}]
  void AppendStatus(picojson::object& status) const override;

 private:
  deploy::DeployController* controller_;
};

}  // namespace sealgate::proxy
