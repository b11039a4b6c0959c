// Foreign keys across a swap.
//
// A shadow is created without foreign keys: its copy and binlog catch-up lag
// the table, and a key on it would refuse or cascade on its own. The keys of
// a staged table — its own, and those of its children that reference it —
// are recorded at staging (DeployItem::foreign_keys). Right after the RENAME,
// still under the hold, and again at every start until it is done,
// RestoreForeignKeys makes the schema what it was around the table:
//   1. the table now kept (the swapped-out one) loses its own keys: it is a
//      passive copy fed by a follower, which must never be refused or
//      cascaded into;
//   2. the table now live gets the recorded keys back, under their own names;
//   3. each child's key, which the RENAME carried along to the kept table, is
//      pointed at the live one again, keeping its name (through a temporary
//      name, so that the child is never without it).
// Every step is metadata only (foreign_key_checks=0, ALGORITHM=INSTANT) and
// idempotent: it reads what the schema has now and does what is missing.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "migration/sql_conn.h"
#include "sql/statement.h"

namespace sealgate::deploy {

struct ForeignKey {
  std::string name;
  sql::TableName child;  // the table the key belongs to
  std::vector<std::string> columns;
  sql::TableName parent;
  std::vector<std::string> parent_columns;
  std::string on_delete = "RESTRICT", on_update = "RESTRICT";  // as information_schema names them

  // CONSTRAINT `name` FOREIGN KEY (...) REFERENCES `db`.`parent` (...) [ON ...],
  // with `parent` replaced by `parent_name` if given. RESTRICT, the default,
  // is left out, as SHOW CREATE TABLE leaves it out.
  std::string Clause(const std::string& parent_name = "") const;
  // Whether the key changes its child's rows itself (CASCADE, SET NULL, SET
  // DEFAULT): such changes are not in the binlog.
  bool Cascades() const;
};

// The keys of `table` and the keys that reference it (a self-reference once).
StatusOr<std::vector<ForeignKey>> ReadForeignKeys(migration::SqlConn& conn, const sql::TableName& table);

// One line per key, every field escaped; Parse reads it back.
std::string SerializeForeignKeys(const std::vector<ForeignKey>& keys);
std::vector<ForeignKey> ParseForeignKeys(const std::string& text);

// The tables other than `table` that `keys` tie it to (children, parents).
std::vector<sql::TableName> RelatedTables(const sql::TableName& table, const std::vector<ForeignKey>& keys);

// After a swap of `table` (live under its name, the swapped-out one now
// `kept`, both in table.schema): steps 1–3 above, as far as still needed.
Status RestoreForeignKeys(migration::SqlConn& conn, const sql::TableName& table, const std::string& kept,
                          const std::vector<ForeignKey>& keys);

}  // namespace sealgate::deploy
