// DirectAlter: plain ALTERs (outside a deploy block) that the server carries
// out itself, under the seal's hold, budget and blocker rules
// (SealCoordinator::RunInstant), instead of a shadow copy:
//   - metadata-only changes (ALGORITHM=INSTANT);
//   - foreign keys added or dropped, and nothing else in the statement: the
//     rows are checked for orphans first (refused with the first orphan named,
//     nothing changed), the key goes in without a copy (foreign_key_checks=0,
//     ALGORITHM=INSTANT; NOCOPY on a small table whose key needs a new
//     index), and the rows are checked again after it (a row written in
//     between, before the key could refuse it, takes the key out again);
//   - any ALTER of a small table (at most `small_table_rows` rows) that a
//     table copy cannot stage: one with foreign keys in or out, or an ALTER
//     that adds one. The server rebuilds it within the hold and checks what it
//     always checks (orphans included); SHOW CREATE TABLE ends exactly as if
//     the statement had been sent to the server.
// Everything else is left to a staged migration (kStage). Blocking.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "binlog/binlog_stream.h"
#include "common/fault_points.h"
#include "common/log.h"
#include "common/status.h"
#include "deploy/seal.h"
#include "migration/session_settings.h"
#include "migration/sql_conn.h"
#include "sql/alter.h"

namespace sealgate::deploy {

class DirectAlter {
 public:
  struct Options {
    binlog::ServerEndpoint admin;
    SealCoordinator* seal = nullptr;  // not owned
    uint64_t small_table_rows = 1000;
    Logger* logger = nullptr;         // not owned
    FaultPoints* faults = nullptr;    // test-only: "direct.foreign_key_checked" (not owned; may be null)
  };
  enum class Verdict {
    kDone,     // the server made the change
    kStage,    // not for the server: stage a copy (which refuses what it cannot take)
    kRefused,  // `error` is the client's answer; nothing was changed
  };
  struct Result {
    Verdict verdict = Verdict::kStage;
    Status error;
  };
  // Names the deploy that holds a table, if one does: such tables (and tables
  // related to them by foreign keys) are left to staging, which reports it.
  using OwnerOf = std::function<std::optional<std::string>(const sql::TableName&)>;

  explicit DirectAlter(Options options) : options_(std::move(options)) {}

  // `alter` with its table resolved to `table`; the statement runs with the
  // client's `settings` (sql_mode, ...) when given, and a client with
  // foreign_key_checks=0 adds foreign keys without the orphan check.
  Result Run(const sql::AlterTable& alter, const sql::TableName& table, const OwnerOf& owner_of,
             const std::optional<migration::SessionSettings>& settings = std::nullopt);

  // The first row of `child` whose `columns` (none NULL) match no row of
  // `parent`'s `parent_columns`, described for a person; nullopt if none.
  static StatusOr<std::optional<std::string>> FindOrphan(migration::SqlConn& conn, const sql::TableName& child,
                                                         const std::vector<std::string>& columns,
                                                         const sql::TableName& parent,
                                                         const std::vector<std::string>& parent_columns);

 private:
  Result ForeignKeysOnly(migration::SqlConn& conn, const sql::AlterTable& alter, const sql::TableName& table,
                         const std::vector<sql::TableName>& related, const std::vector<std::string>& client_setup,
                         bool check_rows);
  // RunInstant, looked at again for up to 10 s while blocked.
  Status Held(const SealCoordinator::InstantChange& change, unsigned* server_errno, std::string* server_sqlstate);
  StatusOr<bool> Small(migration::SqlConn& conn, const sql::TableName& table);
  void Log(const std::string& message);

  Options options_;
};

}  // namespace sealgate::deploy
