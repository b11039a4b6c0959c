// EngineLease: who runs the one Engine of a metadata schema (DESIGN.md §8,
// several proxy instances). It is the server-side named lock
// `sealgate-engine:<metadata schema>`, held by a connection used for nothing
// else: the lock is free exactly when that connection is gone (process
// killed, host lost, KILL, server restart).
//
// Holding the lock is not enough to keep a former owner from writing: its
// writers may still be inside a transaction when the lock changes hands. So
// each acquisition also bumps an epoch in `<schema>.lease` and stamps it on
// every migration row it takes over (TakeOver); writers only commit while
// their migration row still carries their epoch (see Migration).
//
// Not thread-safe: one owner thread at a time. Move-only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "common/status.h"
#include "migration/sql_conn.h"

namespace sealgate::migration {

class EngineLease {
 public:
  EngineLease() = default;

  // Connects and tries to take the lock, waiting at most `wait`. When another
  // connection holds it: FailedPrecondition with error::kDeployNotOwner and a
  // message naming the holder (its recorded owner label, else its host).
  // `owner_label` is what other instances will be told about this one.
  static StatusOr<EngineLease> Acquire(const binlog::ServerEndpoint& server, const std::string& metadata_schema,
                                       const std::string& owner_label, std::chrono::seconds wait);

  // Records this holder in `<schema>.lease` (the table must exist), takes the
  // next epoch and stamps it on every migration row that is not finished.
  // Waits for a former owner's transactions on those rows to end: once it
  // returns, no transaction of a former owner can commit a migration's work.
  StatusOr<uint64_t> TakeOver(std::chrono::milliseconds check_interval);

  // How long a new holder lets pass before acting: a former owner that did
  // not let go (killed, or its lease connection lost) checks its lease every
  // `check_interval` it recorded, and has stopped within two of them. Zero
  // when the former owner released the lease cleanly, or there was none.
  std::chrono::milliseconds FormerOwnerGrace();

  // Marks the lease as given up cleanly (the next holder need not wait).
  void Release();

  // Ok while the lock is still held by this connection; any error means it
  // may be free or someone else's.
  Status Check();

  // After Check() failed because the lease connection was lost (a server
  // restart, a KILL, a network cut): takes the lock again on a new
  // connection, but only if nobody held the lease in between — the epoch in
  // `<schema>.lease` is still this holder's (every other holder bumps it
  // before doing anything). Unavailable while the server cannot be reached
  // (then nobody else can take the lease there either: try again later);
  // FailedPrecondition when the lock is someone else's or the epoch moved on
  // (the caller must fence itself).
  Status Reacquire();

  uint64_t epoch() const { return epoch_; }
  // The lock's name for a metadata schema.
  static std::string LockName(const std::string& metadata_schema) { return "sealgate-engine:" + metadata_schema; }
  // The DDL of `<schema>.lease` (one row: the current holder and epoch).
  static std::string TableDdl(const std::string& metadata_schema);
  // Who holds the lock now, as far as the server tells ("" if nobody).
  static std::string DescribeHolder(SqlConn& conn, const std::string& metadata_schema);

 private:
  SqlConn conn_;
  binlog::ServerEndpoint server_;
  std::string schema_;
  std::string label_;
  uint64_t epoch_ = 0;
};

}  // namespace sealgate::migration
