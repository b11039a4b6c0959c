// Inspector: the read-only checks run before anything is created for a
// migration (DESIGN.md §3.1). Every refusal is a Status carrying a number
// from sql/errors.h (7740-7749), a SQLSTATE and a message that says what to do.
//
// Privileges: the caller's right to ALTER the table is decided through a
// PrivilegeCheck, which the proxy implements on the client's own connection;
// GrantTablePrivilegeCheck reads the mysql.* grant tables with the admin
// connection instead (global, database and table grants; roles and proxy
// users are not followed).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "migration/sql_conn.h"
#include "migration/table_schema.h"
#include "sql/alter.h"

namespace sealgate::migration {

class PrivilegeCheck {
 public:
  virtual ~PrivilegeCheck() = default;
  // OK if the caller may ALTER `table`; a refusal Status otherwise.
  virtual Status CheckAlter(const sql::TableName& table) = 0;
};

// ALTER privilege of user@host from mysql.user / mysql.db / mysql.tables_priv,
// its own or a role's granted to it (directly or through other roles: a
// grantee may SET ROLE at any time). Roles are followed on MariaDB
// (mysql.roles_mapping); elsewhere only the account's own grants count.
// The account: `account_host` when given — the Host of the session's
// CURRENT_USER(), the one account the server authenticated it as — else
// every account of `user` whose Host pattern matches `host` (any of them
// granting is enough, so a user with two accounts may be judged by the
// wider one; the proxy passes the exact account).
// `admin` is borrowed and used only during CheckAlter (same thread).
class GrantTablePrivilegeCheck : public PrivilegeCheck {
 public:
  GrantTablePrivilegeCheck(SqlConn* admin, std::string user, std::string host,
                           std::optional<std::string> account_host = std::nullopt)
      : admin_(admin), user_(std::move(user)), host_(std::move(host)), account_host_(std::move(account_host)) {}
  Status CheckAlter(const sql::TableName& table) override;
  // `privilege` as the grant tables name it: "Create", "Drop", "Alter".
  // PermissionDenied with the server's own error (1142) when missing.
  Status Check(const sql::TableName& table, const std::string& privilege);

 private:
  SqlConn* admin_;
  std::string user_;
  std::string host_;
  std::optional<std::string> account_host_;
};

struct InspectOptions {
  // Free bytes where the shadow will be written; nullopt = not checked
  // (the server does not report its disk space over SQL).
  std::optional<uint64_t> available_bytes;
  // Binlogs must be kept at least this long (0 = no requirement).
  std::chrono::seconds min_binlog_retention{std::chrono::hours(24)};
  // The caller moves the table's triggers to the shadow at the swap (the
  // deploy does: deploy/trigger_swap.h); otherwise a table with triggers is
  // refused (7745).
  bool triggers_moved = false;
};

struct InspectReport {
  TableSchema schema;
  TableSchema::Key key;            // the first of `keys`
  // Unique keys the copy could walk (columns walkable and kept by the ALTER),
  // those whose index the ALTER keeps first; the shadow's keys decide which.
  std::vector<TableSchema::Key> keys;
  uint64_t estimated_rows = 0;
  uint64_t estimated_bytes = 0;    // data + indexes of the original: the shadow's size estimate
  uint64_t binlog_retention_seconds = 0;  // 0 = binlogs never expire
};

// Runs every check against the server through `admin` (read-only).
// `privileges` may be null (no privilege check: the caller has done it).
StatusOr<InspectReport> Inspect(SqlConn& admin, const sql::AlterTable& alter, const InspectOptions& options,
                                PrivilegeCheck* privileges);

// Key column types the copy can walk: their literals (table_schema.cc)
// reproduce the stored value exactly and compare as the index sorts (an ENUM
// by member number, the index's order). Not so SET (a literal compares as
// text), FLOAT/DOUBLE (the text of a value is not the value), BIT (a hex literal
// compares as a string), TEXT/BLOB (a UNIQUE over them is a hash, not an
// order) or UUID/INET6 (their text is not a literal the copy writes).
bool KeyColumnWalkable(const ColumnMeta& c);

// Refusal helper: a FailedPrecondition carrying `err` and SQLSTATE HY000.
Status Refusal(uint16_t err, std::string message);

}  // namespace sealgate::migration
