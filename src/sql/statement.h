// Statement recognition: what kind of statement a COM_QUERY text is, and the
// arguments the proxy needs (table names, deploy names, variables, ...).
//
// Recognition is lexical and best-effort by design: it never rejects SQL the
// server would accept, never crashes on any bytes, and anything it does not
// recognise is kOther (the server is the judge of syntax). Keywords are
// case-insensitive; whitespace, `-- `, `#` and `/* */` comments may appear
// anywhere; MySQL `/*!NNNNN ... */` and MariaDB `/*M!NNNNNN ... */` executable
// comments count as code (whatever the version number says). Backtick
// identifiers (doubled backtick escapes) are identifiers; '...' and "..." are
// always strings (ANSI_QUOTES is not supported), with backslash escapes and
// doubled quotes (NO_BACKSLASH_ESCAPES is not supported).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sealgate::sql {

// The comment /*sealgate:passthrough*/ on a statement sends it to the server as
// written, whatever sealgate would otherwise do with it (spaces and case inside
// the comment do not matter). The mariadb CLI strips comments unless run with
// --comments (-c).
inline constexpr std::string_view kPassthroughHintWord = "sealgate:passthrough";

enum class StatementKind : uint8_t {
  kEmpty,  // only whitespace, comments and ';'
  kOther,  // anything not listed below: pass through

  // DEPLOY control (DESIGN.md §2), answered by the proxy itself.
  kBeginDeploy,        // BEGIN DEPLOY ['name']
  kCommitDeploy,       // COMMIT DEPLOY ['name'] [AT 'timestamp']
  kRollbackDeploy,     // ROLLBACK DEPLOY ['name']
  kEndDeploy,          // END DEPLOY
  kRevertDeploy,       // REVERT DEPLOY 'name'
  kFinalizeDeploy,     // FINALIZE DEPLOY 'name'
  kShowDeploys,        // SHOW DEPLOYS
  kShowDeployStatus,   // SHOW DEPLOY STATUS ['name']
  kAlterDeploy,        // ALTER DEPLOY 'name' THROTTLE [RATIO r] | UNTHROTTLE | PAUSE | RESUME
  kShowDeployCheck,    // SHOW DEPLOY CHECK: the metadata compared with the schema

  // Schema statements.
  kAlterTable,         // ALTER [ONLINE|OFFLINE] [IGNORE] TABLE [IF EXISTS] t ...
  kCreateTable,        // CREATE [OR REPLACE] [TEMPORARY] TABLE [IF NOT EXISTS] t (...|LIKE u|AS SELECT)
  kDropTable,          // DROP [TEMPORARY] TABLE[S] [IF EXISTS] a, b ...
  kRenameTable,        // RENAME TABLE[S] a TO b, c TO d
  kCreateIndex,        // CREATE [OR REPLACE] [UNIQUE|FULLTEXT|SPATIAL] INDEX i ON t
  kDropIndex,          // DROP INDEX i ON t
  kTruncateTable,      // TRUNCATE [TABLE] t

  // Forms that can carry DDL or bypass row events.
  kPrepare,            // PREPARE s FROM 'text' | @var
  kExecuteImmediate,   // EXECUTE IMMEDIATE 'text' | @var | expression
  kExecute,            // EXECUTE s [USING ...]
  kDeallocatePrepare,  // {DEALLOCATE | DROP} PREPARE s
  kSetSessionVariable, // SET ... with system variables (any scope: see `assignments`),
                       // SET NAMES/CHARACTER SET/TRANSACTION, MariaDB SET STATEMENT ... FOR

  // Session state the seal needs.
  kLockTables,         // LOCK TABLE[S] t READ, u WRITE ...
  kUnlockTables,       // UNLOCK TABLE[S]
  kFlushTablesWithReadLock,  // FLUSH TABLES [t, ...] WITH READ LOCK | FOR EXPORT (held until UNLOCK TABLES)
  kBeginTransaction,   // BEGIN [WORK], START TRANSACTION [...]
  kCommit,             // COMMIT [WORK] [AND [NO] CHAIN] [[NO] RELEASE]
  kRollback,           // ROLLBACK [WORK] [AND [NO] CHAIN] [[NO] RELEASE]
  kSavepoint,          // SAVEPOINT s, RELEASE SAVEPOINT s, ROLLBACK [WORK] TO [SAVEPOINT] s
  kXa,                 // XA START|BEGIN|END|PREPARE|COMMIT|ROLLBACK|RECOVER ...
  kHandler,            // HANDLER t OPEN|READ|CLOSE ...
  kUse,                // USE db
  kGetLock,            // any other statement calling GET_LOCK(...) (see also Statement::calls_get_lock)
  kReleaseLock,        // any other statement calling RELEASE_LOCK / RELEASE_ALL_LOCKS
};

const char* StatementKindName(StatementKind kind);

// A table reference as written, with quotes removed; schema empty if unqualified.
struct TableName {
  std::string schema;
  std::string name;
  friend bool operator==(const TableName&, const TableName&) = default;
};

enum class VariableScope : uint8_t { kSession, kGlobal, kPersist, kPersistOnly };

// One system-variable assignment of a SET statement (user @variables are not listed).
struct VariableAssignment {
  std::string name;  // lower-cased, without @@ / scope prefix: "sql_log_bin"
  VariableScope scope = VariableScope::kSession;
};

enum class AlterDeployAction : uint8_t { kNone, kThrottle, kUnthrottle, kPause, kResume };
enum class XaAction : uint8_t { kNone, kStart, kEnd, kPrepare, kCommit, kRollback, kRecover };
enum class HandlerAction : uint8_t { kNone, kOpen, kRead, kClose };

struct Statement {
  StatementKind kind = StatementKind::kEmpty;

  // Schema statements, LOCK TABLES, FLUSH TABLES, HANDLER, TRUNCATE: the tables named,
  // in order. RENAME TABLE: pairs, i.e. {from1, to1, from2, to2, ...}.
  // CREATE/DROP INDEX: the table the index is on.
  std::vector<TableName> tables;
  std::optional<TableName> like_table;  // CREATE TABLE t LIKE u / (LIKE u)
  bool create_select = false;           // CREATE TABLE ... [AS] SELECT
  bool if_exists = false, if_not_exists = false, temporary = false, or_replace = false;
  std::string index_name;               // CREATE/DROP INDEX
  // ALTER TABLE t DISABLE KEYS / ENABLE KEYS and nothing else (mariadb-dump
  // writes them around its INSERTs): no schema change.
  bool toggles_keys_only = false;
  // The statement carries the comment /*sealgate:passthrough*/ (anywhere
  // outside strings): the user asks for it to go to the server as written.
  bool passthrough_hint = false;

  // DEPLOY statements. The name may be written 'name', "name", `name` or name.
  std::optional<std::string> deploy_name;
  std::optional<std::string> commit_at;        // COMMIT DEPLOY ... AT 'timestamp'
  AlterDeployAction deploy_action = AlterDeployAction::kNone;
  std::optional<double> throttle_ratio;        // ALTER DEPLOY 'n' THROTTLE RATIO r
  // Non-empty when the text is recognisably a DEPLOY statement but malformed
  // (missing name, trailing junk): the proxy answers with a syntax error.
  std::string syntax_error;

  // PREPARE / EXECUTE IMMEDIATE / SET STATEMENT ... FOR: the statement text carried,
  // with quotes and escapes removed. Empty when it comes from a variable or expression.
  std::string inner_sql;
  std::string inner_sql_variable;  // PREPARE s FROM @v / EXECUTE IMMEDIATE @v: "v"
  bool inner_sql_is_expression = false;  // EXECUTE IMMEDIATE CONCAT(...): unknowable here
  std::string prepared_name;       // PREPARE s / EXECUTE s / DEALLOCATE PREPARE s

  // SET: system variables assigned, in order. `variables` repeats their names.
  std::vector<VariableAssignment> assignments;
  std::vector<std::string> variables;
  bool global = false;  // some assignment has GLOBAL / PERSIST / PERSIST_ONLY scope

  // Transactions.
  bool read_only = false;  // START TRANSACTION READ ONLY
  bool chain = false;      // COMMIT/ROLLBACK AND CHAIN
  bool release = false;    // COMMIT/ROLLBACK RELEASE

  XaAction xa_action = XaAction::kNone;
  HandlerAction handler_action = HandlerAction::kNone;
  std::string database;  // USE db

  // Named user locks, for statements of any kind (SET @l = GET_LOCK(...) too).
  // Best-effort: a call written as NAME( outside strings and comments.
  bool calls_get_lock = false;
  bool calls_release_lock = false;  // RELEASE_LOCK or RELEASE_ALL_LOCKS
};

// Classifies one statement. A trailing ';' is ignored; text after the first
// top-level ';' is ignored (split multi-statement text with SplitStatements).
Statement Classify(std::string_view sql);

// Splits multi-statement text at ';' outside strings, quoted identifiers and
// comments (and outside BEGIN ... END bodies of CREATE PROCEDURE/FUNCTION/
// TRIGGER/EVENT and BEGIN NOT ATOMIC). Each piece excludes its ';'; pieces are
// views into `sql`. Pieces that hold only whitespace/comments are dropped, so
// "SELECT 1;" yields one statement and ";;" none.
std::vector<std::string_view> SplitStatements(std::string_view sql);

}  // namespace sealgate::sql
