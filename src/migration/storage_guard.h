// Storage guard: before a migration is staged, the shadow tables must fit —
// under a configured ceiling for all shadows together, and in the free space
// of the server's data directory with headroom to spare.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "common/status.h"

namespace sealgate::migration {

struct StorageLimits {
  // Ceiling for the estimated size of every shadow staged at once, this one
  // included (0: none). Applies wherever the server runs.
  uint64_t max_shadow_bytes = 0;
  // The free space must exceed what the shadows still need by this many
  // percent (the copy also writes its rows to the binlog).
  int headroom_percent = 50;
  // Free bytes under the server's data directory (@@datadir), or nullopt when
  // that cannot be known from here (e.g. the server is on another host).
  // Null: free space is not checked.
  std::function<std::optional<uint64_t>(const std::string& datadir)> free_bytes;
};

// Free bytes (for unprivileged users) of the file system holding `path`, when
// it exists on this host; nullopt otherwise.
std::optional<uint64_t> LocalFreeBytes(const std::string& path);

struct ShadowNeed {
  uint64_t new_bytes = 0;      // the shadow about to be created (the original's data + indexes)
  uint64_t staged_bytes = 0;   // every shadow staged now, at full size
  uint64_t pending_bytes = 0;  // what copies in progress will still write
};

// OK, or a refusal naming the sizes and what to do: kMigrationShadowLimit
// over the ceiling, kInspectFreeSpace when `free` cannot hold the need.
Status CheckShadowStorage(const StorageLimits& limits, const ShadowNeed& need, std::optional<uint64_t> free);

// "1.5 GiB", "12 MiB", "800 B".
std::string FormatBytes(uint64_t bytes);

}  // namespace sealgate::migration
