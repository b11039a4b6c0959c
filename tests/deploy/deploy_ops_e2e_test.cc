// End-to-end: operating staged deploys through the proxy — copy throttle,
// pause and resume, the automatic throttle, binlog retention warnings, the
// staging cost guards, scheduled seals and the seal window, and /metrics and
// /status while it all happens.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <functional>
#include <iostream>
#include <map>
#include <thread>
#include <atomic>

#include "deploy/deploy_test_util.h"
#include "http/prometheus_check.h"
#include "support/proxy_process.h"
#include "support/test_conn.h"

namespace sealgate::test {
namespace {

using namespace std::chrono_literals;


std::string UtcIn(int seconds) {
  time_t t = time(nullptr) + seconds;
  tm parts;
  gmtime_r(&t, &parts);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &parts);
  return buf;
}

// "HH:MM" of now + minutes (UTC).
std::string ClockIn(int minutes) {
  time_t t = time(nullptr) + minutes * 60;
  tm parts;
  gmtime_r(&t, &parts);
  char buf[8];
  strftime(buf, sizeof buf, "%H:%M", &parts);
  return buf;
}

using Record = std::map<std::string, std::optional<std::string>>;

// Rows of a SHOW statement as column-name -> value maps.
std::vector<Record> Records(TestConn& c, const std::string& sql) {
  std::vector<Record> out;
  if (mysql_query(c.handle(), sql.c_str()) != 0) {
    ADD_FAILURE() << sql << ": " << mysql_error(c.handle());
    return out;
  }
  MYSQL_RES* res = mysql_store_result(c.handle());
  if (!res) return out;
  unsigned n = mysql_num_fields(res);
  MYSQL_FIELD* fields = mysql_fetch_fields(res);
  while (MYSQL_ROW row = mysql_fetch_row(res)) {
    Record r;
    for (unsigned i = 0; i < n; ++i) r[fields[i].name] = row[i] ? std::optional<std::string>(row[i]) : std::nullopt;
    out.push_back(std::move(r));
  }
  mysql_free_result(res);
  return out;
}

class DeployOpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::string("ops_") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    db_.resize(std::min<size_t>(db_.size(), 60));
    schema_ = "_sgtest_" + db_.substr(0, 40);
    auto admin = TestConn::Open(TestServer());
    admin->MustExec("DROP DATABASE IF EXISTS `" + db_ + "`");
    admin->MustExec("CREATE DATABASE `" + db_ + "` CHARACTER SET utf8mb4");
    admin->MustExec("DROP DATABASE IF EXISTS `" + schema_ + "`");
  }
  void TearDown() override {
    proxy_.Stop();
    TestConn::Open(TestServer())->Exec("DROP DATABASE IF EXISTS `" + schema_ + "`");
  }
  void StartProxy(std::vector<std::string> args) {
    ProxyProcess::Options options;
    options.metadata_schema = schema_;
    options.extra_args = std::move(args);
    args_ = options.extra_args;
    ASSERT_TRUE(proxy_.Start(options)) << proxy_.log();
  }
  void RestartProxy() {
    proxy_.Stop();
    StartProxy(args_);
  }
  std::unique_ptr<TestConn> Via() { return TestConn::Open(proxy_.address(), db_); }
  std::unique_ptr<TestConn> Direct() { return TestConn::Open(TestServer(), db_); }
  void Fill(const std::string& table, int rows) {
    Direct()->MustExec("CREATE TABLE " + table + " (id INT PRIMARY KEY AUTO_INCREMENT, a INT NOT NULL, "
                       "b VARCHAR(40) NULL)");
    if (rows > 0) {
      Direct()->MustExec("INSERT INTO " + table + " (a, b) SELECT seq, CONCAT('v', seq) FROM seq_1_to_" +
                         std::to_string(rows));
    }
    Direct()->MustExec("ANALYZE TABLE " + table);  // information_schema sizes and row estimates
  }
  // The SHOW DEPLOY STATUS row of `table` in deploy `name`.
  Record Status(const std::string& name, const std::string& table) {
    auto c = Via();
    for (auto& r : Records(*c, "SHOW DEPLOY STATUS '" + name + "'")) {
      if (r["table"] == db_ + "." + table) return r;
    }
    return {};
  }
  Record Deploy(const std::string& name) {
    auto c = Via();
    for (auto& r : Records(*c, "SHOW DEPLOYS")) {
      if (r["name"] == name) return r;
    }
    return {};
  }
  uint64_t RowsCopied(const std::string& name, const std::string& table) {
    return std::stoull(Status(name, table)["rows_copied"].value_or("0"));
  }
  // Rows the copy of `table` moves in `interval`.
  uint64_t CopiedDuring(const std::string& name, const std::string& table, std::chrono::milliseconds interval) {
    uint64_t before = RowsCopied(name, table);
    std::this_thread::sleep_for(interval);
    return RowsCopied(name, table) - before;
  }

  // Starts the proxy and stages table t (20,000 rows) in deploy `name` on a
  // new connection *c, its copy held by the automatic throttle: the test
  // server is not a replica, so its lag is unknown and the copy waits.
  void StageACopyTheThrottleHolds(const std::string& name, std::unique_ptr<TestConn>* c) {
    Fill("t", 20000);
    StartProxy({"--throttle-replicas", "127.0.0.1:" + std::to_string(TestServer().port)});
    *c = Via();
    ASSERT_TRUE((*c)->Exec("BEGIN DEPLOY '" + name + "'"));
    ASSERT_TRUE((*c)->Exec("ALTER TABLE t ADD COLUMN z INT")) << (*c)->last_error();
    ASSERT_TRUE(WaitFor([&] { return Status(name, "t")["copy"] == "throttled"; }, 20s)) << proxy_.log();
  }

  ProxyProcess proxy_;
  std::vector<std::string> args_;
  std::string db_, schema_;
};

TEST_F(DeployOpsTest, ThrottlePauseAndResumeChangeTheCopyRate) {
  Fill("t", 400000);
  // Small chunks: a copy long enough to measure its rate in several phases.
  StartProxy({"--copy-max-chunk-rows", "25", "--copy-target-chunk-ms", "20"});
  std::string name = "steer_" + db_;
  auto c = Via();
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT NOT NULL DEFAULT 5")) << c->last_error();
  ASSERT_TRUE(c->Exec("END DEPLOY")) << c->last_error();
  ASSERT_TRUE(WaitFor([&] { return RowsCopied(name, "t") > 0; }, 30s));

  uint64_t full = CopiedDuring(name, "t", 3000ms);
  ASSERT_TRUE(c->Exec("ALTER DEPLOY '" + name + "' THROTTLE RATIO 1")) << c->last_error();
  std::this_thread::sleep_for(300ms);
  uint64_t throttled = CopiedDuring(name, "t", 3000ms);
  EXPECT_EQ(Status(name, "t")["throttle"], "ratio 1");
  ASSERT_TRUE(c->Exec("ALTER DEPLOY '" + name + "' PAUSE")) << c->last_error();
  std::this_thread::sleep_for(500ms);  // chunks in flight land
  uint64_t paused = CopiedDuring(name, "t", 2000ms);
  std::cout << "rows copied in 3 s: full " << full << ", THROTTLE RATIO 1 " << throttled << "; in 2 s paused "
            << paused << "\n";
  EXPECT_GT(full, 0u);
  EXPECT_GT(throttled, 0u);
  EXPECT_EQ(paused, 0u);
  Record row = Status(name, "t");
  EXPECT_EQ(row["state"], "copying");
  EXPECT_EQ(row["copy"], "paused");
  EXPECT_EQ(row["throttle"], "copy paused; ratio 1");
  EXPECT_EQ(Deploy(name)["throttle"], "copy paused; ratio 1");

  // Tailing goes on while the copy is paused: a change to a copied row reaches the shadow.
  Direct()->MustExec("UPDATE t SET a = -42 WHERE id = 1");
  EXPECT_TRUE(WaitFor([&] { return Direct()->Scalar("SELECT a FROM `~t_new` WHERE id = 1") == "-42"; }, 20s));

  // /metrics parses, and shows the copy paused and throttled by ratio.
  std::string metrics = HttpGet(proxy_.http_port(), "/metrics");
  auto parsed = proxy::testing::CheckExposition(metrics);
  EXPECT_TRUE(parsed.problems.empty()) << parsed.problems.front() << "\n" << metrics;
  std::string labels = "{deploy=\"" + name + "\",table=\"" + db_ + ".t\"}";
  EXPECT_EQ(parsed.samples["sealgate_migration_copy_paused" + labels], 1) << metrics;
  EXPECT_EQ(parsed.samples["sealgate_migration_throttle_ratio" + labels], 1) << metrics;
  EXPECT_EQ(parsed.samples["sealgate_migration_copy_throttled" + labels], 0) << metrics;
  EXPECT_EQ(parsed.types["sealgate_migration_binlog_retention_warning"], "gauge");
  EXPECT_GT(parsed.samples["sealgate_migration_rows_copied" + labels], 0) << metrics;
  EXPECT_NE(HttpGet(proxy_.http_port(), "/status").find("\"copy\": \"paused\""), std::string::npos);

  // A user who may not ALTER the table may not steer its deploy.
  auto root = Direct();
  root->Exec("DROP USER IF EXISTS 'ops_reader'@'127.0.0.1'");
  root->MustExec("CREATE USER 'ops_reader'@'127.0.0.1' IDENTIFIED BY 'pw'");
  root->MustExec("GRANT SELECT ON `" + db_ + "`.* TO 'ops_reader'@'127.0.0.1'");
  auto reader = TestConn::Open(proxy_.address("ops_reader", "pw"), db_);
  EXPECT_FALSE(reader->Exec("ALTER DEPLOY '" + name + "' RESUME"));
  EXPECT_EQ(reader->last_errno(), 7748u) << reader->last_error();
  root->MustExec("DROP USER 'ops_reader'@'127.0.0.1'");

  // The pause survives a restart of the proxy.
  RestartProxy();
  c = Via();
  EXPECT_EQ(Status(name, "t")["copy"], "paused");
  EXPECT_EQ(CopiedDuring(name, "t", 1500ms), 0u);

  ASSERT_TRUE(c->Exec("ALTER DEPLOY '" + name + "' RESUME")) << c->last_error();
  ASSERT_TRUE(c->Exec("ALTER DEPLOY '" + name + "' UNTHROTTLE")) << c->last_error();
  std::this_thread::sleep_for(300ms);
  uint64_t resumed = CopiedDuring(name, "t", 3000ms);
  std::cout << "rows copied in 3 s after RESUME and UNTHROTTLE: " << resumed << "\n";
  // Resting as long as each chunk took: measurably slower than unthrottled
  // before and after (about 2/3 here: the writer applies the binlog while it rests).
  EXPECT_LT(double(throttled), 0.85 * double(full + resumed) / 2);
  EXPECT_EQ(Status(name, "t")["throttle"], std::nullopt);

  EXPECT_FALSE(c->Exec("ALTER DEPLOY 'no_such_deploy' PAUSE"));
  EXPECT_EQ(c->last_errno(), 7765u);
  ASSERT_TRUE(c->Exec("ROLLBACK DEPLOY '" + name + "'")) << c->last_error();
  EXPECT_FALSE(c->Exec("ALTER DEPLOY '" + name + "' PAUSE"));
  EXPECT_EQ(c->last_errno(), 7766u) << c->last_error();
}

// The proxy times every client statement: while they are much slower than
// without a copy, the copy waits, and says why; when they are fast again it
// goes on. (Slowness here is SLEEP, not the copy: the throttle cannot tell.)
TEST_F(DeployOpsTest, SlowClientStatementsHoldTheCopy) {
  Fill("t", 100000);
  StartProxy({"--copy-max-chunk-rows", "200"});
  std::atomic<bool> slow{false}, stop{false};
  std::vector<std::thread> clients;
  for (int i = 0; i < 3; ++i) {
    clients.emplace_back([&] {
      auto v = Via();
      while (!stop) (void)v->Exec(slow ? "SELECT SLEEP(0.02)" : "SELECT 1");
    });
  }
  std::this_thread::sleep_for(4500ms);  // seconds without a copy: the baseline
  slow = true;
  std::this_thread::sleep_for(1200ms);
  std::string name = "latency_" + db_;
  auto c = Via();
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT")) << c->last_error();
  ASSERT_TRUE(WaitFor([&] { return Status(name, "t")["copy"] == "throttled"; }, 20s)) << proxy_.log();
  EXPECT_NE(Status(name, "t")["throttle"].value_or("").find("client p95"), std::string::npos)
      << Status(name, "t")["throttle"].value_or("");
  EXPECT_EQ(CopiedDuring(name, "t", 1500ms), 0u);
  auto parsed = proxy::testing::CheckExposition(HttpGet(proxy_.http_port(), "/metrics"));
  EXPECT_GE(parsed.samples["sealgate_client_statement_p95_seconds{window=\"last_second\"}"], 0.02);
  EXPECT_GT(parsed.samples["sealgate_client_statement_p95_seconds{window=\"without_copy\"}"], 0);
  EXPECT_LT(parsed.samples["sealgate_client_statement_p95_seconds{window=\"without_copy\"}"], 0.01);

  slow = false;
  EXPECT_TRUE(WaitFor([&] { return Status(name, "t")["ready"] == "yes"; }, 60s)) << proxy_.log();
  stop = true;
  for (auto& t : clients) t.join();
  EXPECT_NE(proxy_.log().find("copy throttled: client p95"), std::string::npos) << proxy_.log();
  ASSERT_TRUE(c->Exec("ROLLBACK DEPLOY")) << c->last_error();
}

// The applier stopped (its shadow locked) while the table's writes go on:
// SHOW DEPLOY STATUS, /metrics and /status say it falls behind, and that the
// deploy cannot be sealed at this rate, until it catches up again.
TEST_F(DeployOpsTest, ApplyingThatFallsBehindTheWritesIsSaidUntilItCatchesUp) {
  Fill("t", 1000);
  StartProxy({});
  std::string name = "pace_" + db_;
  auto c = Via();
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT")) << c->last_error();
  ASSERT_TRUE(WaitFor([&] { return Status(name, "t")["state"] == "staged"; }, 60s));

  std::atomic<bool> stop{false};
  std::atomic<int> writes{0}, errors{0};
  std::thread writer([&] {
    auto w = Direct();
    for (int i = 0; !stop; ++i) {
      if (w->Exec("UPDATE t SET a = a + 1 WHERE id = " + std::to_string(1 + i % 1000))) {
        ++writes;
      } else {
        ++errors;
      }
      std::this_thread::sleep_for(5ms);
    }
  });
  // A verdict after ten seconds of samples: it keeps up.
  EXPECT_TRUE(WaitFor([&] { return Status(name, "t")["keeping_up"] == "yes"; }, 30s)) << proxy_.log();
  Record keeping = Status(name, "t");
  EXPECT_GT(std::stoll(keeping["apply_rows_per_s"].value_or("0")), 0);
  EXPECT_EQ(keeping["pace"], std::nullopt);

  auto blocker = Direct();
  blocker->MustExec("LOCK TABLES `~t_new` READ");  // the applier's writes wait; the table's do not
  bool behind = WaitFor([&] { return Status(name, "t")["keeping_up"] == "no"; }, 45s);
  Record row = Status(name, "t");
  std::string metrics = HttpGet(proxy_.http_port(), "/metrics");
  std::string status = HttpGet(proxy_.http_port(), "/status");
  blocker->MustExec("UNLOCK TABLES");
  ASSERT_TRUE(behind) << proxy_.log();
  std::string pace = row["pace"].value_or("");
  EXPECT_NE(pace.find("falling behind: applying "), std::string::npos) << pace;
  EXPECT_NE(pace.find("cannot be sealed"), std::string::npos) << pace;
  EXPECT_EQ(row["ready"], "no");
  // The verdict's own floor (ApplyPace::Options::min_lag): how far past it
  // the lag is when the verdict comes depends on the machine's pace.
  EXPECT_GE(std::stoll(row["lag_ms"].value_or("0")), 1000);
  auto parsed = proxy::testing::CheckExposition(metrics);
  std::string labels = "{deploy=\"" + name + "\",table=\"" + db_ + ".t\"}";
  EXPECT_EQ(parsed.samples["sealgate_migration_falling_behind" + labels], 1) << metrics;
  // The window still holds the seconds before the lock: fewer rows a second than then, not none.
  EXPECT_LT(parsed.samples["sealgate_migration_apply_rows_per_second" + labels],
            std::stod(keeping["apply_rows_per_s"].value_or("0"))) << metrics;
  EXPECT_NE(status.find("falling behind"), std::string::npos) << status;

  // Unlocked: the applier catches up, the verdict and the gauge go back.
  EXPECT_TRUE(WaitFor([&] {
    Record r = Status(name, "t");
    return r["keeping_up"] != "no" && r["ready"] == "yes";
  }, 60s)) << proxy_.log();
  parsed = proxy::testing::CheckExposition(HttpGet(proxy_.http_port(), "/metrics"));
  EXPECT_EQ(parsed.samples["sealgate_migration_falling_behind" + labels], 0);
  stop = true;
  writer.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_GT(writes.load(), 1000);
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY")) << c->last_error();  // caught up: it seals
  EXPECT_EQ(Deploy(name)["state"], "sealed");
}

TEST_F(DeployOpsTest, AutomaticThrottleHoldsTheCopyAndSaysWhy) {
  std::string name = "auto_" + db_;
  std::unique_ptr<TestConn> c;
  ASSERT_NO_FATAL_FAILURE(StageACopyTheThrottleHolds(name, &c));
  Record row = Status(name, "t");
  EXPECT_NE(row["throttle"].value_or("").find("not replicating"), std::string::npos) << row["throttle"].value_or("");
  EXPECT_EQ(CopiedDuring(name, "t", 1500ms), 0u);
  auto parsed = proxy::testing::CheckExposition(HttpGet(proxy_.http_port(), "/metrics"));
  EXPECT_EQ(parsed.samples["sealgate_migration_copy_throttled{deploy=\"" + name + "\",table=\"" + db_ + ".t\"}"], 1);
  EXPECT_NE(proxy_.log().find("copy throttled: replica 127.0.0.1"), std::string::npos) << proxy_.log();
  ASSERT_TRUE(c->Exec("ROLLBACK DEPLOY")) << c->last_error();
}

// The copy held (the automatic throttle: the test server is no replica)
// while the application appends rows past it: SHOW DEPLOY STATUS says the
// copy does not finish at this write rate, counts the rows added, and gives
// no ETA.
TEST_F(DeployOpsTest, ACopyTheWritesOutgrowIsSaidToNotFinish) {
  std::string name = "outgrown_" + db_;
  std::unique_ptr<TestConn> c;
  ASSERT_NO_FATAL_FAILURE(StageACopyTheThrottleHolds(name, &c));
  uint64_t total_before = std::stoull(Status(name, "t")["rows_total"].value_or("0"));

  std::atomic<bool> stop{false};
  std::atomic<int> inserted{0};
  std::thread writer([&] {
    auto w = Direct();
    while (!stop) {
      if (w->Exec("INSERT INTO t (a, b) VALUES (1, 'appended')")) ++inserted;
      std::this_thread::sleep_for(5ms);
    }
  });
  bool said = WaitFor([&] { return Status(name, "t")["keeping_up"] == "no"; }, 40s);
  Record row = Status(name, "t");
  std::string metrics = HttpGet(proxy_.http_port(), "/metrics");
  stop = true;
  writer.join();
  ASSERT_TRUE(said) << proxy_.log();
  std::string pace = row["pace"].value_or("");
  EXPECT_NE(pace.find("the copy does not finish at this write rate: it copies 0 rows/s"), std::string::npos) << pace;
  EXPECT_EQ(row["eta_seconds"], std::nullopt);
  // The rows the application added past the copy count in the total.
  uint64_t total_after = std::stoull(row["rows_total"].value_or("0"));
  EXPECT_GE(total_after, total_before + 1000) << total_before << " -> " << total_after;
  EXPECT_LE(total_after, total_before + uint64_t(inserted.load()));
  auto parsed = proxy::testing::CheckExposition(metrics);
  EXPECT_EQ(parsed.samples["sealgate_migration_falling_behind{deploy=\"" + name + "\",table=\"" + db_ + ".t\"}"], 1);
  ASSERT_TRUE(c->Exec("ROLLBACK DEPLOY")) << c->last_error();
}

// The pre-seal checksum rests between its chunks as the deploy's THROTTLE
// RATIO says, as the copy does; without a ratio it does not rest.
TEST_F(DeployOpsTest, TheChecksumRestsAsTheThrottleRatioSays) {
  Fill("plain", 200000);
  Fill("gentle", 200000);
  StartProxy({});
  auto c = Via();
  // "read_ms=R rest_ms=W" of the deploy's checksum log line.
  auto times = [&](const std::string& deploy) -> std::pair<long, long> {
    std::string log = proxy_.log();
    size_t at = log.find("deploy=" + deploy + " migration=");
    at = at == std::string::npos ? at : log.find(" checksum ok ", at);
    if (at == std::string::npos) return {-1, -1};
    size_t read = log.find("read_ms=", at), rest = log.find("rest_ms=", at);
    if (read == std::string::npos || rest == std::string::npos) return {-1, -1};
    return {std::stol(log.substr(read + 8)), std::stol(log.substr(rest + 8))};
  };
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY 'plain_" + db_ + "'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE plain ADD COLUMN z INT")) << c->last_error();
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY")) << c->last_error();
  auto [plain_read, plain_rest] = times("plain_" + db_);
  EXPECT_GT(plain_read, 0) << proxy_.log();
  EXPECT_EQ(plain_rest, 0) << proxy_.log();

  ASSERT_TRUE(c->Exec("BEGIN DEPLOY 'gentle_" + db_ + "'"));
  ASSERT_TRUE(c->Exec("ALTER DEPLOY 'gentle_" + db_ + "' THROTTLE RATIO 1")) << c->last_error();
  ASSERT_TRUE(c->Exec("ALTER TABLE gentle ADD COLUMN z INT")) << c->last_error();
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY")) << c->last_error();
  auto [read, rest] = times("gentle_" + db_);
  ASSERT_GT(read, 0) << proxy_.log();
  // 20 chunks of 10,000 rows, a rest as long as the chunk before each of the last 19.
  EXPECT_GE(rest, read * 8 / 10) << proxy_.log();
}

// A prepared XA transaction (its session gone) holds a row the copy needs:
// the copy waits, for as long as it takes, SHOW DEPLOY STATUS says it is
// blocked and by what, and once the XA is committed the copy goes on and
// the deploy seals with the XA's change in it.
TEST_F(DeployOpsTest, ACopyBlockedByAPreparedXaSaysWhyAndGoesOnOnceItEnds) {
  Fill("t", 3000);
  StartProxy({});
  std::string xid = "sgxa_" + db_.substr(0, 40);
  PreparedXa xa(db_, xid, "UPDATE t SET b = 'from the xa' WHERE id = 2500");
  std::string name = "xa_copy_" + db_;
  auto c = Via();
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT")) << c->last_error();
  ASSERT_TRUE(WaitFor([&] { return Status(name, "t")["copy"] == "blocked"; }, 60s)) << proxy_.log();
  Record row = Status(name, "t");
  std::string pace = row["pace"].value_or("");
  EXPECT_NE(pace.find("the copy has waited"), std::string::npos) << pace;
  EXPECT_NE(pace.find("XA RECOVER lists '" + xid + "'"), std::string::npos) << pace;
  EXPECT_NE(pace.find("XA COMMIT or XA ROLLBACK"), std::string::npos) << pace;
  EXPECT_EQ(row["state"], "copying");
  EXPECT_NE(proxy_.log().find("the copy has waited"), std::string::npos) << proxy_.log();

  xa.Commit();
  ASSERT_TRUE(WaitFor([&] { return Status(name, "t")["state"] == "staged"; }, 60s)) << proxy_.log();
  EXPECT_EQ(Status(name, "t")["pace"], std::nullopt);
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY")) << c->last_error();
  EXPECT_EQ(Direct()->Scalar("SELECT b FROM t WHERE id = 2500"), "from the xa");
  EXPECT_EQ(Direct()->Scalar("SELECT COUNT(*) FROM t"), "3000");
}

TEST_F(DeployOpsTest, ShortBinlogRetentionIsWarnedAbout) {
  Fill("t", 1000);
  StartProxy({"--binlog-retention-check-seconds", "1"});
  std::string name = "retention_" + db_;
  auto c = Via();
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT")) << c->last_error();
  ASSERT_TRUE(WaitFor([&] { return Status(name, "t")["state"] == "staged"; }, 60s));
  EXPECT_EQ(Status(name, "t")["binlog_warning"], std::nullopt);

  auto root = Direct();
  std::string saved = root->Scalar("SELECT @@global.binlog_expire_logs_seconds").value_or("0");
  root->MustExec("SET GLOBAL binlog_expire_logs_seconds = 120");
  bool warned = WaitFor([&] { return Status(name, "t")["binlog_warning"].has_value(); }, 20s);
  Record row = Status(name, "t");
  std::string metrics = HttpGet(proxy_.http_port(), "/metrics");
  std::string status = HttpGet(proxy_.http_port(), "/status");
  root->MustExec("SET GLOBAL binlog_expire_logs_seconds = " + saved);

  ASSERT_TRUE(warned) << proxy_.log();
  std::string warning = row["binlog_warning"].value_or("");
  EXPECT_NE(warning.find("binlog_expire_logs_seconds=120"), std::string::npos) << warning;
  EXPECT_NE(warning.find("SET GLOBAL binlog_expire_logs_seconds"), std::string::npos) << warning;
  EXPECT_LE(std::stoll(row["binlog_purge_in_s"].value_or("999999")), 120);
  auto parsed = proxy::testing::CheckExposition(metrics);
  std::string labels = "{deploy=\"" + name + "\",table=\"" + db_ + ".t\"}";
  EXPECT_EQ(parsed.samples["sealgate_migration_binlog_retention_warning" + labels], 1) << metrics;
  EXPECT_LE(parsed.samples["sealgate_migration_binlog_purge_in_seconds" + labels], 120) << metrics;
  EXPECT_NE(status.find("binlog_expire_logs_seconds=120"), std::string::npos) << status;
  EXPECT_NE(proxy_.log().find("binlog retention: binlog"), std::string::npos) << proxy_.log();
  // Retention back to what it was: the warning goes away.
  EXPECT_TRUE(WaitFor([&] { return !Status(name, "t")["binlog_warning"].has_value(); }, 20s));
  ASSERT_TRUE(c->Exec("ROLLBACK DEPLOY")) << c->last_error();
}

TEST_F(DeployOpsTest, StagingCostGuardsRefuseWithClearErrors) {
  Fill("small", 0);
  Fill("big", 50000);
  Fill("other", 0);
  StartProxy({"--storage-max-shadow-bytes", "512K", "--deploy-max-staged-migrations", "1"});
  auto c = Via();
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY"));
  EXPECT_FALSE(c->Exec("ALTER TABLE big ADD COLUMN z INT"));
  EXPECT_EQ(c->last_errno(), 7755u) << c->last_error();
  EXPECT_NE(c->last_error().find("storage.max_shadow_bytes"), std::string::npos) << c->last_error();
  ASSERT_TRUE(c->Exec("ALTER TABLE small ADD COLUMN z INT")) << c->last_error();
  EXPECT_FALSE(c->Exec("ALTER TABLE other ADD COLUMN z INT"));
  EXPECT_EQ(c->last_errno(), 7769u) << c->last_error();
  EXPECT_NE(c->last_error().find("deploy.max_staged_migrations"), std::string::npos) << c->last_error();
  // Nothing was left behind by the refusals.
  EXPECT_EQ(Direct()->Scalar("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '" + db_ +
                             "' AND TABLE_NAME IN ('~big_new', '~other_new')"),
            "0");
  ASSERT_TRUE(c->Exec("ROLLBACK DEPLOY")) << c->last_error();
}

TEST_F(DeployOpsTest, CommitDeployAtSealsAtThatTimeEvenAcrossARestart) {
  Fill("t", 2000);
  // A seal window open now (an hour either side) lets the seal through.
  StartProxy({"--seal-window", ClockIn(-60) + "-" + ClockIn(60)});
  std::string name = "later_" + db_;
  auto c = Via();
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT NOT NULL DEFAULT 9")) << c->last_error();
  EXPECT_FALSE(c->Exec("COMMIT DEPLOY AT '2001-01-01 00:00:00'"));
  EXPECT_EQ(c->last_errno(), 7700u) << c->last_error();
  EXPECT_FALSE(c->Exec("COMMIT DEPLOY AT 'next tuesday'"));
  EXPECT_EQ(c->last_errno(), 7700u) << c->last_error();
  std::string at = UtcIn(8);
  auto asked = std::chrono::steady_clock::now();
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY AT '" + at + "'")) << c->last_error();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 3s) << "the OK comes at once";
  EXPECT_NE(std::string(mysql_info(c->handle()) ? mysql_info(c->handle()) : "").find("scheduled"), std::string::npos);
  EXPECT_EQ(c->Scalar("SELECT 1"), "1") << "the block is closed: the session is free";
  Record d = Deploy(name);
  EXPECT_EQ(d["seal_at"], at);
  EXPECT_EQ(d["state"], "detached");

  RestartProxy();  // the schedule is durable
  EXPECT_EQ(Deploy(name)["seal_at"], at);
  EXPECT_NE(Deploy(name)["state"], "sealed");
  ASSERT_TRUE(WaitFor([&] { return Deploy(name)["state"] == "sealed"; }, 60s)) << proxy_.log();
  d = Deploy(name);
  EXPECT_GE(d["sealed_at"].value_or(""), at) << "sealed before its time";
  EXPECT_EQ(d["seal_at"], std::nullopt);
  EXPECT_EQ(Direct()->Scalar("SELECT SUM(z) FROM t"), "18000");
}

TEST_F(DeployOpsTest, SealWindowDefersAScheduledSeal) {
  Fill("t", 500);
  StartProxy({"--seal-window", ClockIn(120) + "-" + ClockIn(180)});  // opens in two hours
  std::string name = "window_" + db_;
  auto c = Via();
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT")) << c->last_error();
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY AT '" + UtcIn(1) + "'")) << c->last_error();
  EXPECT_NE(std::string(mysql_info(c->handle()) ? mysql_info(c->handle()) : "").find("seal window"),
            std::string::npos);
  ASSERT_TRUE(WaitFor([&] { return Deploy(name)["last_error"].value_or("").find("seal window") != std::string::npos; },
                      20s))
      << proxy_.log();
  std::this_thread::sleep_for(2s);
  EXPECT_NE(Deploy(name)["state"], "sealed");
  EXPECT_EQ(Direct()->Scalar("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '" + db_ +
                             "' AND TABLE_NAME = 't' AND COLUMN_NAME = 'z'"),
            "0");
}

}  // namespace
}  // namespace sealgate::test
