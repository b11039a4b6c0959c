// Times sealgate's backfill of one table to "staged" (copy done, binlog
// caught up), then cancels the migration (drops the shadow).
//
//   migration_bench HOST PORT USER PASSWORD SCHEMA "ALTER TABLE t ..." [HOLD_SECONDS]
//
// With HOLD_SECONDS, stays staged that long after the backfill (touch-file
// "$SEALGATE_BENCH_READY_FILE" is created when staged, so a load generator
// can start) and prints the largest binlog lag it measured.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <thread>

#include "migration/engine.h"

using namespace sealgate;
using namespace sealgate::migration;

// CPU seconds (user + system) this process has used.
static double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char** argv) {
  if (argc != 7 && argc != 8) {
    std::fprintf(stderr, "usage: %s HOST PORT USER PASSWORD SCHEMA ALTER [HOLD_SECONDS]\n", argv[0]);
    return 2;
  }
  Logger logger(LogLevel::kWarn);
  EngineOptions o;
  o.server.host = argv[1];
  o.server.port = std::atoi(argv[2]);
  o.server.user = argv[3];
  o.server.password = argv[4];
  o.replica_server_id = 4242;
  o.metadata_schema = "_sealgate_bench";
  o.logger = &logger;
  if (const char* m = std::getenv("SEALGATE_BENCH_MAX_CHUNK_ROWS")) o.max_chunk_rows = std::strtoull(m, nullptr, 10);
  if (const char* f = std::getenv("SEALGATE_BENCH_IN_FLIGHT")) o.copy_chunks_in_flight = std::strtoull(f, nullptr, 10);
  if (const char* t = std::getenv("SEALGATE_BENCH_CHUNK_MS")) o.target_chunk_time = std::chrono::milliseconds(std::atoi(t));
  auto engine = Engine::Open(o);
  if (!engine.ok()) {
    std::fprintf(stderr, "open: %s\n", engine.status().ToString().c_str());
    return 1;
  }
  MigrationRequest req;
  req.alter_sql = argv[6];
  req.default_schema = argv[5];
  auto t0 = std::chrono::steady_clock::now();
  double cpu0 = CpuSeconds();
  auto id = (*engine)->Start(req);
  if (!id.ok()) {
    std::fprintf(stderr, "start: %s\n", id.status().ToString().c_str());
    return 1;
  }
  MigrationProgress p;
  while (true) {
    p = *(*engine)->Progress(*id);
    if (p.state != MigrationState::kCopying) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (p.state != MigrationState::kStaged) {
    std::fprintf(stderr, "failed: %s\n", p.last_error.c_str());
    return 1;
  }
  while (!(*engine)->Progress(*id)->ready) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto stats = (*engine)->BinlogStats();
  std::printf("sealgate_staged_seconds %.2f rows_copied %llu final_chunk_rows %llu engine_cpu_seconds %.2f "
              "binlog_rows_events_skipped %llu\n",
              secs, (unsigned long long)p.rows_copied, (unsigned long long)p.chunk_rows, CpuSeconds() - cpu0,
              (unsigned long long)stats.rows_events_skipped);
  std::fflush(stdout);
  if (argc == 8) {
    if (const char* ready = std::getenv("SEALGATE_BENCH_READY_FILE")) {
      if (FILE* f = std::fopen(ready, "w")) std::fclose(f);
    }
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(std::atoi(argv[7]));
    long max_lag = 0;
    uint64_t applied0 = (*engine)->Progress(*id)->rows_applied;
    while (std::chrono::steady_clock::now() < end) {
      auto q = *(*engine)->Progress(*id);
      if (q.state != MigrationState::kStaged) {
        std::fprintf(stderr, "left staged: %s\n", q.last_error.c_str());
        return 1;
      }
      max_lag = std::max<long>(max_lag, long(q.lag.count()));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::printf("staged_hold_seconds %s max_lag_ms %ld rows_applied %llu\n", argv[7], max_lag,
                (unsigned long long)((*engine)->Progress(*id)->rows_applied - applied0));
  }
  Status st = (*engine)->Cancel(*id);
  return st.ok() ? 0 : 1;
}
