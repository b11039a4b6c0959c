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

// A number of this range, not the server's.
inline constexpr bool IsSealgateError(uint16_t code) { return code >= 7700 && code <= 7799; }

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
// A foreign key that cannot be added this way: inside a deploy block (as a
// table copy), or outside one where its index would be built while clients
// wait and the server would choose the index's name. A plain ADD FOREIGN KEY
// is otherwise added without a copy.
inline constexpr uint16_t kAlterAddsForeignKey = 7722;
// ENGINE= something other than InnoDB (MyISAM, MEMORY, Aria, CSV, ARCHIVE, ...).
inline constexpr uint16_t kAlterNonTransactionalEngine = 7723;
// DISCARD/IMPORT [PARTITION ...] TABLESPACE.
inline constexpr uint16_t kAlterTablespace = 7724;

// --- 7740-7759: inspector refusals and staged-migration failures ------------
// Binary logging is off (log_bin=OFF): start the server with --log-bin.
inline constexpr uint16_t kInspectBinlogOff = 7740;
// binlog_format is not ROW: SET GLOBAL binlog_format=ROW (and reconnect writers).
inline constexpr uint16_t kInspectBinlogFormat = 7741;
// binlog_row_image is not FULL: SET GLOBAL binlog_row_image=FULL.
inline constexpr uint16_t kInspectBinlogRowImage = 7742;
// No PRIMARY KEY or NOT NULL UNIQUE key that the original and the altered table share.
inline constexpr uint16_t kInspectNoUniqueKey = 7743;
// The table's foreign keys cannot be kept by a table copy: the ALTER changes
// their columns or indexes, or a key cascades on the table itself or more
// than one level deep.
inline constexpr uint16_t kInspectForeignKey = 7744;
// The table has triggers.
inline constexpr uint16_t kInspectTrigger = 7745;
// Not enough free space for the shadow table (estimate given).
inline constexpr uint16_t kInspectFreeSpace = 7746;
// Binlog retention shorter than the staging the migration needs.
inline constexpr uint16_t kInspectBinlogRetention = 7747;
// The user may not ALTER the table.
inline constexpr uint16_t kInspectAlterPrivilege = 7748;
// The table does not exist, or is not an InnoDB base table.
inline constexpr uint16_t kInspectTable = 7749;
// The table is already being migrated (or a leftover shadow is in the way).
inline constexpr uint16_t kMigrationTableBusy = 7750;
// A row written while staging conflicts on a unique key of the altered table
// (key and values named). Rows already in the table that conflict fail the
// copy with the server's own 1062 (23000), as the ALTER run directly does.
inline constexpr uint16_t kMigrationDuplicateKey = 7751;
// The table changed outside row events (TRUNCATE, ALTER, DROP, partition
// operation, statement-based write): cancel and run the ALTER again.
inline constexpr uint16_t kMigrationTableChanged = 7752;
// The checksum of original and shadow differ (key range named).
inline constexpr uint16_t kMigrationChecksumMismatch = 7753;
// The shadow table could not be built from the ALTER (server error given).
inline constexpr uint16_t kMigrationShadowFailed = 7754;
// The shadows staged at once would exceed storage.max_shadow_bytes.
inline constexpr uint16_t kMigrationShadowLimit = 7755;

// --- 7760-7779: deploy control ------------------------------------------------
// BEGIN DEPLOY while this session already has a block open.
inline constexpr uint16_t kDeployBlockOpen = 7760;
// COMMIT/ROLLBACK/END DEPLOY without a name while no block is open here.
inline constexpr uint16_t kDeployNoBlock = 7761;
// BEGIN DEPLOY 'name' with a name some deploy already has.
inline constexpr uint16_t kDeployNameTaken = 7762;
// The table is already part of another active deploy.
inline constexpr uint16_t kDeployTableBusy = 7763;
// A statement other than ALTER/CREATE/DROP TABLE or SHOW DEPLOY... inside a block.
inline constexpr uint16_t kDeployStatementNotAllowed = 7764;
// No deploy has that name.
inline constexpr uint16_t kDeployNotFound = 7765;
// The deploy is not in a state that allows this (sealed, rolled back, busy, ...).
inline constexpr uint16_t kDeployWrongState = 7766;
// Plain ALTER TABLE outside a block while ddl.plain_alter = reject.
inline constexpr uint16_t kPlainAlterRejected = 7767;
// A form sealgate cannot stage (CREATE TABLE ... SELECT, TEMPORARY, REVERT before
// reverse replication exists, ...).
inline constexpr uint16_t kDeployUnsupported = 7768;
// Too many staged migrations at once (the configured limit).
inline constexpr uint16_t kDeployLimit = 7769;
// END DEPLOY on an anonymous block: only named deploys can be detached.
inline constexpr uint16_t kDeployNeedsName = 7770;
// This sealgate does not own the deploys of its metadata schema: another
// instance holds the deploy lease (named in the message), or this one lost it
// and stands by. Deploy statements work through the owner; a standby takes
// over by itself when the owner goes away.
inline constexpr uint16_t kDeployNotOwner = 7771;
// A statement through sealgate would change sealgate's own metadata schema
// (metadata_schema, default `_sealgate`): INSERT/UPDATE/DELETE/REPLACE,
// TRUNCATE, ALTER/CREATE/DROP/RENAME of something in it, or DROP DATABASE of
// it (SQLSTATE 42000). Reading it is allowed; SHOW DEPLOYS, SHOW DEPLOY STATUS
// and SHOW DEPLOY CHECK show the state.
inline constexpr uint16_t kMetadataSchemaWrite = 7772;

// --- 7780-7799: seal, revert and runtime failures (7780-7781: proxy/proxy_errors.h)
// The seal cannot be done as the deploy stands (a RENAME target exists, a
// migration failed, ...); the deploy stays staged. A migration that failed on
// the server's own error for its ALTER (1062 on rows that violate a new unique
// key) answers with that error instead.
inline constexpr uint16_t kSealFailed = 7782;
// A deploy cannot be reverted (or sealed again after a revert): a write since
// the seal does not fit the other schema, or its follower failed. Says why.
inline constexpr uint16_t kRevertImpossible = 7790;

}  // namespace sealgate::error
