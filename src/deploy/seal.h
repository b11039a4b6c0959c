// SealCoordinator: one attempt at cutting every table of a deploy over in one
// atomic RENAME TABLE (DESIGN.md §4), on MariaDB:
//   1. every migration ready; no prepared XA transaction on the server;
//   2. hold new statements in the proxy and wait until every session is at a
//      statement boundary (WriteHold);
//   3. connection A creates one sentry table per RENAME target and takes
//      LOCK TABLES ... WRITE on the originals and the sentries (short lock wait):
//      writers that bypass the proxy cannot slip a write in;
//   4. a sentinel row through the binlog; wait until every shadow has applied
//      it, then pause applying (before the RENAME: a waiting RENAME holds the
//      shadows' metadata locks);
//   5. raise each shadow's AUTO_INCREMENT to the original's;
//   6. connection B issues the RENAME; A sees it waiting, drops the sentries
//      and unlocks: the RENAME is granted before any DML queued behind A. If A
//      dies early the sentries still exist and the RENAME fails: nothing moves;
//   7. release the hold.
// An attempt that cannot finish in its budget is abandoned cleanly (hold
// released, nothing renamed, appliers resumed) and reported as kAborted so
// the caller retries with backoff. Blocking; run it on a thread of its own.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "binlog/binlog_stream.h"
#include "common/log.h"
#include "deploy/deploy.h"
#include "migration/engine.h"

namespace sealgate::deploy {

// The proxy's write hold, as the seal sees it.
class WriteHold {
 public:
  virtual ~WriteHold() = default;
  virtual void Begin() = 0;
  virtual bool WaitDrained(std::chrono::milliseconds timeout) = 0;
  virtual int NotQuiet() const = 0;
  virtual void End() = 0;
};

struct SealOptions {
  std::chrono::milliseconds drain_timeout{2000};  // sessions must reach a boundary within this
  int lock_wait_seconds = 2;                      // A's LOCK TABLES / B's RENAME lock wait
  std::chrono::milliseconds apply_timeout{5000};  // shadows must apply the sentinel within this
};

struct SealResult {
  std::chrono::milliseconds hold{0};  // statements were held this long
};

class SealCoordinator {
 public:
  SealCoordinator(migration::Engine* engine, binlog::ServerEndpoint admin, WriteHold* hold, SealOptions options,
                  Logger* logger)
      : engine_(engine), admin_(std::move(admin)), hold_(hold), options_(options), logger_(logger) {}

  // RENAME targets that must not exist before the seal (for a clear early error).
  static std::vector<sql::TableName> RenameTargets(const std::vector<DeployItem>& items);
  // The atomic statement: every item's renames in one RENAME TABLE.
  static std::string RenameStatement(const std::vector<DeployItem>& items);

  // One attempt. OK: sealed. kAborted / kUnavailable: nothing renamed, try
  // again later (the message says why). Anything else: the deploy cannot be
  // sealed as it is (e.g. a RENAME target exists).
  StatusOr<SealResult> Attempt(const std::vector<DeployItem>& items);

 private:
  Status CheckReady(const std::vector<DeployItem>& items);
  Status CatchUpAndPause(const std::vector<DeployItem>& items, std::vector<uint64_t>* paused);
  void ResumeAppliers(const std::vector<uint64_t>& paused);

  migration::Engine* engine_;
  binlog::ServerEndpoint admin_;
  WriteHold* hold_;
  SealOptions options_;
  Logger* logger_;
};

}  // namespace sealgate::deploy
