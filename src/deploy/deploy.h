// The deploy model: a named (or anonymous) set of staged schema changes that
// are sealed together in one atomic RENAME TABLE.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sql/statement.h"

namespace sealgate::deploy {

enum class DeployState : uint8_t {
  kOpen,        // a session's block is open; statements are being staged
  kDetached,    // END DEPLOY (or its session went away): staging goes on, no session owns it
  kSealing,     // COMMIT DEPLOY in progress
  kSealed,      // every table cut over
  kRolledBack,  // cancelled: shadows dropped, originals untouched
  kFailed,      // a migration failed; ROLLBACK DEPLOY cleans up
};

const char* DeployStateName(DeployState state);
DeployState ParseDeployState(const std::string& name);
// Open, detached or sealing: the deploy still holds its tables.
bool IsActive(DeployState state);

enum class ItemKind : uint8_t { kAlter, kCreate, kDrop };
const char* ItemKindName(ItemKind kind);
ItemKind ParseItemKind(const std::string& name);

// One table of a deploy and what the seal's RENAME does with it:
//   kAlter:  table -> old_name, shadow -> table   (migration_id stages the shadow)
//   kCreate: shadow -> table                       (created under the shadow name)
//   kDrop:   table -> old_name                     (kept for revert)
struct DeployItem {
  ItemKind kind = ItemKind::kAlter;
  sql::TableName table;
  uint64_t migration_id = 0;
  std::string shadow;
  std::string old_name;
  std::string statement;  // as the client sent it
};

struct Deploy {
  std::string name;
  bool anonymous = false;
  DeployState state = DeployState::kOpen;
  std::vector<DeployItem> items;
  std::string created_at;
  std::string sealed_at;
  int seal_attempts = 0;
  int64_t hold_ms = -1;  // of the successful seal
  std::string last_error;
};

}  // namespace sealgate::deploy
