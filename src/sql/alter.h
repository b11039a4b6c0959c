// ALTER analysis: reads an `ALTER TABLE t ...` statement into its
// specifications, refuses the ones a shadow-table migration cannot stage, and
// renders the ALTER again against the shadow table.
//
// Analysis is lexical (see lexer.h for the quoting rules). It identifies what
// each specification does and keeps the user's text of it; it does not check
// types or that columns exist: building the shadow does, on the server.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "sql/statement.h"

namespace sealgate::sql {

enum class AlterSpecKind : uint8_t {
  kAddColumn,          // ADD [COLUMN] [IF NOT EXISTS] c def [FIRST|AFTER x] (one spec per column of ADD (a .., b ..))
  kDropColumn,         // DROP [COLUMN] [IF EXISTS] c
  kRenameColumn,       // RENAME COLUMN a TO b
  kChangeColumn,       // CHANGE [COLUMN] [IF EXISTS] a b def [FIRST|AFTER x]
  kModifyColumn,       // MODIFY [COLUMN] [IF EXISTS] c def [FIRST|AFTER x]
  kAlterColumn,        // ALTER [COLUMN] c SET DEFAULT .. | DROP DEFAULT | SET [IN]VISIBLE
  kAddIndex,           // ADD PRIMARY KEY / UNIQUE / INDEX / KEY / FULLTEXT / SPATIAL
  kDropPrimaryKey,     // DROP PRIMARY KEY
  kDropIndex,          // DROP {INDEX|KEY} [IF EXISTS] i
  kRenameIndex,        // RENAME {INDEX|KEY} a TO b
  kAlterIndex,         // ALTER INDEX i [IN]VISIBLE | [NOT] IGNORED
  kAddCheck,           // ADD [CONSTRAINT [c]] CHECK (...)
  kAddForeignKey,      // ADD [CONSTRAINT [c]] FOREIGN KEY [IF NOT EXISTS] [i] (cols) REFERENCES t (cols) [ON ...]
  kDropConstraint,     // DROP CHECK c | DROP CONSTRAINT c | DROP FOREIGN KEY fk
  kTableOption,        // ENGINE=, [DEFAULT] CHARSET=, COLLATE=, COMMENT=, AUTO_INCREMENT=, ROW_FORMAT=, ...
  kConvertCharset,     // CONVERT TO CHARACTER SET x [COLLATE y]
  kForce,              // FORCE
  kPartitioning,       // PARTITION BY ..., REMOVE PARTITIONING, ADD/REORGANIZE/COALESCE PARTITION
  kOther,              // ORDER BY, ENABLE/DISABLE KEYS, WITH[OUT] VALIDATION, anything else
};

const char* AlterSpecKindName(AlterSpecKind kind);

enum class IndexType : uint8_t { kNone, kPrimary, kUnique, kIndex, kFulltext, kSpatial };

struct AlterSpec {
  AlterSpecKind kind = AlterSpecKind::kOther;
  // The spec as the user wrote it (comments between its tokens become one space).
  std::string text;

  // Columns. `column` is the column acted on (for CHANGE/RENAME COLUMN the old
  // name), `new_column` the new name; `definition` the type and attributes
  // (ADD/CHANGE/MODIFY) without FIRST/AFTER. Names unquoted, as written.
  std::string column;
  std::string new_column;
  std::string definition;
  bool first = false;               // FIRST
  std::optional<std::string> after; // AFTER x
  bool if_exists = false, if_not_exists = false;

  // Keys: ADD ... index_type, index_name (may be empty), index_columns (the
  // column names of the key part list, prefix lengths and ASC/DESC dropped;
  // an empty string for an expression part). DROP/RENAME/ALTER INDEX: index_name (and
  // new_index_name). DROP CONSTRAINT: index_name is the constraint's name.
  IndexType index_type = IndexType::kNone;
  std::string index_name;
  std::string new_index_name;
  std::vector<std::string> index_columns;

  // Foreign keys. ADD FOREIGN KEY: index_name is the constraint's name (may
  // be empty), index_columns the referencing columns, ref_table and
  // ref_columns what they reference. `foreign_key` is set on every spec that
  // adds or drops one (ADD FOREIGN KEY, a column with REFERENCES, DROP FOREIGN KEY).
  bool foreign_key = false;
  TableName ref_table;
  std::vector<std::string> ref_columns;

  // Table options: lower-cased name with single spaces ("engine",
  // "default charset", "auto_increment", ...) and the value unquoted.
  std::string option_name;
  std::string option_value;
};

struct AlterTable {
  TableName table;
  std::vector<AlterSpec> specs;  // ALGORITHM= and LOCK= removed
  bool online = false;           // ALTER ONLINE TABLE
  bool ignore = false;           // ALTER IGNORE TABLE
  std::optional<std::string> algorithm;  // the removed ALGORITHM= value, upper-cased
  std::optional<std::string> lock;       // the removed LOCK= value, upper-cased
};

// Reads a complete `ALTER [ONLINE] [IGNORE] TABLE [IF EXISTS] t [WAIT n|NOWAIT] spec, ...`
// statement. Refusals carry a number from sql/errors.h, a SQLSTATE and a
// message saying what to do instead.
StatusOr<AlterTable> AnalyzeAlter(std::string_view sql);

// `ALTER TABLE <target> spec, spec ...` with the user's text of each spec
// (IGNORE, ONLINE, ALGORITHM= and LOCK= left out). With no specs left
// (e.g. only ALGORITHM=COPY) the result is a valid no-op ALTER.
std::string RenderAlter(const AlterTable& alter, const TableName& target);

// For each column of the table after the ALTER (`new_columns`, as the server
// reports them for the shadow), the column of the original it is filled from,
// or nullopt if the ALTER added it. Renames (RENAME COLUMN, CHANGE) and drops
// are honoured; all specs refer to the original's names, as in MySQL, so
// `RENAME COLUMN a TO b, RENAME COLUMN b TO a` swaps. Names compare
// case-insensitively.
std::vector<std::optional<std::string>> ProjectColumns(const AlterTable& alter,
                                                       const std::vector<std::string>& old_columns,
                                                       const std::vector<std::string>& new_columns);

}  // namespace sealgate::sql
