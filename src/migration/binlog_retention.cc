#include "migration/binlog_retention.h"

#include <algorithm>
#include <cstdlib>

namespace sealgate::migration {
namespace {

// "binlog.000123" -> ("binlog", 123); no numeric suffix -> (name, -1).
std::pair<std::string, long long> Split(const std::string& name) {
  size_t dot = name.rfind('.');
  if (dot == std::string::npos || dot + 1 == name.size()) return {name, -1};
  for (size_t i = dot + 1; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return {name, -1};
  }
  return {name.substr(0, dot), std::atoll(name.c_str() + dot + 1)};
}

std::string Duration(int64_t seconds) {
  if (seconds < 0) seconds = 0;
  if (seconds < 120) return std::to_string(seconds) + " s";
  if (seconds < 7200) return std::to_string(seconds / 60) + " min";
  return std::to_string(seconds / 3600) + " h";
}

}  // namespace

bool BinlogFileBefore(const std::string& a, const std::string& b) {
  auto x = Split(a), y = Split(b);
  if (x.first == y.first && x.second >= 0 && y.second >= 0) return x.second < y.second;
  return a < b;
}

RetentionVerdict JudgeRetention(const BinlogRetentionInput& in, const std::string& file,
                                std::chrono::seconds warn_within) {
  RetentionVerdict v;
  if (file.empty() || in.files.empty()) return v;
  if (BinlogFileBefore(file, in.files.front())) {
    v.level = RetentionVerdict::Level::kPurged;
    v.purge_in = 0;
    v.message = "binlog " + file + " of this migration's checkpoint is already purged (the oldest on the server is " +
                in.files.front() + "): the migration copies its table again from the start; raise "
                "binlog_expire_logs_seconds so that binlogs outlive the longest stage";
    return v;
  }
  if (in.expire.count() <= 0) return v;
  // The file being written is kept at least `expire` after its last write;
  // a rotated file, `expire` after the last event read from it.
  int64_t purge_in = in.expire.count();
  if (file != in.files.back()) {
    auto last = in.last_event_at.find(file);
    if (last != in.last_event_at.end()) purge_in = last->second + in.expire.count() - in.now;
  }
  v.purge_in = purge_in;
  if (purge_in >= warn_within.count()) return v;
  v.level = RetentionVerdict::Level::kWarn;
  std::string when = purge_in <= 0 ? "at the server's next binlog purge" : "in about " + Duration(purge_in);
  v.message = "binlog " + file + " of this migration's checkpoint may be purged " + when +
              " (binlog_expire_logs_seconds=" + std::to_string(in.expire.count()) +
              "); if sealgate is stopped, paused or behind until then, the table is copied again. Seal or roll "
              "back this deploy before then, or raise the retention: SET GLOBAL binlog_expire_logs_seconds = " +
              std::to_string(std::max<int64_t>(2 * warn_within.count(), 7 * 86400)) + " (and in the server's config)";
  return v;
}

}  // namespace sealgate::migration
