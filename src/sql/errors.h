// sealgate's own MySQL error numbers, sent to clients in ERR packets
// (Status::WithMysqlError). They live in 7700-7799, a range no MySQL or
// MariaDB release uses for server errors. Numbers are stable: scripts match on
// them. Add new codes at the end of their block, never renumber.
//
//   7700-7719  statement syntax (DEPLOY statements, ALTER analysis)    src/sql
//   7720-7739  ALTERs that cannot be staged                           src/sql
//   7740-7759  inspector refusals (table, server settings, privileges) src/migration
//   7760-7779  deploy control (names, blocks, states)                  src/deploy
//   7780-7799  seal, revert and runtime failures                       src/deploy, proxy
#pragma once

#include <cstdint>

namespace sealgate::error {

// SQLSTATEs used with these numbers.
inline constexpr const char* kSqlstateSyntax = "42000";        // syntax error or access rule violation
inline constexpr const char* kSqlstateNotSupported = "0A000";  // feature not supported
inline constexpr const char* kSqlstateGeneral = "HY000";

// --- 7700-7719: statement syntax -------------------------------------------
// A DEPLOY statement is malformed (missing name, unknown action, trailing words).
inline constexpr uint16_t kDeploySyntax = 7700;
// The text given as an ALTER TABLE is not one sealgate can read (no table name,
// unbalanced parentheses, not an ALTER TABLE at all).
inline constexpr uint16_t kAlterSyntax = 7701;

// --- 7720-7739: ALTERs that cannot be staged --------------------------------
// RENAME [TO|AS] new_name: renaming the table is not a shadow-table change.
inline constexpr uint16_t kAlterRenamesTable = 7720;
// Partition operations that drop or move rows between tables (EXCHANGE, DROP,
// TRUNCATE, CONVERT PARTITION/TABLE) or act on partitions in place
// (ANALYZE/CHECK/OPTIMIZE/REBUILD/REPAIR PARTITION).
inline constexpr uint16_t kAlterPartitionOperation = 7721;
// ADD FOREIGN KEY, ADD CONSTRAINT ... FOREIGN KEY, or a column with REFERENCES.
inline constexpr uint16_t kAlterAddsForeignKey = 7722;
// ENGINE= something other than InnoDB (MyISAM, MEMORY, Aria, CSV, ARCHIVE, ...).
inline constexpr uint16_t kAlterNonTransactionalEngine = 7723;
// DISCARD/IMPORT [PARTITION ...] TABLESPACE.
inline constexpr uint16_t kAlterTablespace = 7724;

}  // namespace sealgate::error
