// BlockerFinder: who, right now, could make a seal's RENAME wait (DESIGN.md §4
// step 2) — found before any client is held, so that a seal that cannot go
// waits without holding anyone and says who it waits for.
//
// Only metadata locks on the deploy's tables and shadows can block the
// RENAME: an open transaction that read or wrote one of them, a running
// statement on one, LOCK TABLES or HANDLER on one — from any connection,
// through the proxy or not. Locks held for a moment are not counted (the
// RENAME waits for them within the hold, and a busy table always has some):
// only an explicit lock, a session idle in its transaction or in one
// statement for a second or more, or a transaction older than two seconds. A session idle in a transaction on other tables,
// a long statement elsewhere, an autocommit=0 pool or GET_LOCK cannot. On
// MariaDB the server's own view of who holds which metadata lock is the
// METADATA_LOCK_INFO plugin (shipped with the server, installed on first use
// when the account may); without it, each table is tried with a lock request
// that never waits, and the oldest transaction is named as the likely holder.
// A prepared XA transaction keeps InnoDB table locks without a metadata lock
// once its session is gone; it is found with a non-waiting InnoDB lock try.
//
// Not thread-safe: one finder per seal coordinator, used under its lock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/log.h"
#include "common/status.h"
#include "migration/sql_conn.h"
#include "sql/statement.h"

namespace sealgate::deploy {

// One thing the seal waits for.
struct Blocker {
  static constexpr uint64_t kUnknownConnection = ~uint64_t{0};
  uint64_t connection_id = 0;  // 0 for a prepared XA transaction (no connection)
  std::string account;         // user@host as the server lists it
  std::string table;           // schema.name it holds
  std::string lock;            // e.g. "MDL_SHARED_READ, transaction"
  int64_t seconds = -1;        // age of its transaction, else of its current command; -1 unknown
  std::string command;         // processlist COMMAND: Sleep, Query, ...
  std::string statement;       // what it runs now, or (a proxy session) what it last ran
  std::string xid;             // a prepared XA transaction's id
  // One line for SHOW DEPLOYS, /status and the log, with the KILL that would end it.
  std::string Describe() const;
};

// What the proxy knows about its own sessions (may be absent).
class SessionDirectory {
 public:
  virtual ~SessionDirectory() = default;
  // The last statement a proxy session sent, by its server connection id;
  // nullopt if that connection is not a proxy session's. Thread-safe.
  virtual std::optional<std::string> LastStatement(uint64_t connection_id) = 0;
};

struct BlockerQuery {
  std::vector<sql::TableName> tables;   // the deploy's live tables: every holder counts
  std::vector<sql::TableName> shadows;  // shadows and kept tables: sealgate's own account's holders (its appliers) do not
  std::string own_user;                 // sealgate's account
  std::vector<uint64_t> ignore;         // the seal's own connections
};

class BlockerFinder {
 public:
  BlockerFinder(SessionDirectory* sessions, Logger* logger) : sessions_(sessions), logger_(logger) {}

  // Every current blocker (empty: the RENAME would not wait for anyone).
  // Errors: the probe connection failed.
  StatusOr<std::vector<Blocker>> Find(migration::SqlConn& probe, const BlockerQuery& query);
  // How many other connections hold a metadata lock on query.tables right
  // now, whatever for (0 without the metadata_lock_info plugin: unknown).
  StatusOr<size_t> Holders(migration::SqlConn& probe, const BlockerQuery& query);

 private:
  bool LockInfoAvailable(migration::SqlConn& probe);
  StatusOr<std::vector<Blocker>> FromLockInfo(migration::SqlConn& probe, const BlockerQuery& query);
  StatusOr<std::vector<Blocker>> FromLockProbe(migration::SqlConn& probe, const BlockerQuery& query);
  StatusOr<std::vector<Blocker>> PreparedXa(migration::SqlConn& probe, const BlockerQuery& query);

  SessionDirectory* sessions_;
  Logger* logger_;
  enum class LockInfo : uint8_t { kUnknown, kAvailable, kMissing } lock_info_ = LockInfo::kUnknown;
};

}  // namespace sealgate::deploy
