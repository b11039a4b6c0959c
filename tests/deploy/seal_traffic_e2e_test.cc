// End-to-end: the seal under the traffic real applications send (DESIGN.md
// §4 step 2). Only a connection that holds one of the deploy's tables delays
// the seal, and nobody is ever held longer than the hold budget: sessions
// idle in a transaction on other tables, autocommit=0 pools, long statements
// elsewhere and lock-holding sessions neither delay the seal nor stall anyone.
// Each failure branch of an attempt is forced through the seal's fault points.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <chrono>
#include <thread>
#include <tuple>

#include "deploy/deploy_test_util.h"

namespace sealgate::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

constexpr auto kBudget = 500ms;  // seal.max_hold_ms's default
constexpr auto kSlack = 50ms;

// Inserts into `table` through the proxy every 5 ms and keeps the largest
// latency any of its statements saw, and every acknowledged id.
class LatencyWriter {
 public:
  LatencyWriter(const ServerAddress& addr, const std::string& db, const std::string& table) {
    thread_ = std::thread([=, this] {
      TestConn c;
      if (!c.Connect(addr, db)) {
        ++errors_;
        return;
      }
      for (int i = 1; !stop_; ++i) {
        auto begun = Clock::now();
        bool ok = c.Exec("INSERT INTO " + table + " (id, a) VALUES (" + std::to_string(1000000 + i) + ", 1)");
        auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - begun);
        if (ok) {
          acknowledged_ = i;
        } else {
          ++errors_;
          last_error_ = c.last_error();
        }
        if (took.count() > worst_ms_) worst_ms_ = took.count();
        std::this_thread::sleep_for(5ms);
      }
    });
  }
  ~LatencyWriter() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int64_t worst_ms() const { return worst_ms_; }
  int errors() const { return errors_; }
  int acknowledged() const { return acknowledged_; }
  std::string last_error() const { return last_error_; }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> worst_ms_{0};
  std::atomic<int> errors_{0};
  std::atomic<int> acknowledged_{0};
  std::string last_error_;
  std::thread thread_;
};

class SealTrafficTest : public DeployTest {
 protected:
  void SetUp() override {
    DeployTest::SetUp();
    Fill("t", 2000);
    Fill("other", 100);
    Fill("log", 1);
  }
  // A plain online ALTER of t through the proxy (a copy, staged and sealed:
  // the index makes it more than a metadata change); how long it took.
  Clock::duration AlterT(std::chrono::seconds limit = 60s) {
    auto c = Via();
    auto begun = Clock::now();
    EXPECT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT, ADD INDEX ia (a)")) << c->last_error() << "\n" << proxy_.log();
    auto took = Clock::now() - begun;
    EXPECT_LT(took, limit);
    EXPECT_EQ(Columns("t").back(), "z");
    return took;
  }
  void ExpectNobodyHeldTooLong(LatencyWriter& w) {
    w.Stop();
    EXPECT_EQ(w.errors(), 0) << w.last_error();
    EXPECT_GT(w.acknowledged(), 0);
    EXPECT_LE(w.worst_ms(), (kBudget + kSlack).count()) << "a client was held longer than the hold budget";
    EXPECT_EQ(Direct()->Scalar("SELECT COUNT(*) FROM log WHERE id > 1000000"), std::to_string(w.acknowledged()));
  }
  // The reason SHOW DEPLOYS gives for the only deploy of this test's database, polled until it contains `what`.
  std::string WaitReason(const std::string& what, std::chrono::seconds limit) {
    std::string why;
    WaitFor(
        [&] {
          for (auto& r : Via()->Query("SHOW DEPLOYS")) {
            if (r.back() && r.back()->find(what) != std::string::npos) why = *r.back();
          }
          return !why.empty();
        },
        limit);
    return why;
  }
};

TEST_F(SealTrafficTest, AnIdleTransactionOnAnotherTableNeitherDelaysNorStallsTheSeal) {
  auto idle = Via();
  idle->MustExec("SET autocommit = 0");
  EXPECT_EQ(idle->Scalar("SELECT COUNT(*) FROM other"), "100");  // then idle, as DB-API drivers leave it
  LatencyWriter writer(proxy_.address(), db_, "log");
  AlterT(30s);
  ExpectNobodyHeldTooLong(writer);
  EXPECT_TRUE(idle->Exec("COMMIT")) << idle->last_error();
}

TEST_F(SealTrafficTest, AnAutocommitOffPoolDoesNotDelayTheSeal) {
  std::vector<std::unique_ptr<TestConn>> pool;
  for (int i = 0; i < 10; ++i) {
    pool.push_back(Via());
    pool.back()->MustExec("SET autocommit = 0");
    EXPECT_EQ(pool.back()->Scalar("SELECT a FROM other WHERE id = " + std::to_string(i + 1)), std::to_string(i + 1));
  }
  LatencyWriter writer(proxy_.address(), db_, "log");
  AlterT(30s);
  ExpectNobodyHeldTooLong(writer);
}

TEST_F(SealTrafficTest, ALongSelectOnAnotherTableDoesNotDelayTheSeal) {
  auto report = Via();
  std::thread long_select([&] { EXPECT_TRUE(report->Query("SELECT COUNT(*), SLEEP(12) FROM other").size() == 1); });
  std::this_thread::sleep_for(300ms);
  LatencyWriter writer(proxy_.address(), db_, "log");
  auto took = AlterT(60s);
  EXPECT_LT(took, 11s) << "the seal waited for a statement on another table";
  ExpectNobodyHeldTooLong(writer);
  long_select.join();
}

TEST_F(SealTrafficTest, ATransactionOnTheTableDelaysTheSealWithoutStallingAnyoneAndIsNamed) {
  auto reader = Via();
  auto reader_id = reader->Scalar("SELECT CONNECTION_ID()").value_or("?");
  reader->MustExec("BEGIN");
  EXPECT_EQ(reader->Scalar("SELECT a FROM t WHERE id = 1"), "1");
  LatencyWriter writer(proxy_.address(), db_, "log");
  auto c = Via();
  std::string name = "blocked_" + db_;
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT")) << c->last_error();
  ASSERT_TRUE(c->Exec("END DEPLOY"));
  Clock::time_point sealed_at;
  std::thread commit([&] {
    EXPECT_TRUE(c->Exec("COMMIT DEPLOY '" + name + "'")) << c->last_error();
    sealed_at = Clock::now();
  });
  std::string why = WaitReason("connection " + reader_id, 60s);
  // Who, as whom, doing what, and how to end it.
  EXPECT_NE(why.find("idle in a transaction"), std::string::npos) << why;
  EXPECT_NE(why.find("last ran: SELECT a FROM t WHERE id = 1"), std::string::npos) << why;
  EXPECT_NE(why.find("KILL " + reader_id), std::string::npos) << why;
  EXPECT_NE(proxy_.log().find("connection " + reader_id), std::string::npos) << "the log does not name the blocker";
  std::this_thread::sleep_for(2s);
  EXPECT_EQ(Columns("t").back(), "c") << "sealed under the reader's transaction";
  auto committed_at = Clock::now();
  reader->MustExec("COMMIT");
  commit.join();
  EXPECT_LT(sealed_at - committed_at, 3s) << "the seal did not go ahead soon after the blocker ended";
  EXPECT_EQ(Columns("t").back(), "z");
  ExpectNobodyHeldTooLong(writer);
}

TEST_F(SealTrafficTest, LockTablesElsewhereDoesNotDelayButHandlerOnTheTableDoes) {
  auto locker = Via();
  locker->MustExec("LOCK TABLES other WRITE");
  auto handler = Via();
  handler->MustExec("HANDLER t OPEN");
  auto handler_id = handler->Scalar("SELECT CONNECTION_ID()").value_or("?");
  auto c = Via();
  std::thread alter([&] { EXPECT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT, ADD INDEX ia (a)")) << c->last_error(); });
  std::string why = WaitReason("connection " + handler_id, 60s);
  EXPECT_FALSE(why.empty());
  handler->MustExec("HANDLER t CLOSE");
  alter.join();
  EXPECT_EQ(Columns("t").back(), "z");
  locker->MustExec("INSERT INTO other (a) VALUES (5)");  // its locks were never in the way
  locker->MustExec("UNLOCK TABLES");
}

TEST_F(SealTrafficTest, KillQueryEndsAWaitingCommitWithNothingHalfDone) {
  auto reader = Direct();
  reader->MustExec("BEGIN");
  EXPECT_EQ(reader->Scalar("SELECT a FROM t WHERE id = 1"), "1");
  auto c = Via();
  auto c_id = c->Scalar("SELECT CONNECTION_ID()").value_or("?");
  std::string name = "killed_" + db_;
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT")) << c->last_error();
  bool committed = true;
  unsigned err = 0;
  std::thread commit([&] {
    committed = c->Exec("COMMIT DEPLOY");
    err = c->last_errno();
  });
  EXPECT_FALSE(WaitReason("idle in a transaction", 60s).empty());
  EXPECT_TRUE(Via()->Exec("KILL QUERY " + c_id));
  commit.join();
  EXPECT_FALSE(committed);
  EXPECT_EQ(err, 1317u) << c->last_error();
  EXPECT_EQ(Columns("t").back(), "c");
  // The block is still open and usable: roll it back.
  reader->MustExec("COMMIT");
  EXPECT_TRUE(c->Exec("ROLLBACK DEPLOY")) << c->last_error();
  EXPECT_FALSE(TableExists("~t_new"));
}

TEST_F(SealTrafficTest, RollbackDeployEndsAWaitingCommit) {
  auto reader = Direct();
  reader->MustExec("BEGIN");
  EXPECT_EQ(reader->Scalar("SELECT a FROM t WHERE id = 1"), "1");
  auto c = Via();
  std::string name = "rolled_" + db_;
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT")) << c->last_error();
  ASSERT_TRUE(c->Exec("END DEPLOY"));
  bool committed = true;
  std::thread commit([&] { committed = c->Exec("COMMIT DEPLOY '" + name + "'"); });
  EXPECT_FALSE(WaitReason("idle in a transaction", 60s).empty());
  auto other = Via();
  EXPECT_TRUE(other->Exec("ROLLBACK DEPLOY '" + name + "'")) << other->last_error();
  commit.join();
  EXPECT_FALSE(committed);
  EXPECT_EQ(Columns("t").back(), "c");
  EXPECT_FALSE(TableExists("~t_new"));
  reader->MustExec("COMMIT");
}

TEST_F(SealTrafficTest, ConnectionChurnDuringTheSealDoesNotDelayItNorFail) {
  // 500 connections open, run a statement and close through the proxy while the seal runs.
  std::atomic<int> opened{0}, failed{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> churn;
  for (int w = 0; w < 4; ++w) {
    churn.emplace_back([&] {
      while (!stop && opened < 500) {
        TestConn c;
        if (!c.Connect(proxy_.address(), db_) || !c.Scalar("SELECT COUNT(*) FROM other")) ++failed;
        ++opened;
      }
    });
  }
  LatencyWriter writer(proxy_.address(), db_, "log");
  AlterT(60s);
  for (auto& t : churn) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_GE(opened.load(), 500);
  ExpectNobodyHeldTooLong(writer);
}

TEST_F(SealTrafficTest, TenTablesSealUnderWritersWithIdlePoolConnections) {
  std::vector<std::string> tables;
  for (int i = 0; i < 10; ++i) {
    tables.push_back("w" + std::to_string(i));
    Fill(tables.back(), 500);
  }
  std::vector<std::unique_ptr<TestConn>> pool;  // three pooled connections idle inside transactions
  for (int i = 0; i < 3; ++i) {
    pool.push_back(Via());
    pool.back()->MustExec("SET autocommit = 0");
    EXPECT_EQ(pool.back()->Scalar("SELECT COUNT(*) FROM other"), "100");
  }
  Writers writers;
  for (int w = 0; w < 4; ++w) writers.Run(proxy_.address(), db_, tables, 100000 * (w + 1));
  writers.Run(TestServer(), db_, tables, 900000);  // one writer bypasses the proxy
  LatencyWriter latency(proxy_.address(), db_, "log");
  auto c = Via();
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY"));
  for (const auto& t : tables) ASSERT_TRUE(c->Exec("ALTER TABLE " + t + " ADD COLUMN z INT, ADD INDEX ia (a)")) << c->last_error();
  std::this_thread::sleep_for(500ms);
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY")) << c->last_error() << "\n" << proxy_.log();
  std::this_thread::sleep_for(300ms);
  writers.Join();
  EXPECT_EQ(writers.errors.load(), 0) << (writers.error_text.empty() ? "" : writers.error_text.front());
  auto direct = Direct();
  for (const auto& t : tables) {
    EXPECT_EQ(Columns(t).back(), "z") << t;
    EXPECT_EQ(writers.Missing(*direct, t, 100000), "") << t;
  }
  ExpectNobodyHeldTooLong(latency);
  std::string log = proxy_.log();
  size_t at = log.find(" seal hold_ms=");
  ASSERT_NE(at, std::string::npos) << log;
  EXPECT_LE(std::stoi(log.substr(at + 14)), kBudget.count()) << log.substr(at, 80);
}

// Transactions that write two of the deploy's tables (sysbench's shape):
// one that holds a table the RENAME has not reached yet and then wants one it
// has taken would be a metadata-lock deadlock, which the server ends by
// failing the transaction's statement (1213). Seals and reverts under such
// traffic end none of them.
TEST_F(SealTrafficTest, TransactionsAcrossTheDeploysTablesAreNotEndedByTheSeal) {
  const std::vector<std::string> tables = {"m0", "m1", "m2", "m3"};
  for (const auto& t : tables) Fill(t, 300);
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0}, commits{0};
  std::mutex mu;
  std::string first_error;
  std::vector<std::thread> threads;
  for (int w = 0; w < 6; ++w) {
    threads.emplace_back([&, w] {
      TestConn c;
      if (!c.Connect(proxy_.address(), db_)) {
        ++errors;
        return;
      }
      for (int i = 0; !stop; ++i) {
        // Two different tables, in either order.
        const std::string& a = tables[(w + i) % tables.size()];
        const std::string& b = tables[(w + i + 1 + i % 2) % tables.size()];
        std::string step = "BEGIN";
        bool ok = c.Exec(step);
        // Rows of this writer's own (ids w*50+1 .. w*50+50): the writers
        // cannot deadlock among themselves, only with the seal.
        const std::string row = std::to_string(w * 50 + 1 + i % 50);
        if (ok) ok = c.Exec(step = "UPDATE " + a + " SET c = c + 1 WHERE id = " + row);
        std::this_thread::sleep_for(2ms);
        if (ok) ok = c.Exec(step = "UPDATE " + b + " SET c = c + 1 WHERE id = " + row);
        if (ok) ok = c.Exec(step = "COMMIT");
        if (ok) {
          ++commits;
        } else {
          std::lock_guard<std::mutex> lock(mu);
          char when[32];
          time_t now = time(nullptr);
          strftime(when, sizeof when, "%H:%M:%S", gmtime(&now));
          if (errors++ == 0) first_error = std::string(when) + " " + step + ": " + c.last_error();
          (void)c.Exec("ROLLBACK");
        }
      }
    });
  }
  auto c = Via();
  for (int round = 0; round < 3; ++round) {
    const std::string name = "cross" + std::to_string(round);
    ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'"));
    for (const auto& t : tables) ASSERT_TRUE(c->Exec("ALTER TABLE " + t + " FORCE")) << c->last_error();
    ASSERT_TRUE(c->Exec("COMMIT DEPLOY '" + name + "'")) << c->last_error() << "\n" << proxy_.log();
    std::this_thread::sleep_for(200ms);
    ASSERT_TRUE(c->Exec("REVERT DEPLOY '" + name + "'")) << c->last_error() << "\n" << proxy_.log();
    std::this_thread::sleep_for(200ms);
    ASSERT_TRUE(c->Exec("FINALIZE DEPLOY '" + name + "'")) << c->last_error();
  }
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0) << first_error;
  EXPECT_GT(commits.load(), 100);
}

// Fault points: each failure branch of an attempt, on a proxy of its own.
class SealFaultTest : public SealTrafficTest {
 protected:
  // `abandoned`: the fault must end the first attempt (otherwise it may not
  // matter: a connection the attempt no longer needs).
  void SealWithFault(const std::string& spec, bool abandoned = true) {
    ProxyProcess proxy;
    ProxyProcess::Options options;
    options.extra_args = {"--fault-points", spec};
    ASSERT_TRUE(proxy.Start(options)) << proxy.log();
    LatencyWriter writer(proxy.address(), db_, "log");
    auto c = TestConn::Open(proxy.address(), db_);
    EXPECT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT, ADD INDEX ia (a)")) << c->last_error() << "\n" << proxy.log();
    EXPECT_EQ(Columns("t").back(), "z");
    if (abandoned) {
      EXPECT_NE(proxy.log().find("attempt abandoned"), std::string::npos) << "the fault did not happen\n" << proxy.log();
    }
    EXPECT_NE(proxy.log().find("fault points armed"), std::string::npos);
    ExpectNobodyHeldTooLong(writer);
    EXPECT_FALSE(TableExists("~!sealgate_gate_a"));
    EXPECT_FALSE(TableExists("~!sealgate_gate_b"));
  }
};

// Each of the seal's three connections lost at each step of an attempt: the
// attempt is abandoned with nothing renamed, no client held past the budget,
// and the retry seals.
class SealConnectionLossTest : public SealFaultTest,
                               public ::testing::WithParamInterface<std::tuple<const char*, const char*>> {};

TEST_P(SealConnectionLossTest, IsAllOrNothingAndTheRetrySeals) {
  auto [point, role] = GetParam();
  // Once the RENAME holds the originals the probe has done its work: losing it then changes nothing.
  const std::string p = point;
  const bool needed = std::string(role) != "probe" || (p != "seal.rename_holds_originals" && p != "seal.gate_opening");
  SealWithFault(p + "=lose:" + role + "@1", needed);
}

INSTANTIATE_TEST_SUITE_P(
    Steps, SealConnectionLossTest,
    ::testing::Combine(::testing::Values("seal.gate_taken", "seal.hold_begun", "seal.rename_issued",
                                         "seal.rename_holds_originals", "seal.gate_opening"),
                       ::testing::Values("gate", "rename", "probe")),
    [](const ::testing::TestParamInfo<std::tuple<const char*, const char*>>& info) {
      std::string name = std::string(std::get<0>(info.param)) + "_" + std::get<1>(info.param);
      for (char& ch : name) {
        if (ch == '.') ch = '_';
      }
      return name;
    });

TEST_F(SealFaultTest, AnAttemptPastTheBudgetIsAbandonedAndClientsReleased) {
  SealWithFault("seal.rename_holds_originals=delay:1500@1");
}

TEST_F(SealFaultTest, ACrashAfterTheRenameIsRecoveredAsSealed) {
  {
    ProxyProcess proxy;
    ProxyProcess::Options options;
    options.metadata_schema = "_sgtest_crash_" + std::to_string(getpid());
    options.extra_args = {"--fault-points", "seal.renamed=crash"};
    ASSERT_TRUE(proxy.Start(options)) << proxy.log();
    auto c = TestConn::Open(proxy.address(), db_);
    EXPECT_FALSE(c->Exec("ALTER TABLE t ADD COLUMN z INT, ADD INDEX ia (a)"));  // the proxy died under it
    EXPECT_TRUE(WaitFor([&] { return Columns("t").back() == "z"; }, 10s));
    proxy.Kill();
    ProxyProcess again;
    options.extra_args = {};
    ASSERT_TRUE(again.Start(options)) << again.log();
    EXPECT_FALSE(TableExists("~!sealgate_gate_a")) << again.log();
    EXPECT_FALSE(TableExists("~!sealgate_gate_b")) << again.log();
    // The next change of the same table goes through.
    auto d = TestConn::Open(again.address(), db_);
    EXPECT_TRUE(WaitFor([&] { return d->Exec("ALTER TABLE t ADD COLUMN y INT"); }, 30s)) << d->last_error() << again.log();
    EXPECT_EQ(Columns("t").back(), "y");
  }
}

// The server itself restarts (killed) while the RENAME holds the originals:
// all or nothing, nothing left behind, and the deploy seals once it is back.
TEST(SealServerRestart, TheServerKilledMidSealLeavesAllOrNothingAndTheDeploySealsLater) {
  std::string dir = ScratchDir() + "/seal-restart";
  int port = FreePort();
  std::string script = SourceDir() + "/scripts/mariadb.sh";
  std::string start = script + " start " + dir + " " + std::to_string(port) + " 11 >/dev/null";
  std::string stop = script + " stop " + dir + " >/dev/null";
  ASSERT_EQ(system(start.c_str()), 0);
  struct StopAtExit {
    std::string cmd;
    ~StopAtExit() { (void)system(cmd.c_str()); }
  } stop_at_exit{stop};
  ServerAddress addr{"127.0.0.1", port, "sealgate", "sealgate"};
  auto admin = TestConn::Open(addr);
  admin->MustExec("DROP DATABASE IF EXISTS sr");
  admin->MustExec("CREATE DATABASE sr CHARACTER SET utf8mb4");
  admin->MustExec("CREATE TABLE sr.t (id INT PRIMARY KEY, a INT NOT NULL)");
  admin->MustExec("INSERT INTO sr.t SELECT seq, seq FROM sr.seq_1_to_2000");
  ProxyProcess proxy;
  ProxyProcess::Options options;
  options.upstream = addr;
  options.extra_args = {"--seal-max-hold-ms", "20000", "--fault-points", "seal.rename_holds_originals=delay:4000@1"};
  ASSERT_TRUE(proxy.Start(options)) << proxy.log();
  auto c = TestConn::Open(proxy.address(), "sr");
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY 'restart'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT, ADD INDEX ia (a)")) << c->last_error();
  ASSERT_TRUE(c->Exec("END DEPLOY"));
  std::thread commit([&] { (void)c->Exec("COMMIT DEPLOY 'restart'"); });  // its connection dies with the server
  // Wait until the RENAME holds the originals (it waits at the gate), then kill the server.
  ASSERT_TRUE(WaitFor([&] {
    return admin->Scalar("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'RENAME TABLE%'") == "1";
  }, std::chrono::seconds(60))) << proxy.log();
  std::string pid = ReadFile(dir + "/mariadb.pid");
  ASSERT_FALSE(pid.empty());
  ASSERT_EQ(system(("kill -9 " + pid).c_str()), 0);
  // Gone (a zombie nobody reaped yet counts as gone); its pid file would say otherwise.
  ASSERT_TRUE(WaitFor([&] {
    std::string stat = ReadFile("/proc/" + pid + "/stat");
    size_t paren = stat.rfind(')');
    return stat.empty() || (paren != std::string::npos && stat.compare(paren + 2, 1, "Z") == 0);
  }, std::chrono::seconds(30)));
  std::remove((dir + "/mariadb.pid").c_str());
  commit.join();
  ASSERT_EQ(system(start.c_str()), 0);
  admin = TestConn::Open(addr, "sr");
  auto has = [&](const std::string& table) {
    return admin->Scalar("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='sr' AND TABLE_NAME='" +
                         table + "'") == "1";
  };
  auto has_z = [&] {
    return admin->Scalar("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='sr' AND "
                         "TABLE_NAME='t' AND COLUMN_NAME='z'") == "1";
  };
  // All or nothing: the server's crash recovery undid the RENAME as a whole
  // (or sealgate's retry has already sealed it, as a whole).
  bool before = has("~t_new") && !has("~t_old") && !has_z();
  bool after = !has("~t_new") && has("~t_old") && has_z();
  EXPECT_TRUE(before || after) << "half a RENAME after the server's restart";
  admin->MustExec("INSERT INTO t VALUES (5000, 5)");  // written while nothing is sealed
  // The deploy is sealed once the server is back (the migration resumes first).
  auto d = TestConn::Open(proxy.address(), "sr");
  auto sealed = [&] {
    for (auto& r : d->Query("SHOW DEPLOYS")) {
      if (r[0] == "restart" && r[1] == "sealed") return true;
    }
    return false;
  };
  EXPECT_TRUE(WaitFor([&] { return sealed() || d->Exec("COMMIT DEPLOY 'restart'"); }, std::chrono::seconds(90)))
      << d->last_error() << "\n" << proxy.log();
  EXPECT_TRUE(has_z());
  EXPECT_EQ(admin->Scalar("SELECT a FROM t WHERE id = 5000"), "5");
  EXPECT_EQ(admin->Scalar("SELECT COUNT(*) FROM t"), "2001");
  EXPECT_FALSE(has("~!sealgate_gate_a"));
  EXPECT_FALSE(has("~!sealgate_gate_b"));
  proxy.Stop();
}

}  // namespace
}  // namespace sealgate::test
