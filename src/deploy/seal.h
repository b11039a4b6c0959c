// SealCoordinator: one attempt at cutting every table of a deploy over in one
// atomic RENAME TABLE (DESIGN.md §4), on MariaDB, written so that writers that
// bypass the proxy cannot lose a write either.
//
// MariaDB grants a multi-table RENAME its metadata locks one table at a time,
// in the order of (database, table name). So the RENAME carries one more pair
// per database, `~!sealgate_gate_a` TO `~!sealgate_gate_b`, whose names sort
// after every original table and before every shadow (shadows are named
// `~<table>_new`). Steps 4 to 6 for one database:
//   1. every migration ready; no prepared XA transaction on their tables;
//   2. hold new statements in the proxy until every session is at a statement
//      boundary (WriteHold);
//   3. connection S creates both gate tables and LOCK TABLES gate_b WRITE: the
//      RENAME's target exists and is locked;
//   4. connection B issues the RENAME. It takes the originals (waiting for
//      their in-flight transactions; later writers from anywhere queue behind
//      it) and gate_a, then waits on gate_b — shadows not yet taken;
//   5. a probe sees gate_a taken by B: no original can change any more. A
//      sentinel row through the binlog; every shadow applies it; appliers pause;
//      AUTO_INCREMENT raised;
//   6. S drops gate_b and unlocks: B takes gate_b and the shadows and renames
//      everything at once. If S dies before, gate_b still exists and the RENAME
//      fails as a whole: nothing moves;
//   With several databases, 4–6 run database by database in that order: S
//   drops one database's gate_b (under LOCK TABLES a dropped table loses its
//   lock at once), B takes that database's shadows and goes on to the next
//   database's originals and gate; only after the last gate_b does S unlock.
//   Every original stays locked from its own step until the RENAME ends, and
//   any gate_b left (S gone) still fails the RENAME whole.
//   7. release the hold.
// An attempt that cannot finish in its budget is abandoned cleanly (B's RENAME
// killed before S lets go, hold released, appliers resumed, nothing renamed) and
// reported as kAborted so the caller retries with backoff. One attempt at a
// time per coordinator. Blocking; run it on a thread of its own.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "binlog/binlog_stream.h"
#include "common/log.h"
#include "deploy/deploy.h"
#include "migration/engine.h"
#include "migration/sql_conn.h"

namespace sealgate::deploy {

// The proxy's write hold, as the seal sees it.
class WriteHold {
 public:
  virtual ~WriteHold() = default;
  // `tables`: "schema.name" of every table the seal renames or locks.
  virtual void Begin(const std::vector<std::string>& tables) = 0;
  virtual bool WaitDrained(std::chrono::milliseconds timeout) = 0;
  virtual int NotQuiet() const = 0;
  virtual void End() = 0;
};

struct SealOptions {
  std::chrono::milliseconds drain_timeout{2000};  // sessions must reach a boundary within this
  int lock_wait_seconds = 2;                      // A's LOCK TABLES / B's RENAME lock wait
  std::chrono::milliseconds apply_timeout{5000};  // shadows must apply the sentinel within this
  // A transaction that keeps a deploy's table for this many consecutive seal
  // attempts is killed (KILL CONNECTION); 0 = never, wait for it.
  int kill_blockers_after = 0;
};

// What an attempt does around its RENAME besides renaming.
struct SealHooks {
  // Runs once per database of the deploy, while the RENAME holds that
  // database's originals (not yet their shadows) and their appliers are
  // paused, just before that database's gate opens: starts what must begin
  // exactly at the swap (the followers for a revert) for the items in
  // `schema`. An error abandons the attempt.
  std::function<Status(const std::string& schema)> before_rename;
  // The attempt ended without renaming after before_rename succeeded (for
  // any database).
  std::function<void()> abandoned;
};

struct SealResult {
  std::chrono::milliseconds hold{0};  // statements were held this long
  std::string phases;                 // where the hold went: "drain=2 lock=5 catchup=30 rename=40" (ms)
};

class SealCoordinator {
 public:
  SealCoordinator(migration::Engine* engine, binlog::ServerEndpoint admin, WriteHold* hold, SealOptions options,
                  Logger* logger)
      : engine_(engine), admin_(std::move(admin)), hold_(hold), options_(options), logger_(logger) {}

  static constexpr const char* kGateA = "~!sealgate_gate_a";
  static constexpr const char* kGateB = "~!sealgate_gate_b";

  // RENAME targets that must not exist before the seal (for a clear early error).
  static std::vector<sql::TableName> RenameTargets(const std::vector<DeployItem>& items);
  // The atomic statement: every item's renames and the gate pair in one RENAME TABLE.
  static std::string RenameStatement(const std::vector<DeployItem>& items);
  // Why the items cannot be sealed with the gate (several databases, names
  // that sort after the gate, shadows that sort before it); empty if they can.
  static std::string GateOrderProblem(const std::vector<DeployItem>& items);
  // The deploy's databases in the RENAME's lock order (each has its gate pair).
  static std::vector<std::string> Databases(const std::vector<DeployItem>& items);

  // One attempt. OK: sealed. kAborted / kUnavailable: nothing renamed, try
  // again later (the message says why). Anything else: the deploy cannot be
  // sealed as it is (e.g. a RENAME target exists).
  StatusOr<SealResult> Attempt(const std::vector<DeployItem>& items, const SealHooks& hooks = {});

 private:
  Status CheckReady(const std::vector<DeployItem>& items);
  // DESIGN.md §4.1: before any client is held, a transaction older than the
  // drain budget that holds one of the tables ends the attempt (kAborted,
  // naming it) — or is killed per `kill_blockers_after`.
  Status CheckBlockers(migration::SqlConn& probe, const std::vector<DeployItem>& items);
  Status CheckPreparedXa(migration::SqlConn& probe, const std::vector<DeployItem>& items);
  StatusOr<SealResult> AttemptLocked(const std::vector<DeployItem>& items, const SealHooks& hooks);
  Status CatchUpAndPause(const std::vector<DeployItem>& items, std::vector<uint64_t>* paused);
  void ResumeAppliers(const std::vector<uint64_t>& paused);

  migration::Engine* engine_;
  binlog::ServerEndpoint admin_;
  WriteHold* hold_;
  SealOptions options_;
  Logger* logger_;
  std::mutex attempt_mu_;  // one attempt at a time (gate names are fixed)
  std::map<uint64_t, int> blocker_attempts_;  // connection id -> attempts it blocked; GUARDED_BY(attempt_mu_)
};

}  // namespace sealgate::deploy
