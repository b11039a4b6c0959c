#include "migration/engine_lease.h"

#include "sql/errors.h"

namespace sealgate::migration {

std::string EngineLease::TableDdl(const std::string& metadata_schema) {
  return "CREATE TABLE IF NOT EXISTS " + QuoteTable(metadata_schema, "lease") +
         " (id TINYINT UNSIGNED NOT NULL PRIMARY KEY, epoch BIGINT UNSIGNED NOT NULL, owner VARCHAR(255) NOT NULL, "
         "connection_id BIGINT UNSIGNED NOT NULL, acquired_at DATETIME(6) NOT NULL, check_ms INT UNSIGNED NOT NULL) "
         "ENGINE=InnoDB DEFAULT "
         "CHARSET=utf8mb4";
}

std::string EngineLease::DescribeHolder(SqlConn& conn, const std::string& metadata_schema) {
  auto id = conn.Scalar("SELECT IS_USED_LOCK(" + conn.Quote(LockName(metadata_schema)) + ")");
  if (!id.ok() || !id->has_value()) return "";
  const std::string& cid = **id;
  // The label is only believed while the connection that wrote it holds the lock.
  auto label = conn.Scalar("SELECT owner FROM " + QuoteTable(metadata_schema, "lease") +
                           " WHERE id = 1 AND connection_id = " + cid);
  if (label.ok() && label->has_value()) return "sealgate " + **label + " (server connection " + cid + ")";
  auto host = conn.Scalar("SELECT HOST FROM information_schema.PROCESSLIST WHERE ID = " + cid);
  if (host.ok() && host->has_value()) return "a sealgate connected from " + **host + " (server connection " + cid + ")";
  return "server connection " + cid;
}

StatusOr<EngineLease> EngineLease::Acquire(const binlog::ServerEndpoint& server, const std::string& metadata_schema,
                                           const std::string& owner_label, std::chrono::seconds wait) {
  auto c = SqlConn::Open(server);
  if (!c.ok()) return c.status();
  EngineLease lease;
  lease.conn_ = std::move(*c);
  lease.server_ = server;
  lease.schema_ = metadata_schema;
  lease.label_ = owner_label;
  // The lock lives as long as this connection: the server must never time it out.
  SEALGATE_RETURN_IF_ERROR(lease.conn_.Exec("SET SESSION wait_timeout = 31536000, interactive_timeout = 31536000"));
  auto got = lease.conn_.Scalar("SELECT GET_LOCK(" + lease.conn_.Quote(LockName(metadata_schema)) + ", " +
                                std::to_string(wait.count()) + ")");
  if (!got.ok()) return got.status();
  if (got->value_or("0") == "1") return lease;
  std::string holder = DescribeHolder(lease.conn_, metadata_schema);
  if (holder.empty()) holder = "another sealgate instance";
  return Status::FailedPrecondition("this sealgate does not own the deploys of metadata schema `" + metadata_schema +
                                    "`: " + holder + " does. Send deploy statements through that instance; this one "
                                    "takes over by itself if the owner goes away")
      .WithMysqlError(error::kDeployNotOwner, error::kSqlstateGeneral);
}

std::chrono::milliseconds EngineLease::FormerOwnerGrace() {
  auto rows = conn_.Query("SELECT check_ms FROM " + QuoteTable(schema_, "lease") + " WHERE id = 1 AND connection_id <> 0");
  if (!rows.ok() || rows->empty()) return std::chrono::milliseconds(0);
  return std::chrono::milliseconds(2 * std::stoll(rows->front()[0].value_or("0")) + 200);
}

void EngineLease::Release() {
  if (!conn_.connected()) return;
  (void)conn_.Exec("UPDATE " + QuoteTable(schema_, "lease") +
                   " SET connection_id = 0 WHERE id = 1 AND connection_id = CONNECTION_ID()");
}

StatusOr<uint64_t> EngineLease::TakeOver(std::chrono::milliseconds check_interval) {
  SEALGATE_RETURN_IF_ERROR(conn_.Exec(
      "INSERT INTO " + QuoteTable(schema_, "lease") +
      " (id, epoch, owner, connection_id, acquired_at, check_ms) VALUES (1, 1, " + conn_.Quote(label_.substr(0, 255)) +
      ", CONNECTION_ID(), NOW(6), " + std::to_string(check_interval.count()) +
      ") ON DUPLICATE KEY UPDATE epoch = epoch + 1, owner = VALUES(owner), "
      "connection_id = VALUES(connection_id), acquired_at = VALUES(acquired_at), check_ms = VALUES(check_ms)"));
  auto epoch = conn_.Scalar("SELECT epoch FROM " + QuoteTable(schema_, "lease") + " WHERE id = 1");
  if (!epoch.ok()) return epoch.status();
  epoch_ = std::stoull(epoch->value_or("0"));
  // The barrier: this waits for the row locks of any transaction a former
  // owner still has open on these rows; any later one finds the new epoch.
  SEALGATE_RETURN_IF_ERROR(conn_.Exec("UPDATE " + QuoteTable(schema_, "migrations") + " SET lease_epoch = " +
                                      std::to_string(epoch_) + " WHERE state IN ('copying', 'staged', 'failed')"));
  return epoch_;
}

Status EngineLease::Check() {
  if (!conn_.connected()) return Status::Unavailable("no lease connection");
  auto held = conn_.Scalar("SELECT IS_USED_LOCK(" + conn_.Quote(LockName(schema_)) + ") = CONNECTION_ID()");
  if (!held.ok()) return held.status();
  if (held->value_or("0") != "1") return Status::FailedPrecondition("the lock is no longer held by this instance");
  return Status::Ok();
}

Status EngineLease::Reacquire() {
  auto c = SqlConn::Open(server_);
  if (!c.ok()) return c.status();
  SEALGATE_RETURN_IF_ERROR(c->Exec("SET SESSION wait_timeout = 31536000, interactive_timeout = 31536000"));
  auto got = c->Scalar("SELECT GET_LOCK(" + c->Quote(LockName(schema_)) + ", 0)");
  if (!got.ok()) return got.status();
  if (got->value_or("0") != "1") {
    std::string holder = DescribeHolder(*c, schema_);
    return Status::FailedPrecondition("the deploy lease is held by " +
                                      (holder.empty() ? std::string("another sealgate instance") : holder));
  }
  auto epoch = c->Scalar("SELECT epoch FROM " + QuoteTable(schema_, "lease") + " WHERE id = 1");
  if (!epoch.ok()) return epoch.status();
  if (epoch->value_or("") != std::to_string(epoch_)) {
    (void)c->Exec("DO RELEASE_LOCK(" + c->Quote(LockName(schema_)) + ")");
    return Status::FailedPrecondition("another sealgate owned the deploys meanwhile (lease epoch " +
                                      epoch->value_or("none") + ", this instance's " + std::to_string(epoch_) + ")");
  }
  SEALGATE_RETURN_IF_ERROR(c->Exec("UPDATE " + QuoteTable(schema_, "lease") +
                                   " SET connection_id = CONNECTION_ID() WHERE id = 1 AND epoch = " +
                                   std::to_string(epoch_)));
  conn_ = std::move(*c);
  return Status::Ok();
}

}  // namespace sealgate::migration
