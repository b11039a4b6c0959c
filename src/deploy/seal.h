// SealCoordinator: one attempt at cutting every table of a deploy over in one
// atomic RENAME TABLE (DESIGN.md §4), on MariaDB, written so that writers that
// bypass the proxy cannot lose a write either.
//
// MariaDB grants a multi-table RENAME its metadata locks one table at a time,
// in the order of (database, table name). So the RENAME carries one more pair
// per database, `~!sealgate_gate_a` TO `~!sealgate_gate_b`, whose names sort
// after every original table and before every shadow (shadows are named
// `~<table>_new`). One attempt:
//   1. every migration ready; nobody holds a metadata lock on the deploy's
//      tables or shadows, and no prepared XA transaction a table lock
//      (BlockerFinder) — otherwise the attempt ends (kResourceExhausted),
//      naming them, before anyone is held; the shadows catch up once outside
//      the hold;
//   2. connection S creates both gate tables and LOCK TABLES gate_b WRITE: the
//      RENAME's target exists and is locked;
//   3. the hold begins: new statements of proxy sessions at a statement
//      boundary wait in the proxy (sessions inside a transaction are not waited
//      for). A watchdog ends the hold after `max_hold` whatever happens: it
//      releases the clients and kills the RENAME;
//   4. connection B issues the RENAME. It takes the originals (later writers
//      from anywhere queue behind it) and gate_a, then waits on gate_b —
//      shadows not yet taken;
//   5. a probe sees gate_a taken by B: no original can change any more. A
//      sentinel row through the binlog; every shadow applies it; appliers pause;
//   6. S drops gate_b and unlocks: B takes gate_b and the shadows and renames
//      everything at once. If S dies before, gate_b still exists and the RENAME
//      fails as a whole: nothing moves;
//   With several databases, 4–6 run database by database in that order: S
//   drops one database's gate_b (under LOCK TABLES a dropped table loses its
//   lock at once), B takes that database's shadows and goes on to the next
//   database's originals and gate; only after the last gate_b does S unlock.
//   7. release the hold.
// An attempt that fails after the RENAME may have run reads what happened
// from the schema, and reads it again until it can: nothing is assumed.
// An attempt that cannot finish in its budget is abandoned cleanly (B's RENAME
// killed, hold released, appliers resumed) and reported as kAborted so the
// caller retries with backoff. One hold at a time: attempts and instant
// changes are serialized. Blocking; run it on a thread of its own.
#pragma once

#include <chrono>
#include <functional>
#include <initializer_list>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "binlog/binlog_stream.h"
#include "common/fault_points.h"
#include "common/log.h"
#include "deploy/deploy.h"
#include "deploy/hold_watchdog.h"
#include "deploy/seal_blockers.h"
#include "migration/engine.h"
#include "migration/sql_conn.h"

namespace sealgate::deploy {

// The proxy's write hold, as the seal sees it. Holds are counted: statements
// are held while at least one Begin() has no End() yet.
class WriteHold {
 public:
  virtual ~WriteHold() = default;
  // New statements of sessions at a statement boundary wait in the proxy;
  // sessions inside a transaction or holding session locks go on.
  virtual void Begin() = 0;
  // True once every proxy thread holds (statements arriving from now on wait).
  virtual bool WaitApplied(std::chrono::milliseconds timeout) = 0;
  virtual void End() = 0;
};

struct SealOptions {
  // The hard ceiling of one hold: past it the attempt is abandoned (RENAME
  // killed, clients released) and tried again later.
  std::chrono::milliseconds max_hold{500};
  // Shadows must apply a sentinel this fast before an attempt holds anyone.
  std::chrono::milliseconds apply_timeout{5000};
  // A connection that has blocked the seal for this many seconds (without a
  // pause) is killed (KILL CONNECTION); 0 = never, wait for it.
  int kill_blockers_after = 0;
  // The seal's server connections fail a call that gets no answer this long.
  std::chrono::seconds io_timeout{10};
  std::string own_user;                 // sealgate's account (its appliers' shadow locks are not blockers)
  SessionDirectory* sessions = nullptr;  // names what blockers last ran (not owned; may be null)
  FaultPoints* faults = nullptr;         // test-only failure injection (not owned; may be null)
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
  // The RENAME landed; runs before the hold is released (the foreign keys
  // around the swapped tables are put back). Whatever it cannot do is done
  // again after the attempt: the swap has happened.
  std::function<void()> after_rename;
  // Whether an item's shadow keeps its own AUTO_INCREMENT counter (its ALTER
  // set one: AUTO_INCREMENT = n) rather than being raised to the table's
  // before the hold. Unset: every shadow is raised.
  std::function<bool(const DeployItem&)> keeps_counter;
};

struct SealResult {
  std::chrono::milliseconds hold{0};  // statements were held this long
  // Where the hold went (ms): "begin=0 lock=5 catchup=30 followers=20 rename=40 keys=0"
  // (followers: starting the replication the other way, SealHooks::before_rename;
  // keys: putting foreign keys back, SealHooks::after_rename).
  std::string phases;
};

// Whether a deploy's RENAME happened, as the schema shows it.
enum class SealOutcome : uint8_t { kNotRenamed, kRenamed, kUnknown };

class SealCoordinator {
 public:
  SealCoordinator(migration::Engine* engine, binlog::ServerEndpoint admin, WriteHold* hold, SealOptions options,
                  Logger* logger)
      : engine_(engine),
        admin_(std::move(admin)),
        hold_(hold),
        options_(options),
        logger_(logger),
        blockers_(options.sessions, logger) {}

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

  // One attempt. OK: sealed. Otherwise:
  //   kUnavailable: not staged yet, or a connection failed before the RENAME
  //     was issued — nothing renamed, not an attempt;
  //   kResourceExhausted: blocked (the message names who); nobody was held;
  //   kAborted: abandoned (budget, a lost connection): nothing renamed, retry;
  //   anything else: the deploy cannot be sealed as it is (a RENAME target exists).
  StatusOr<SealResult> Attempt(const std::vector<DeployItem>& items, const SealHooks& hooks = {});
  // Whether the items' RENAME happened, read from the schema (on a new
  // connection, or through `conn`): the RENAME is atomic, so one item tells.
  SealOutcome Outcome(const std::vector<DeployItem>& items);
  static SealOutcome ReadOutcome(migration::SqlConn& conn, const std::vector<DeployItem>& items);
  // Every current blocker of these items' RENAME (for reports).
  StatusOr<std::vector<Blocker>> FindBlockers(const std::vector<DeployItem>& items);

  // A change the server makes itself (an ALTER that must finish within the
  // budget) under the same hold, budget and blocker rules as a seal, never at
  // the same time as one. kResourceExhausted: blocked (nothing done);
  // kAborted: abandoned within the budget (nothing done); other errors: the
  // server's (errno and SQLSTATE in the out-parameters).
  struct InstantChange {
    std::vector<sql::TableName> tables;  // whose metadata locks it needs (the table, its foreign-key relations)
    std::vector<std::string> setup;      // session statements run first, before the hold
    std::string sql;                     // run under the hold
  };
  Status RunInstant(const InstantChange& change, unsigned* server_errno, std::string* server_sqlstate);

 private:
  Status CheckReady(const std::vector<DeployItem>& items);
  BlockerQuery QueryFor(const std::vector<DeployItem>& items, const std::vector<uint64_t>& own) const;
  // kResourceExhausted naming the blockers, or OK; kills a long blocker per kill_blockers_after.
  Status CheckBlockers(migration::SqlConn& probe, const BlockerQuery& query);
  StatusOr<SealResult> AttemptLocked(const std::vector<DeployItem>& items, const SealHooks& hooks);
  // Every ALTER's shadow applies a new sentinel within `timeout`; with
  // `paused`, each is then paused and its id appended there.
  Status CatchUp(const std::vector<DeployItem>& items, std::chrono::milliseconds timeout,
                 std::vector<uint64_t>* paused);
  void ResumeAppliers(const std::vector<uint64_t>& paused);
  StatusOr<migration::SqlConn> Connect();
  // Opens each connection (all or an error).
  Status ConnectAll(std::initializer_list<migration::SqlConn*> conns);

  migration::Engine* engine_;
  binlog::ServerEndpoint admin_;
  WriteHold* hold_;
  SealOptions options_;
  Logger* logger_;
  std::mutex attempt_mu_;  // one hold at a time (gate names are fixed)
  BlockerFinder blockers_;                    // GUARDED_BY(attempt_mu_)
  // connection id -> since when it has blocked seals, without a pause; GUARDED_BY(attempt_mu_)
  std::map<uint64_t, std::chrono::steady_clock::time_point> blocker_since_;
};

}  // namespace sealgate::deploy
