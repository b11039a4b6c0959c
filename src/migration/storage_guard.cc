#include "migration/storage_guard.h"

#include <sys/statvfs.h>

#include <cstdio>

#include "migration/inspector.h"
#include "sql/errors.h"

namespace sealgate::migration {

std::optional<uint64_t> LocalFreeBytes(const std::string& path) {
  struct statvfs fs;
  if (path.empty() || statvfs(path.c_str(), &fs) != 0) return std::nullopt;
  return uint64_t(fs.f_bavail) * uint64_t(fs.f_frsize);
}

std::string FormatBytes(uint64_t bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = double(bytes);
  int unit = 0;
  while (v >= 1024 && unit < 4) {
    v /= 1024;
    ++unit;
  }
  char buf[32];
  if (unit == 0 || v >= 100) snprintf(buf, sizeof buf, "%.0f %s", v, kUnits[unit]);
  else snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[unit]);
  return buf;
}

Status CheckShadowStorage(const StorageLimits& limits, const ShadowNeed& need, std::optional<uint64_t> free) {
  if (limits.max_shadow_bytes > 0 && need.staged_bytes + need.new_bytes > limits.max_shadow_bytes) {
    return Refusal(error::kMigrationShadowLimit,
                   "the shadow table needs about " + FormatBytes(need.new_bytes) + " and the shadows staged now " +
                       FormatBytes(need.staged_bytes) + ", more than storage.max_shadow_bytes (" +
                       FormatBytes(limits.max_shadow_bytes) + "): seal or roll back staged deploys first, or raise "
                       "the limit");
  }
  if (!free) return Status::Ok();
  uint64_t wanted = need.new_bytes + need.pending_bytes;
  uint64_t with_headroom = wanted + wanted / 100 * uint64_t(limits.headroom_percent) +
                           wanted % 100 * uint64_t(limits.headroom_percent) / 100;
  if (with_headroom <= *free) return Status::Ok();
  return Refusal(error::kInspectFreeSpace,
                 "the shadow table needs about " + FormatBytes(need.new_bytes) +
                     (need.pending_bytes ? " and copies in progress " + FormatBytes(need.pending_bytes) : "") +
                     ", +" + std::to_string(limits.headroom_percent) + "% headroom (storage.headroom_percent), but "
                     "the server's data directory has " + FormatBytes(*free) +
                     " free: free disk space, or seal or roll back staged deploys first");
}

}  // namespace sealgate::migration
