// Live progress of a migration, as plain values the proxy renders in
// SHOW DEPLOY STATUS and /status. Snapshots: copying them is cheap and they
// never change after being returned.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "migration/pace.h"

namespace sealgate::migration {

enum class MigrationState : uint8_t {
  kCopying,    // backfill running (binlog applied alongside)
  kStaged,     // copy done; tailing the binlog (see `ready`)
  kFailed,     // stopped with an error (last_error); shadow kept until Cancel
  kCancelled,  // Cancel(): shadow dropped
  kCompleted,  // Complete(): the caller (the seal) took over the shadow
  // Reported only (never recorded): the server was lost (restart, killed
  // connection, network); the migration resumes from its checkpoint by itself.
  kReconnecting,
};

const char* MigrationStateName(MigrationState state);
// Parses MigrationStateName's output; kFailed for unknown text.
MigrationState ParseMigrationState(const std::string& name);

struct MigrationProgress {
  uint64_t id = 0;
  std::string schema;
  std::string table;
  std::string shadow;
  MigrationState state = MigrationState::kCopying;
  bool paused = false;               // applying stopped by Pause()
  uint64_t rows_copied = 0;
  uint64_t rows_estimated = 0;       // information_schema estimate at start
  double percent = 0;                // of the copy, 0..100
  std::optional<std::chrono::seconds> eta;  // of the copy; nullopt when unknown or done
  std::chrono::milliseconds lag{0};  // binlog apply lag, measured by heartbeat rows
  bool ready = false;                // staged, not paused and lag under the threshold
  uint64_t rows_applied = 0;         // row changes applied from the binlog
  PaceReport pace;                   // whether applying keeps up with the table's writes
  CopyReport copy_pace;              // while copying: whether the copy can finish at this write rate
  std::string copy_blocked;          // while the copy waits for rows other transactions hold: what holds them
  uint64_t chunk_rows = 0;           // current copy chunk size
  bool copy_running = false;         // holds one of the engine's copy slots (else waits for one)
  // Copy control (ALTER DEPLOY): applying the binlog goes on whatever these say.
  bool copy_paused = false;          // no copy chunks until resumed
  double throttle_ratio = 0;         // the copy rests this many times each chunk's duration after it
  std::string throttle_reason;       // why the automatic throttle holds the copy right now; empty if it does not
  // Binlog retention (the engine's watch over the checkpoint's binlog file).
  std::optional<std::chrono::seconds> binlog_purge_in;  // until that file may be purged; nullopt: never / unknown
  std::string binlog_warning;        // non-empty: the checkpoint's binlog is purged soon (or gone); says what to do
  std::string last_error;            // empty unless failed (or a notice such as a copy restart)
  // Failed on a server error the ALTER itself meets (rows that violate its
  // new unique key): that error's number and SQLSTATE, as the server answers
  // the statement run directly. 0 for every other failure (sealgate's own).
  uint16_t server_errno = 0;
  std::string server_sqlstate;
  std::string applied_file;          // binlog file of the applied position: the oldest one it still needs
};

}  // namespace sealgate::migration
