// Shadow table: name choice, creation (CREATE TABLE ... LIKE + the ALTER
// rendered against it) and the column projection original -> shadow.
#pragma once

#include <string>

#include "migration/inspector.h"
#include "migration/migration.h"
#include "migration/session_settings.h"

namespace sealgate::migration {

// `<prefix><table>_new`, or `<prefix><table>_new2`, ... if taken; long names
// are cut and given a hash so the result is at most 64 characters.
StatusOr<std::string> ChooseShadowName(SqlConn& admin, const sql::TableName& table, const std::string& prefix = "_");

// Creates the shadow and describes the migration; the ALTER runs with the
// client's `settings` when given. On any failure after the CREATE the shadow
// is dropped again; the server's refusal of the ALTER keeps its number and
// SQLSTATE.
StatusOr<MigrationSpec> BuildShadow(SqlConn& admin, const sql::AlterTable& alter, const InspectReport& report,
                                    const std::string& shadow,
                                    const std::optional<SessionSettings>& settings = std::nullopt);

// Describes an existing shadow (resume after restart): projection and key.
// The walking key is the first of `keys` whose columns all reach the shadow
// and whose rows a unique key of the shadow identifies (MigrationSpec's row
// key); refused (7743) naming what would serve when none is.
StatusOr<MigrationSpec> DescribeShadow(SqlConn& admin, const sql::AlterTable& alter, const TableSchema& original,
                                       const std::vector<TableSchema::Key>& keys, const std::string& shadow);
StatusOr<MigrationSpec> DescribeShadow(SqlConn& admin, const sql::AlterTable& alter, const TableSchema& original,
                                       const TableSchema::Key& key, const std::string& shadow);

// The migration that follows `spec` the other way once a seal has swapped
// its tables: `source` (which then has spec's target columns) is followed
// into `target_name` (which then has spec's original columns), through the
// inverse projection. Pure: no server access (the seal calls it while it
// holds the tables' metadata locks).
MigrationSpec InverseSpec(const MigrationSpec& spec, const sql::TableName& source, const std::string& target_name);

}  // namespace sealgate::migration
