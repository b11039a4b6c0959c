// Helpers for the migration end-to-end tests: an engine per test with its
// own metadata schema and replica id, random writers, and row comparison.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "migration/engine.h"
#include "support/test_conn.h"
#include "support/test_env.h"
#include "support/wait_for.h"

namespace sealgate::migration::testing {

inline binlog::ServerEndpoint Endpoint(const test::ServerAddress& a = test::TestServer()) {
  binlog::ServerEndpoint e;
  e.host = a.host;
  e.port = a.port;
  e.user = a.user;
  e.password = a.password;
  return e;
}

// A replica id no other test process uses at the same time.
inline uint32_t UniqueServerId() {
  static std::atomic<uint32_t> n{0};
  return 40000 + uint32_t(getpid() % 10000) * 16 + (n++ % 16);
}

inline EngineOptions SmallChunkOptions(const std::string& meta, Logger* logger) {
  EngineOptions o;
  o.server = Endpoint();
  o.replica_server_id = UniqueServerId();
  o.metadata_schema = meta;
  o.initial_chunk_rows = 200;
  o.min_chunk_rows = 50;
  o.max_chunk_rows = 400;
  o.target_chunk_time = std::chrono::milliseconds(50);
  o.heartbeat_interval = std::chrono::milliseconds(100);
  o.logger = logger;
  return o;
}

using sealgate::test::WaitFor;

// Rows of `sql` rendered as one string each (NULL as \N), for comparisons.
inline std::vector<std::string> Dump(test::TestConn& c, const std::string& sql) {
  std::vector<std::string> out;
  for (const auto& row : c.Query(sql)) {
    std::string line;
    for (const auto& v : row) line += (v ? *v : std::string("\\N")) + "\x1f";
    out.push_back(std::move(line));
  }
  return out;
}

// Random writers on a table `t (id INT PK, a VARCHAR utf8mb4, b INT, c TEXT, d DATETIME(6), e ENUM)`:
// inserts, updates (some changing the key), deletes, multi-statement
// transactions, NULLs, 4-byte UTF-8 and large values.
class RandomWriters {
 public:
  RandomWriters(std::string db, int threads, int key_space) : db_(std::move(db)), key_space_(key_space) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this, i] { Run(i); });
  }
  ~RandomWriters() { Stop(); }
  void Stop() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  uint64_t ops() const { return ops_; }

 private:
  std::string Value(std::mt19937& rng) {
    switch (rng() % 6) {
      case 0: return "NULL";
      case 1: return "'plain " + std::to_string(rng() % 1000) + "'";
      case 2: return "'\xF0\x9F\x98\x80 emoji \xC3\xA9\xE2\x82\xAC'";
      case 3: return "REPEAT('\xF0\x9F\x90\xAC', 25)";
      case 4: return "''";
      default: return "'quote''s \\\\ back'";
    }
  }
  std::string Row(std::mt19937& rng, int id) {
    std::string b = rng() % 5 == 0 ? "NULL" : std::to_string(int(rng() % 200000) - 100000);
    std::string c = rng() % 4 == 0 ? "NULL" : rng() % 10 == 0 ? "REPEAT('x', " + std::to_string(rng() % 70000) + ")" : Value(rng);
    std::string d = rng() % 4 == 0 ? "NULL" : "'2024-02-29 12:34:56." + std::to_string(100000 + rng() % 899999) + "'";
    std::string e = rng() % 4 == 0 ? "NULL" : std::string("'") + "xyz"[rng() % 3] + "'";
    return "(" + std::to_string(id) + ", " + Value(rng) + ", " + b + ", " + c + ", " + d + ", " + e + ")";
  }
  void Run(int n) {
    test::TestConn c;
    if (!c.Connect(test::TestServer(), db_)) return;
    std::mt19937 rng(1234 + n);
    while (!stop_) {
      int id = int(rng() % key_space_) + 1;
      int op = int(rng() % 10);
      bool txn = rng() % 5 == 0;
      if (txn) c.Exec("BEGIN");
      if (op < 4) {
        c.Exec("INSERT INTO t (id, a, b, c, d, e) VALUES " + Row(rng, id));
      } else if (op < 6) {
        c.Exec("UPDATE t SET a = " + Value(rng) + ", b = " + std::to_string(rng() % 1000) + " WHERE id = " + std::to_string(id));
      } else if (op < 7) {
        c.Exec("UPDATE t SET id = " + std::to_string(int(rng() % key_space_) + 1) + " WHERE id = " + std::to_string(id));
      } else if (op < 9) {
        c.Exec("DELETE FROM t WHERE id = " + std::to_string(id));
      } else {
        c.Exec("UPDATE t SET c = " + Value(rng) + " WHERE id BETWEEN " + std::to_string(id) + " AND " + std::to_string(id + 5));
      }
      if (txn) c.Exec(rng() % 4 == 0 ? "ROLLBACK" : "COMMIT");
      ++ops_;
    }
  }

  std::string db_;
  int key_space_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> ops_{0};
  std::vector<std::thread> threads_;
};

}  // namespace sealgate::migration::testing
