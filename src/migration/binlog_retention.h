// Binlog retention against staged migrations: a migration resumes from its
// checkpoint's binlog file, so that file must still be on the server whenever
// the migration next needs it — after sealgate was stopped, or while its
// applying is paused or behind. The server purges a binlog file once it is
// older than binlog_expire_logs_seconds (expire_logs_days), measured from its
// last write, so the file being written is safe for at least that long.
//
// JudgeRetention is the pure decision; the engine feeds it what the server
// and its binlog stream report (engine_watch.cc).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sealgate::migration {

struct BinlogRetentionInput {
  std::chrono::seconds expire{0};   // 0: binlogs never expire
  std::vector<std::string> files;   // SHOW BINARY LOGS, oldest first; the last one is being written
  // Unix time of the last event the stream read from a file (its last write,
  // for a file that has been rotated away from).
  std::map<std::string, int64_t> last_event_at;
  int64_t now = 0;                  // unix time
};

struct RetentionVerdict {
  enum class Level { kOk, kWarn, kPurged } level = Level::kOk;
  std::optional<int64_t> purge_in;  // seconds until the file may be purged (<= 0: at the next purge); nullopt: never
  std::string message;              // for kWarn and kPurged: what is at risk and what to do
};

// Whether binlog `file` (a migration's checkpoint) is purged within
// `warn_within`, or already gone. An empty `file` or file list says nothing.
RetentionVerdict JudgeRetention(const BinlogRetentionInput& in, const std::string& file,
                                std::chrono::seconds warn_within);

// Binlog file order: "binlog.000010" after "binlog.000009" (numeric suffix).
bool BinlogFileBefore(const std::string& a, const std::string& b);

}  // namespace sealgate::migration
