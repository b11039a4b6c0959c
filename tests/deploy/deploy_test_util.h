// Shared by the deploy end-to-end tests: a fixture with a proxy and a fresh
// database per test, and writers that log every acknowledged write.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/proxy_process.h"
#include "support/test_conn.h"
#include "support/wait_for.h"

namespace sealgate::test {

// Options for a proxy over its own metadata schema `schema`, emptied first:
// for a test that stops and starts sealgate over the same deploys.
inline ProxyProcess::Options FreshMetadata(const std::string& schema) {
  TestConn::Open(TestServer())->MustExec("DROP DATABASE IF EXISTS " + schema);
  ProxyProcess::Options options;
  options.metadata_schema = schema;
  return options;
}

// GET path on the proxy's HTTP endpoint; the body, or "" on failure.
inline std::string HttpGet(int port, const std::string& path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return "";
  }
  std::string req = "GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
  (void)!write(fd, req.data(), req.size());
  std::string resp;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) resp.append(buf, n);
  close(fd);
  size_t body = resp.find("\r\n\r\n");
  return body == std::string::npos ? "" : resp.substr(body + 4);
}

// An XA transaction that ran `sql` in database `db` and was prepared by a
// session that is gone since: it keeps its row locks (and no metadata lock)
// until someone ends it. Destroying the guard rolls it back if the test did
// not end it.
class PreparedXa {
 public:
  PreparedXa(const std::string& db, std::string xid, const std::string& sql) : xid_(std::move(xid)) {
    auto xa = TestConn::Open(TestServer(), db);
    xa->MustExec("XA START '" + xid_ + "'");
    xa->MustExec(sql);
    xa->MustExec("XA END '" + xid_ + "'");
    xa->MustExec("XA PREPARE '" + xid_ + "'");
  }
  ~PreparedXa() { (void)TestConn::Open(TestServer())->Exec("XA ROLLBACK '" + xid_ + "'"); }
  PreparedXa(const PreparedXa&) = delete;
  PreparedXa& operator=(const PreparedXa&) = delete;
  void Commit() { TestConn::Open(TestServer())->MustExec("XA COMMIT '" + xid_ + "'"); }

 private:
  std::string xid_;
};

class DeployTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(proxy_.Start({})) << proxy_.log();
    db_ = std::string("dep_") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    db_.resize(std::min<size_t>(db_.size(), 60));
    auto admin = TestConn::Open(TestServer());
    // An XA transaction a killed run left prepared would keep its tables locked.
    (void)admin->Exec("XA ROLLBACK '" + XaId() + "'");
    admin->MustExec("DROP DATABASE IF EXISTS `" + db_ + "`");
    admin->MustExec("CREATE DATABASE `" + db_ + "` CHARACTER SET utf8mb4");
  }
  // The XA transaction id a test of this database may use (at most 64 bytes).
  std::string XaId() const { return ("xa_" + db_).substr(0, 64); }
  std::unique_ptr<TestConn> Via() { return TestConn::Open(proxy_.address(), db_); }
  // Starts the fixture's proxy again, copying in chunks
  // small and slow enough that a test can act while a copy runs.
  void RestartProxyWithSlowCopy() {
    proxy_.Stop();
    ProxyProcess::Options options;
    options.extra_args = {"--copy-max-chunk-rows", "25", "--copy-target-chunk-ms", "20"};
    ASSERT_TRUE(proxy_.Start(options)) << proxy_.log();
  }
  std::unique_ptr<TestConn> Direct() { return TestConn::Open(TestServer(), db_); }
  std::vector<std::string> Columns(const std::string& table) {
    std::vector<std::string> out;
    for (auto& r : Direct()->Query("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='" + db_ +
                                   "' AND TABLE_NAME='" + table + "' ORDER BY ORDINAL_POSITION")) {
      out.push_back(r[0].value_or(""));
    }
    return out;
  }
  bool TableExists(const std::string& table) {
    return Direct()->Scalar("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='" + db_ +
                            "' AND TABLE_NAME='" + table + "'") == "1";
  }
  // While a COMMIT DEPLOY of `name` waits for something, runs `statement`
  // through the proxy again and again — each must finish within 500 ms: no
  // client is held while the seal cannot go — until SHOW DEPLOYS gives a
  // reason containing `until` (or `limit` passes). The last reason given.
  std::string ReasonWhileClientsRun(const std::string& name, const std::string& statement, const std::string& until,
                                    std::chrono::seconds limit) {
    auto client = Via();
    std::string why;
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (why.find(until) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      auto begun = std::chrono::steady_clock::now();
      EXPECT_TRUE(client->Exec(statement)) << client->last_error();
      EXPECT_LT(std::chrono::steady_clock::now() - begun, std::chrono::milliseconds(500))
          << "a client was held while the seal could not go";
      for (auto& r : Via()->Query("SHOW DEPLOYS")) {
        if (r[0] == name) why = r.back().value_or("");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return why;
  }
  void Fill(const std::string& table, int rows) {
    Direct()->MustExec("CREATE TABLE " + table + " (id INT PRIMARY KEY AUTO_INCREMENT, a INT NOT NULL, "
                       "b VARCHAR(40) NULL, c INT NULL)");
    Direct()->MustExec("INSERT INTO " + table + " (a, b, c) SELECT seq, CONCAT('v', seq), seq FROM seq_1_to_" +
                       std::to_string(rows));
  }

  ProxyProcess proxy_;
  std::string db_;
};

// A DeployTest with a twin database: the same statements run directly there
// give what sealgate's result must equal.
class TwinDeployTest : public DeployTest {
 protected:
  void SetUp() override {
    DeployTest::SetUp();
    twin_ = db_.substr(0, 56) + "_twin";
    auto admin = TestConn::Open(TestServer());
    admin->MustExec("DROP DATABASE IF EXISTS `" + twin_ + "`");
    admin->MustExec("CREATE DATABASE `" + twin_ + "` CHARACTER SET utf8mb4");
  }
  void TearDown() override { (void)TestConn::Open(TestServer())->Exec("DROP DATABASE IF EXISTS `" + twin_ + "`"); }

  // Runs each statement directly in the test's database and in its twin.
  void Both(const std::vector<std::string>& statements) {
    for (const auto& db : {db_, twin_}) {
      auto c = TestConn::Open(TestServer(), db);
      for (const auto& s : statements) c->MustExec(s);
    }
  }
  // SHOW CREATE TABLE as the server gives it ("" if the table is not there).
  std::string ShowCreateExactly(const std::string& db, const std::string& table) {
    auto rows = TestConn::Open(TestServer(), db)->Query("SHOW CREATE TABLE `" + table + "`");
    return rows.empty() ? "" : rows[0][1].value_or("");
  }

  std::string twin_;
};

// Writers that log what was acknowledged, so nothing acknowledged may be missing.
struct Writers {
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0};
  std::mutex mu;
  std::vector<std::string> error_text;
  std::map<std::string, std::set<int>> acknowledged;  // table -> ids
  std::vector<std::thread> threads;

  void Run(const ServerAddress& addr, const std::string& db, const std::vector<std::string>& tables, int base) {
    threads.emplace_back([=, this] {
      TestConn c;
      if (!c.Connect(addr, db)) {
        ++errors;
        return;
      }
      for (int i = 0; !stop; ++i) {
        const std::string& t = tables[i % tables.size()];
        int id = base + i;
        if (c.Exec("INSERT INTO " + t + " (id, a) VALUES (" + std::to_string(id) + ", " + std::to_string(i) + ")")) {
          std::lock_guard<std::mutex> lock(mu);
          acknowledged[t].insert(id);
        } else {
          ++errors;
          std::lock_guard<std::mutex> lock(mu);
          error_text.push_back(c.last_error());
        }
        if (i % 5 == 0) c.Exec("UPDATE " + t + " SET a = a + 1 WHERE id = " + std::to_string(id));
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    });
  }
  void Join() {
    stop = true;
    for (auto& t : threads) t.join();
  }
  // Acknowledged ids of `table` (>= min_id) not found there now, each marked
  // if it sits in the old table instead.
  std::string Missing(TestConn& c, const std::string& table, int min_id) {
    std::set<int> present;
    for (auto& r : c.Query("SELECT id FROM " + table + " WHERE id >= " + std::to_string(min_id))) {
      present.insert(std::stoi(*r[0]));
    }
    std::string which;
    for (int id : acknowledged[table]) {
      if (present.count(id)) continue;
      which += " " + std::to_string(id);
      if (c.Scalar("SELECT COUNT(*) FROM `~" + table + "_old` WHERE id = " + std::to_string(id)) == "1") {
        which += "(in old table)";
      }
    }
    return which;
  }
};

}  // namespace sealgate::test
