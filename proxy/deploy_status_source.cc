#include "proxy/deploy_status_source.h"

#include <cstdlib>
#include <map>

namespace sealgate::proxy {

namespace {

double Number(const std::optional<std::string>& v) { return v ? strtod(v->c_str(), nullptr) : 0; }

// Rows of a result-set reply as column-name -> value maps.
std::vector<std::map<std::string, std::optional<std::string>>> Records(const deploy::ControlReply& r) {
  std::vector<std::map<std::string, std::optional<std::string>>> out;
  for (const auto& row : r.rows) {
    std::map<std::string, std::optional<std::string>> rec;
    for (size_t i = 0; i < r.columns.size() && i < row.size(); ++i) rec[r.columns[i]] = row[i];
    out.push_back(std::move(rec));
  }
  return out;
}

}  // namespace

void DeployStatusSource::AppendMetrics(MetricsWriter& out) const {
  auto service = ownership_->Current();
  out.WriteGauge("sealgate_deploy_owner", "1 when this instance holds the deploy lease and runs the deploys, 0 on a standby",
                 {}, service ? 1 : 0);
  if (!service) return;
  deploy::DeployController* controller = service->controller.get();
  std::map<std::string, int> by_state;
  for (auto& d : Records(controller->ShowDeploysReply())) ++by_state[d["state"].value_or("")];
  for (const char* s : {"open", "detached", "sealing", "sealed", "rolled_back", "failed", "reverting", "reverted",
                        "finalized"}) {
    out.WriteGauge("sealgate_deploys", "Deploys by state", {{"state", s}}, by_state[s]);
  }
  for (auto& m : Records(controller->ShowStatusReply())) {
    if (m["kind"].value_or("") != "alter") continue;
    Labels labels = {{"deploy", m["deploy"].value_or("")}, {"table", m["table"].value_or("")}};
    out.WriteGauge("sealgate_migration_rows_copied", "Rows copied into the shadow", labels, Number(m["rows_copied"]));
    out.WriteGauge("sealgate_migration_rows_total", "Rows estimated in the original", labels, Number(m["rows_total"]));
    out.WriteGauge("sealgate_migration_lag_seconds", "Binlog apply lag of the shadow", labels,
                   Number(m["lag_ms"]) / 1000.0);
    out.WriteGauge("sealgate_migration_ready", "1 when staged and caught up", labels, m["ready"] == "yes" ? 1 : 0);
    out.WriteCounter("sealgate_migration_rows_applied_total", "Row changes applied to the shadow from the binlog",
                     labels, Number(m["rows_applied"]));
    if (m["apply_rows_per_s"]) {
      out.WriteGauge("sealgate_migration_apply_rows_per_second",
                     "Row changes applied to the shadow per second (the last 30 s)", labels,
                     Number(m["apply_rows_per_s"]));
    }
    out.WriteGauge("sealgate_migration_falling_behind",
                   "1 while the migration does not keep up with the table's writes: the apply lag keeps growing, or rows are added "
                   "past the copy as fast as it copies (SHOW DEPLOY STATUS pace says which)",
                   labels, m["keeping_up"] == "no");
    std::string state = m["state"].value_or("");
    for (const char* s : {"copying", "staged", "failed"}) {
      Labels with_state = labels;
      with_state.emplace_back("state", s);
      out.WriteGauge("sealgate_migration_state", "1 for the migration's current state", with_state, state == s);
    }
    std::string copy = m["copy"].value_or("");
    out.WriteGauge("sealgate_migration_copy_paused", "1 while ALTER DEPLOY ... PAUSE holds the copy", labels,
                   copy == "paused");
    out.WriteGauge("sealgate_migration_copy_throttled",
                   "1 while the automatic throttle (Threads_running, replica lag) holds the copy", labels,
                   copy == "throttled");
    out.WriteGauge("sealgate_migration_throttle_ratio",
                   "ALTER DEPLOY ... THROTTLE RATIO: the copy rests this times each chunk's duration", labels,
                   Number(m["throttle_ratio"]));
    out.WriteGauge("sealgate_migration_binlog_retention_warning",
                   "1 when the binlog at the migration's checkpoint may be purged soon (see /status)", labels,
                   m["binlog_warning"].has_value());
    if (m["binlog_purge_in_s"]) {
      out.WriteGauge("sealgate_migration_binlog_purge_in_seconds",
                     "Seconds until the binlog file at the migration's checkpoint may be purged", labels,
                     Number(m["binlog_purge_in_s"]));
    }
    if (m["revertible"]) {
      out.WriteGauge("sealgate_migration_revertible", "1 while the table of a sealed deploy can still be reverted",
                     labels, m["revertible"] == "yes" ? 1 : 0);
    }
  }
}

void DeployStatusSource::AppendStatus(picojson::object& status) const {
  auto service = ownership_->Current();
  status["deploy_role"] = picojson::value(service ? "owner" : "standby");
  if (!service) {
    status["deploy_unavailable"] = picojson::value(ownership_->Unavailable().message());
    status["deploys"] = picojson::value(picojson::array());
    return;
  }
  auto migrations = Records(service->controller->ShowStatusReply());
  picojson::array deploys;
  for (auto& d : Records(service->controller->ShowDeploysReply())) {
    picojson::object obj;
    for (auto& [k, v] : d) obj[k] = v ? picojson::value(*v) : picojson::value();
    picojson::array items;
    std::string name = d["name"].value_or("");
    for (auto& m : migrations) {
      if (m["deploy"].value_or("") != name && "(anonymous) " + m["deploy"].value_or("") != name) continue;
      picojson::object mo;
      for (auto& [k, v] : m) mo[k] = v ? picojson::value(*v) : picojson::value();
      items.push_back(picojson::value(mo));
    }
    obj["migrations"] = picojson::value(items);
    deploys.push_back(picojson::value(obj));
  }
  status["deploys"] = picojson::value(deploys);
}

}  // namespace sealgate::proxy
