// Several sealgate instances on one metadata schema (DESIGN.md §8): one owns
// the deploys, the others stand by and take over when the owner goes away or
// loses its lease, and two never act as owner at once.
#include <atomic>
#include <thread>

#include "deploy/deploy_test_util.h"

namespace sealgate::test {
namespace {

using namespace std::chrono_literals;

class LeaseTest : public DeployTest {
 protected:
  void SetUp() override {
    DeployTest::SetUp();
    schema_ = "_sgtest_lease";
    TestConn::Open(TestServer())->MustExec("DROP DATABASE IF EXISTS " + schema_);
  }
  void TearDown() override { TestConn::Open(TestServer())->Exec("DROP DATABASE IF EXISTS " + schema_); }
  ProxyProcess::Options Options() {
    ProxyProcess::Options o;
    o.metadata_schema = schema_;
    o.extra_args = {"--deploy-lease-retry-ms", "300", "--deploy-lease-check-ms", "300"};
    return o;
  }
  static std::string Role(const ProxyProcess& p) {
    std::string status = HttpGet(p.http_port(), "/status");
    if (status.find("\"deploy_role\": \"owner\"") != std::string::npos) return "owner";
    if (status.find("\"deploy_role\": \"standby\"") != std::string::npos) return "standby";
    return "?";
  }
  // Polls SHOW DEPLOYS through `p` until it answers; how long that took.
  static std::chrono::milliseconds UntilDeploysAnswer(const ProxyProcess& p, std::chrono::seconds limit) {
    auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < limit) {
      auto c = TestConn::Open(p.address());
      if (c && c->Exec("SHOW DEPLOYS")) break;
      std::this_thread::sleep_for(50ms);
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  }
  // Seals deploy `name` through `owner` after a write made straight to the
  // server (id 60001), stops `writers`, and checks the new schema holds that
  // write and every write the writers were told succeeded.
  void SealAndCheck(const ProxyProcess& owner, const std::string& name, Writers& writers) {
    Direct()->MustExec("INSERT INTO t (id, a) VALUES (60001, 1)");
    auto c = TestConn::Open(owner.address(), db_);
    ASSERT_TRUE(c->Exec("COMMIT DEPLOY '" + name + "'")) << c->last_error() << "\n" << owner.log();
    writers.Join();
    EXPECT_EQ(Columns("t"), (std::vector<std::string>{"id", "a", "b", "c", "z"}));
    auto d = Direct();
    EXPECT_EQ(d->Scalar("SELECT COUNT(*) FROM t WHERE id = 60001"), "1");
    EXPECT_EQ(writers.Missing(*d, "t", 100000), "");
  }
  void StageNamedDeploy(const ProxyProcess& owner, const std::string& name) {
    auto c = TestConn::Open(owner.address(), db_);
    ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'")) << c->last_error();
    ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT NOT NULL DEFAULT 3")) << c->last_error();
    ASSERT_TRUE(c->Exec("END DEPLOY")) << c->last_error();
  }
  std::string schema_;
};

TEST_F(LeaseTest, StandbyNamesTheOwnerAndTakesOverWhenItIsKilled) {
  Fill("t", 3000);
  ProxyProcess a, b;
  ASSERT_TRUE(a.Start(Options())) << a.log();
  ASSERT_TRUE(b.Start(Options())) << b.log();
  EXPECT_EQ(Role(a), "owner");
  EXPECT_EQ(Role(b), "standby");
  EXPECT_NE(HttpGet(b.http_port(), "/metrics").find("sealgate_deploy_owner 0"), std::string::npos);
  EXPECT_NE(HttpGet(a.http_port(), "/metrics").find("sealgate_deploy_owner 1"), std::string::npos);
  {
    auto c = TestConn::Open(b.address(), db_);
    EXPECT_FALSE(c->Exec("SHOW DEPLOYS"));
    EXPECT_EQ(c->last_errno(), 7771u) << c->last_error();
    // The standby says who owns the deploys.
    EXPECT_NE(c->last_error().find("listen 127.0.0.1:" + std::to_string(a.port())), std::string::npos)
        << c->last_error();
  }
  std::string name = "failover_" + db_;
  StageNamedDeploy(a, name);
  // Clients of the standby keep writing through it across the failover.
  Writers writers;
  writers.Run(b.address(), db_, {"t"}, 100000);
  std::this_thread::sleep_for(300ms);
  a.Kill();
  Direct()->MustExec("INSERT INTO t (id, a) VALUES (60002, 1)");  // after the owner died
  auto took = UntilDeploysAnswer(b, 15s);
  EXPECT_LT(took, 5000ms) << b.log();
  EXPECT_EQ(Role(b), "owner");
  // The migration keeps tailing under the new owner.
  EXPECT_TRUE(WaitFor([&] { return Direct()->Scalar("SELECT COUNT(*) FROM `~t_new` WHERE id = 60002") == "1"; }, 15s))
      << b.log();
  SealAndCheck(b, name, writers);
  EXPECT_EQ(Direct()->Scalar("SELECT COUNT(*) FROM t WHERE id = 60002"), "1");
  EXPECT_GT(writers.acknowledged["t"].size(), 10u);
}

TEST_F(LeaseTest, OwnerWhoseLeaseConnectionIsKilledFencesItselfAndOneOwnerRemains) {
  Fill("t", 3000);
  ProxyProcess a, b;
  ASSERT_TRUE(a.Start(Options())) << a.log();
  ASSERT_TRUE(b.Start(Options())) << b.log();
  ASSERT_EQ(Role(a), "owner");
  std::string name = "fenced_" + db_;
  StageNamedDeploy(a, name);
  Writers writers;
  writers.Run(a.address(), db_, {"t"}, 100000);
  writers.Run(b.address(), db_, {"t"}, 200000);

  // Watch both instances: never both owner.
  std::atomic<bool> watching{true};
  std::atomic<int> both_owner{0}, samples{0};
  std::set<std::string> seen;
  std::mutex seen_mu;
  std::thread watcher([&] {
    while (watching) {
      std::string ra = Role(a), rb = Role(b);
      if (ra == "owner" && rb == "owner") ++both_owner;
      ++samples;
      std::lock_guard<std::mutex> lock(seen_mu);
      seen.insert(ra + "/" + rb);
    }
  });
  std::this_thread::sleep_for(300ms);
  auto root = Direct();
  std::string lease_conn = root->Scalar("SELECT IS_USED_LOCK('sealgate-engine:" + schema_ + "')").value_or("");
  ASSERT_FALSE(lease_conn.empty());
  // A third party waits for the lock, so it gets it the moment the owner's
  // lease connection dies and keeps it for a while: the owner cannot take
  // its lease back, and must fence itself.
  auto grab = Direct();
  std::thread grabber([&] {
    EXPECT_EQ(grab->Scalar("SELECT GET_LOCK('sealgate-engine:" + schema_ + "', 20)"), "1");
    std::this_thread::sleep_for(1500ms);
    grab->MustExec("DO RELEASE_LOCK('sealgate-engine:" + schema_ + "')");
  });
  ASSERT_TRUE(WaitFor([&] { return root->Scalar("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE "
                                                "STATE = 'User lock'") == "1"; }, 10s));
  root->MustExec("KILL " + lease_conn);
  grabber.join();
  // Someone owns the deploys again, through whichever instance that is.
  bool answered = WaitFor([&] { return Role(a) == "owner" || Role(b) == "owner"; }, 15s);
  std::this_thread::sleep_for(1500ms);
  watching = false;
  watcher.join();
  ASSERT_TRUE(answered) << a.log() << b.log();
  EXPECT_EQ(both_owner.load(), 0) << "samples " << samples.load();
  EXPECT_GT(samples.load(), 20);
  EXPECT_NE(a.log().find("lost the deploy lease"), std::string::npos) << a.log();
  const ProxyProcess& owner = Role(a) == "owner" ? a : b;
  const ProxyProcess& other = &owner == &a ? b : a;
  EXPECT_EQ(Role(other), "standby");
  {
    auto c = TestConn::Open(other.address(), db_);
    EXPECT_FALSE(c->Exec("SHOW DEPLOYS"));
    EXPECT_EQ(c->last_errno(), 7771u) << c->last_error();
  }
  // The new owner's lease is held by a live connection, and its epoch moved on.
  EXPECT_NE(root->Scalar("SELECT IS_USED_LOCK('sealgate-engine:" + schema_ + "')").value_or(""), lease_conn);
  EXPECT_EQ(root->Scalar("SELECT epoch FROM " + schema_ + ".lease"), "2");
  SealAndCheck(owner, name, writers);
}

TEST_F(LeaseTest, OwnerWhoseLeaseConnectionIsKilledTakesItBackWhenNobodyElseDid) {
  // The lease connection dies (a KILL here; a server restart does the same)
  // while no other instance is there: the owner takes its lease back with
  // the same epoch and its migration keeps tailing.
  Fill("t", 500);
  ProxyProcess a;
  ASSERT_TRUE(a.Start(Options())) << a.log();
  std::string name = "reacquired_" + db_;
  StageNamedDeploy(a, name);
  auto root = Direct();
  std::string lease_conn = root->Scalar("SELECT IS_USED_LOCK('sealgate-engine:" + schema_ + "')").value_or("");
  ASSERT_FALSE(lease_conn.empty());
  root->MustExec("KILL " + lease_conn);
  EXPECT_TRUE(WaitFor([&] {
    std::string now = root->Scalar("SELECT IS_USED_LOCK('sealgate-engine:" + schema_ + "')").value_or("");
    return !now.empty() && now != lease_conn;
  }, 10s)) << a.log();
  EXPECT_EQ(root->Scalar("SELECT epoch FROM " + schema_ + ".lease"), "1");
  EXPECT_NE(a.log().find("lease taken again"), std::string::npos) << a.log();
  EXPECT_EQ(a.log().find("lost the deploy lease"), std::string::npos) << a.log();
  EXPECT_EQ(Role(a), "owner");
  root->MustExec("INSERT INTO t (id, a) VALUES (60001, 1)");
  EXPECT_TRUE(WaitFor([&] { return root->Scalar("SELECT COUNT(*) FROM `~t_new` WHERE id = 60001") == "1"; }, 15s))
      << a.log();
  auto c = TestConn::Open(a.address(), db_);
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY '" + name + "'")) << c->last_error() << "\n" << a.log();
  EXPECT_EQ(Columns("t"), (std::vector<std::string>{"id", "a", "b", "c", "z"}));
}

TEST_F(LeaseTest, TakeoverStampsANewEpochOnEveryMigrationRow) {
  // The epoch fence itself: a transaction still open on the old epoch's
  // migration row when the lease changes hands finds no row to update.
  Fill("t", 500);
  ProxyProcess a;
  ASSERT_TRUE(a.Start(Options())) << a.log();
  StageNamedDeploy(a, "epoch_" + db_);
  auto root = Direct();
  std::string before = root->Scalar("SELECT MAX(lease_epoch) FROM " + schema_ + ".migrations").value_or("");
  EXPECT_EQ(before, root->Scalar("SELECT epoch FROM " + schema_ + ".lease"));
  a.Kill();
  ProxyProcess b;
  ASSERT_TRUE(b.Start(Options())) << b.log();
  EXPECT_EQ(Role(b), "owner");
  EXPECT_EQ(root->Scalar("SELECT MAX(lease_epoch) FROM " + schema_ + ".migrations"),
            std::to_string(std::stoi(before) + 1));
  EXPECT_EQ(root->Scalar("SELECT COUNT(*) FROM " + schema_ + ".migrations WHERE state IN ('copying','staged') "
                         "AND lease_epoch = " + before),
            "0");
}

}  // namespace
}  // namespace sealgate::test
