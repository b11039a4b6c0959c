// Engine guards: the throttle watch (asks the configured Throttler off the
// writers' threads), the binlog retention watch (compares the server's
// binlogs with every checkpoint), and the storage check before a shadow is
// built. Each watch is one thread per engine, whatever the number of
// migrations.
#include <cstdlib>

#include "migration/engine_internal.h"

namespace sealgate::migration {
namespace {

// A copy that has not asked for this long is not waiting: the watch sleeps.
constexpr auto kThrottleIdleAfter = std::chrono::seconds(2);
constexpr auto kThrottleRecheck = std::chrono::milliseconds(100);

}  // namespace

std::string Engine::Impl::ThrottleReason() {
  if (!options.throttler) return "";
  auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(watch_mu);
  bool idle = now - throttle_asked > kThrottleIdleAfter;
  throttle_asked = now;
  if (idle) watch_cv.notify_all();
  return throttle_reason;
}

void Engine::Impl::ThrottleLoop() {
  std::unique_lock<std::mutex> lock(watch_mu);
  while (!stop) {
    if (std::chrono::steady_clock::now() - throttle_asked > kThrottleIdleAfter) {
      // No copy is running: ask nobody until one wants to know.
      watch_cv.wait(lock, [&] {
        return stop || std::chrono::steady_clock::now() - throttle_asked <= kThrottleIdleAfter;
      });
      continue;
    }
    lock.unlock();
    std::string reason = options.throttler->Reason();  // may talk to servers: never under the lock
    lock.lock();
    throttle_reason = std::move(reason);
    watch_cv.wait_for(lock, kThrottleRecheck, [&] { return stop.load(); });
  }
}

void Engine::Impl::RecordBinlogTime(const std::string& file, uint32_t timestamp) {
  if (file.empty() || timestamp == 0) return;
  std::lock_guard<std::mutex> lock(retention_mu);
  int64_t& last = binlog_times[file];
  if (timestamp > last) last = timestamp;
}

void Engine::Impl::RetentionLoop() {
  std::unique_lock<std::mutex> lock(watch_mu);
  while (!stop) {
    lock.unlock();
    CheckRetention();
    lock.lock();
    watch_cv.wait_for(lock, options.retention_check_interval, [&] { return stop.load(); });
  }
}

void Engine::Impl::CheckRetention() {
  if (!watch_conn.connected()) {
    auto c = SqlConn::Open(options.server);
    if (!c.ok()) return;  // the server is away: the stream reports that
    watch_conn = std::move(*c);
  }
  BinlogRetentionInput in;
  // MariaDB 10.6+ and MySQL 8 have binlog_expire_logs_seconds; older MariaDB only expire_logs_days.
  auto expire = watch_conn.Query("SELECT @@global.binlog_expire_logs_seconds, @@global.expire_logs_days");
  if (!expire.ok()) expire = watch_conn.Query("SELECT 0, @@global.expire_logs_days");
  auto files = watch_conn.Query("SHOW BINARY LOGS");
  auto checkpoints = watch_conn.Query("SELECT id, applied_file FROM " + Table("migrations") +
                                      " WHERE state IN ('copying', 'staged')");
  if (!expire.ok() || expire->empty() || !files.ok() || !checkpoints.ok()) {
    watch_conn = SqlConn();
    return;
  }
  double seconds = strtod(expire->front()[0].value_or("0").c_str(), nullptr);
  double days = strtod(expire->front()[1].value_or("0").c_str(), nullptr);
  in.expire = std::chrono::seconds(int64_t(seconds > 0 ? seconds : days * 86400));
  for (const auto& r : *files) in.files.push_back(r[0].value_or(""));
  in.now = time(nullptr);
  {
    std::lock_guard<std::mutex> lock(retention_mu);
    // Files gone from the server are of no more use.
    for (auto it = binlog_times.begin(); it != binlog_times.end();) {
      bool present = false;
      for (const auto& f : in.files) present |= f == it->first;
      it = present ? std::next(it) : binlog_times.erase(it);
    }
    in.last_event_at = binlog_times;
  }
  std::map<uint64_t, RetentionVerdict> verdicts;
  for (const auto& r : *checkpoints) {
    uint64_t id = strtoull(r[0].value_or("0").c_str(), nullptr, 10);
    verdicts[id] = JudgeRetention(in, r[1].value_or(""), options.retention_warn_within);
  }
  std::map<uint64_t, RetentionVerdict> before;
  {
    std::lock_guard<std::mutex> lock(retention_mu);
    before.swap(retention);
    retention = verdicts;
  }
  for (const auto& [id, v] : verdicts) {
    auto old = before.find(id);
    auto was = old == before.end() ? RetentionVerdict::Level::kOk : old->second.level;
    if (v.level == was) continue;
    if (v.level == RetentionVerdict::Level::kOk) {
      Log(LogLevel::kInfo, "migration=" + std::to_string(id) + " binlog retention ok again");
    } else {
      Log(LogLevel::kWarn, "migration=" + std::to_string(id) + " binlog retention: " + v.message);
    }
  }
}

void Engine::Impl::AddRetention(MigrationProgress* p) const {
  std::lock_guard<std::mutex> lock(retention_mu);
  auto it = retention.find(p->id);
  if (it == retention.end() || p->state == MigrationState::kCompleted || p->state == MigrationState::kCancelled) return;
  if (it->second.purge_in) p->binlog_purge_in = std::chrono::seconds(*it->second.purge_in);
  p->binlog_warning = it->second.message;
}

Status Engine::Impl::CheckStorage(uint64_t new_bytes) {
  const StorageLimits& limits = options.storage;
  if (limits.max_shadow_bytes == 0 && !limits.free_bytes) return Status::Ok();
  std::vector<std::shared_ptr<Migration>> active;
  {
    std::lock_guard<std::mutex> lock(mu);
    for (auto& [id, m] : migrations) active.push_back(m);
  }
  ShadowNeed need;
  need.new_bytes = new_bytes;
  if (!active.empty()) {
    // Every shadow is estimated at its original's size, as the new one is.
    std::string in;
    for (const auto& m : active) {
      in += std::string(in.empty() ? "" : ", ") + "(" + admin.Quote(m->spec().table.schema) + ", " +
            admin.Quote(m->spec().table.name) + ")";
    }
    auto sizes = admin.Query("SELECT TABLE_SCHEMA, TABLE_NAME, IFNULL(DATA_LENGTH, 0) + IFNULL(INDEX_LENGTH, 0) "
                             "FROM information_schema.TABLES WHERE (TABLE_SCHEMA, TABLE_NAME) IN (" + in + ")");
    if (!sizes.ok()) return sizes.status();
    for (const auto& m : active) {
      uint64_t bytes = 0;
      for (const auto& r : *sizes) {
        if (r[0] == m->spec().table.schema && r[1] == m->spec().table.name) bytes = strtoull(r[2]->c_str(), nullptr, 10);
      }
      need.staged_bytes += bytes;
      MigrationProgress p = m->Progress();
      if (p.state == MigrationState::kCopying && p.rows_estimated > 0) {
        double left = 1.0 - double(p.rows_copied) / double(p.rows_estimated);
        need.pending_bytes += uint64_t(double(bytes) * std::max(0.0, left));
      }
    }
  }
  std::optional<uint64_t> free;
  if (limits.free_bytes) {
    auto datadir = admin.Scalar("SELECT @@global.datadir");
    if (datadir.ok() && datadir->has_value()) free = limits.free_bytes(**datadir);
  }
  return CheckShadowStorage(limits, need, free);
}

}  // namespace sealgate::migration
