// Foreign keys across a swap.
//
// A shadow is staged without foreign keys: its copy and binlog catch-up lag
// the table, and a key on it would refuse or cascade on its own (sealgate's
// writers run with foreign_key_checks=0 for the same reason; a cascading
// key's actions are repeated by the applier, migration::Cascade). The keys of
// a staged table — its own, and its children's that reference it — are
// recorded at staging (DeployItem::foreign_keys) and moved in three steps:
//   AddSwapKeys, under the hold, while the RENAME holds the originals and the
//     shadows have caught up (so both sides hold the same rows): each shadow
//     gets the table's own keys under temporary names (a parent or the table
//     itself that is swapped too is referenced by its shadow's name, which
//     the RENAME carries over), and each child gets a second key, under a
//     temporary name, to the shadow. From here on the keys are in force on
//     both sides;
//   SettleKeys, right after the RENAME, still under the hold (and at every
//     start until done): the kept table loses its keys; the live table's
//     temporary keys take their own names; each child keeps only its key to
//     the live table, under its own name. One ALTER per table, each
//     metadata only (foreign_key_checks=0, ALGORITHM=INSTANT);
//   ClearSwapKeys, when the RENAME did not happen: the temporary keys go.
// Every step reads what the schema has now and does only what is missing.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "deploy/deploy.h"
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

// The temporary name of a key while it moves (at most 64 characters).
std::string SwapKeyName(const std::string& name);

// The three steps above, for the ALTER items of `items` (in `schema` only,
// for AddSwapKeys). `items` are the ones the RENAME swaps: for a revert,
// InverseItems.
Status AddSwapKeys(migration::SqlConn& conn, const std::vector<DeployItem>& items, const std::string& schema);
Status SettleKeys(migration::SqlConn& conn, const std::vector<DeployItem>& items);
Status ClearSwapKeys(migration::SqlConn& conn, const std::vector<DeployItem>& items);

}  // namespace sealgate::deploy
