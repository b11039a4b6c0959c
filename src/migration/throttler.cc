#include "migration/throttler.h"

#include <cstdlib>

namespace sealgate::migration {

std::string ThreadsRunningThrottler::Reason() {
  std::lock_guard<std::mutex> lock(mu_);
  auto now = std::chrono::steady_clock::now();
  if (now - checked_ < interval_) return reason_;
  checked_ = now;
  if (!conn_.connected()) {
    auto c = SqlConn::Open(server_);
    if (!c.ok()) return reason_ = "";  // an unreachable server is the copier's problem, not a throttle
    conn_ = std::move(*c);
  }
  auto v = conn_.Query("SHOW GLOBAL STATUS LIKE 'Threads_running'");
  if (!v.ok() || v->empty()) {
    conn_ = SqlConn();
    return reason_ = "";
  }
  int running = std::stoi(v->front()[1].value_or("0"));
  reason_ = running > max_ ? "Threads_running=" + std::to_string(running) + " > " + std::to_string(max_) : "";
  return reason_;
}

std::string ReplicaLagVerdict(const std::string& replica, const std::vector<std::string>& columns,
                              const std::vector<SqlRow>& rows, std::chrono::seconds max_lag) {
  if (rows.empty()) return "replica " + replica + " is not replicating (SHOW REPLICA STATUS is empty)";
  size_t col = columns.size();
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] == "Seconds_Behind_Master" || columns[i] == "Seconds_Behind_Source") col = i;
  }
  if (col == columns.size() || col >= rows.front().size()) {
    return "replica " + replica + " reports no Seconds_Behind_Master";
  }
  const auto& lag = rows.front()[col];
  if (!lag) return "replica " + replica + ": replication is stopped (Seconds_Behind_Master is NULL)";
  long long seconds = std::atoll(lag->c_str());
  if (seconds <= max_lag.count()) return "";
  return "replica " + replica + " lag " + std::to_string(seconds) + " s > " + std::to_string(max_lag.count()) + " s";
}

ReplicaLagThrottler::ReplicaLagThrottler(Options options) : options_(std::move(options)) {
  conns_.resize(options_.replicas.size());
}

std::string ReplicaLagThrottler::Ask(size_t i) {
  const binlog::ServerEndpoint& r = options_.replicas[i];
  std::string name = r.host + ":" + std::to_string(r.port);
  SqlConn& conn = conns_[i];
  if (!conn.connected()) {
    auto c = SqlConn::Open(r);
    if (!c.ok()) return "replica " + name + " cannot be asked for its lag: " + c.status().message();
    conn = std::move(*c);
  }
  std::vector<std::string> columns;
  // SHOW REPLICA STATUS: MariaDB 10.5.1+, MySQL 8.0.22+; older servers know only the SLAVE spelling.
  auto rows = conn.Query("SHOW REPLICA STATUS", &columns);
  if (!rows.ok() && rows.status().code() != StatusCode::kUnavailable) rows = conn.Query("SHOW SLAVE STATUS", &columns);
  if (!rows.ok()) {
    conn = SqlConn();
    return "replica " + name + " cannot be asked for its lag: " + rows.status().message();
  }
  return ReplicaLagVerdict(name, columns, *rows, options_.max_lag);
}

std::string ReplicaLagThrottler::Reason() {
  std::lock_guard<std::mutex> lock(mu_);
  auto now = std::chrono::steady_clock::now();
  if (now - checked_ < options_.interval) return reason_;
  checked_ = now;
  reason_.clear();
  for (size_t i = 0; i < options_.replicas.size(); ++i) {
    std::string why = Ask(i);
    if (why.empty()) continue;
    if (!reason_.empty()) reason_ += "; ";
    reason_ += why;
  }
  return reason_;
}

std::string CompositeThrottler::Reason() {
  std::string out;
  for (const auto& part : parts_) {
    std::string why = part->Reason();
    if (why.empty()) continue;
    if (!out.empty()) out += "; ";
    out += why;
  }
  return out;
}

}  // namespace sealgate::migration
