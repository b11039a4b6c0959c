// Triggers across a swap.
//
// A shadow is staged without triggers: the copy's and the applier's writes
// must not fire them (the binlog already carries what the table's triggers
// did, as row events of their own tables). The triggers of a staged table are
// recorded at staging (DeployItem::triggers; a seal refuses if they changed
// since) and moved in three steps, as the foreign keys are (foreign_key_swap.h):
//   AddSwapTriggers, under the hold, while the RENAME holds the originals and
//     the shadows have caught up: each shadow gets the table's triggers under
//     temporary names (trigger names are unique per database), in their
//     order. From the RENAME on they fire for every write to the live table;
//   SettleTriggers, right after the RENAME, still under the hold (and at every
//     start until done): under LOCK TABLES of the live and the kept table —
//     nobody writes either meanwhile — the kept table loses the triggers, the
//     live table gets them under their own names, and the temporary ones go.
//     The follower that replicates into the kept table is paused until then
//     (its writes must not fire the kept table's triggers);
//   ClearSwapTriggers, when the RENAME did not happen: the temporary ones go.
// Every step reads what the schema has now and does only what is missing.
// Each trigger is created again as it was: its definer, sql_mode, character
// set and collation, timing, event, order and body.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "deploy/deploy.h"
#include "migration/sql_conn.h"

namespace sealgate::deploy {

struct Trigger {
  std::string name;
  std::string timing;  // BEFORE / AFTER
  std::string event;   // INSERT / UPDATE / DELETE
  std::string body;    // the statement, in the bytes of character_set_client
  std::string definer;  // user@host (or a role), as information_schema gives it
  std::string sql_mode, character_set_client, collation_connection;
};

// The triggers of `table`, in the order they fire (per timing and event).
StatusOr<std::vector<Trigger>> ReadTriggers(migration::SqlConn& conn, const sql::TableName& table);

// One line per trigger (bodies as hex); Parse reads it back.
std::string SerializeTriggers(const std::vector<Trigger>& triggers);
std::vector<Trigger> ParseTriggers(const std::string& text);

// The temporary name of a trigger while it moves (at most 64 characters).
std::string SwapTriggerName(const std::string& name);

// The three steps above, for the ALTER items of `items` (in `schema` only,
// for AddSwapTriggers). `items` are the ones the RENAME swaps: for a revert,
// InverseItems.
Status AddSwapTriggers(migration::SqlConn& conn, const std::vector<DeployItem>& items, const std::string& schema);
Status SettleTriggers(migration::SqlConn& conn, const std::vector<DeployItem>& items);
Status ClearSwapTriggers(migration::SqlConn& conn, const std::vector<DeployItem>& items);

// At staging: sealgate's account can create each of `triggers` again (its
// definer may be another account: that takes SET USER or SUPER), tried on
// the fresh `shadow` of `table` with a trigger created and dropped at once.
Status CheckTriggersCanMove(migration::SqlConn& conn, const sql::TableName& table, const std::string& shadow,
                            const std::vector<Trigger>& triggers);

// Refuses (kDeployUnsupported) when a table about to be swapped
// out has other triggers than those recorded: the swap would lose the change.
Status CheckTriggersUnchanged(migration::SqlConn& conn, const std::vector<DeployItem>& items);

}  // namespace sealgate::deploy
