// The deploy model: a named (or anonymous) set of staged schema changes that
// are sealed together in one atomic RENAME TABLE.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "sql/errors.h"
#include "sql/statement.h"

namespace sealgate::deploy {

enum class DeployState : uint8_t {
  kOpen,        // a session's block is open; statements are being staged
  kDetached,    // END DEPLOY (or its session went away): staging goes on, no session owns it
  kSealing,     // COMMIT DEPLOY in progress
  kSealed,      // every table cut over
  kRolledBack,  // cancelled: shadows dropped, originals untouched
  kFailed,      // a migration failed; ROLLBACK DEPLOY cleans up
  kReverting,   // REVERT DEPLOY in progress (swapping back, or forward again)
  kReverted,    // every table back to its old schema; the new ones kept current
  kFinalized,   // revert window over: the other side's tables dropped
};

const char* DeployStateName(DeployState state);
DeployState ParseDeployState(const std::string& name);
// Open, detached or sealing: the deploy is still being staged.
bool IsActive(DeployState state);
// Staging, or sealed/reverted inside the revert window: the deploy's tables
// are followed by its migrations and belong to it.
bool HoldsTables(DeployState state);

// A refusal of a deploy statement: FailedPrecondition carrying sealgate's
// error number (sql/errors.h) and SQLSTATE.
inline Status DeployError(uint16_t code, std::string message, const char* sqlstate = error::kSqlstateGeneral) {
  return Status::FailedPrecondition(std::move(message)).WithMysqlError(code, sqlstate);
}

enum class ItemKind : uint8_t { kAlter, kCreate, kDrop };
const char* ItemKindName(ItemKind kind);
ItemKind ParseItemKind(const std::string& name);

// One table of a deploy and what the seal's RENAME does with it:
//   kAlter:  table -> old_name, shadow -> table   (migration_id stages the shadow)
//   kCreate: shadow -> table                       (created under the shadow name)
//   kDrop:   table -> old_name                     (kept for revert)
// A revert swaps the other way (InverseItems). `migration_id` is always the
// migration that keeps the table coming in at the next swap current: the
// staging migration, after a seal the reverse follower, after a revert the
// forward follower.
struct DeployItem {
  ItemKind kind = ItemKind::kAlter;
  sql::TableName table;
  uint64_t migration_id = 0;
  // Started by a swap in progress; becomes migration_id once the swap lands,
  // is discarded if it does not (read back after a crash mid-swap).
  uint64_t follower_id = 0;
  std::string shadow;
  std::string old_name;
  std::string statement;  // as the client sent it
  // An ALTER's foreign keys, its own and its children's, as staging found
  // them (SerializeForeignKeys): put back after every swap.
  std::string foreign_keys;
  // An ALTER's table's triggers as staging found them (SerializeTriggers):
  // moved to the live table at every swap.
  std::string triggers;
};

// The items of the swap that undoes `items` (same order): an ALTER's table
// goes back to `shadow` and `old_name` comes back; a CREATE is parked under
// its shadow name; a DROP comes back.
std::vector<DeployItem> InverseItems(const std::vector<DeployItem>& items);

struct Deploy {
  std::string name;
  bool anonymous = false;
  DeployState state = DeployState::kOpen;
  std::vector<DeployItem> items;
  std::string created_at;
  std::string sealed_at;  // of the last swap (seal or revert): the revert window runs from here
  int seal_attempts = 0;
  int64_t hold_ms = -1;  // of the successful seal
  std::string last_error;
};

}  // namespace sealgate::deploy
