// End-to-end: the seal under the traffic real applications send (DESIGN.md
// §4 step 2). Only a connection that holds one of the deploy's tables delays
// the seal, and nobody is ever held longer than the hold budget: sessions
// idle in a transaction on other tables, autocommit=0 pools, long statements
// elsewhere and lock-holding sessions neither delay the seal nor stall anyone.
// Each failure branch of an attempt is forced through the seal's fault points.
#include <atomic>
#include <chrono>
#include <thread>

#include "deploy/deploy_test_util.h"

namespace sealgate::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

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

// Fault points: each failure branch of an attempt, on a proxy of its own.
class SealFaultTest : public SealTrafficTest {
 protected:
  void SealWithFault(const std::string& spec) {
    ProxyProcess proxy;
    ProxyProcess::Options options;
    options.extra_args = {"--fault-points", spec};
    ASSERT_TRUE(proxy.Start(options)) << proxy.log();
    LatencyWriter writer(proxy.address(), db_, "log");
    auto c = TestConn::Open(proxy.address(), db_);
    EXPECT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT, ADD INDEX ia (a)")) << c->last_error() << "\n" << proxy.log();
    EXPECT_EQ(Columns("t").back(), "z");
    EXPECT_NE(proxy.log().find("attempt abandoned"), std::string::npos) << "the fault did not happen\n" << proxy.log();
    ExpectNobodyHeldTooLong(writer);
    EXPECT_FALSE(TableExists("~!sealgate_gate_a"));
    EXPECT_FALSE(TableExists("~!sealgate_gate_b"));
  }
};

TEST_F(SealFaultTest, TheRenameConnectionLostWhileItHoldsTheTables) {
  SealWithFault("seal.rename_holds_originals=lose:rename@1");
}

TEST_F(SealFaultTest, TheGateConnectionLostBeforeTheGateOpens) { SealWithFault("seal.gate_opening=lose:gate@1"); }

TEST_F(SealFaultTest, TheProbeConnectionLostWhileTheRenameWaits) {
  SealWithFault("seal.rename_issued=lose:probe@1");
}

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

}  // namespace
}  // namespace sealgate::test
