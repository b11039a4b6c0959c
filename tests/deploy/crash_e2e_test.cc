// End-to-end: sealgate killed (SIGKILL, through its fault points) at each
// step of a seal and of a revert, restarted, and then the *next* deploy of the
// same table run with direct writes around it: nothing lost, nothing blocked,
// no migration left running for a deploy that moved on. With the checksum
// off, so that a stale migration replaying old rows would show as lost updates
// rather than as a refused seal.
#include <ostream>
#include <string>

#include "deploy/deploy_test_util.h"

namespace sealgate::test {
namespace {

using namespace std::chrono_literals;

struct CrashCase {
  const char* point;  // fault point where sealgate dies
  bool revert;        // in REVERT DEPLOY (after a clean seal), not COMMIT DEPLOY
};

void PrintTo(const CrashCase& c, std::ostream* os) { *os << (c.revert ? "revert at " : "commit at ") << c.point; }

class CrashTest : public DeployTest, public ::testing::WithParamInterface<CrashCase> {
 protected:
  std::string Schema() const { return "_sgtest_crash_" + std::to_string(getpid()); }
  bool StartProxy(ProxyProcess* p, const std::string& faults) {
    ProxyProcess::Options o;
    o.metadata_schema = Schema();
    o.extra_args = {"--seal-verify-checksum", "false"};
    if (!faults.empty()) o.extra_args.insert(o.extra_args.end(), {"--fault-points", faults});
    return p->Start(o);
  }
  std::string State(ProxyProcess& p, const std::string& name) {
    for (auto& r : TestConn::Open(p.address(), db_)->Query("SHOW DEPLOYS")) {
      if (r[0] == name) return r[1].value_or("");
    }
    return "";
  }
  // Migrations recorded as running (copying, staged, failed) in sealgate's metadata.
  std::string Running() {
    return Direct()->Scalar("SELECT COUNT(*) FROM `" + Schema() +
                            "`.migrations WHERE state IN ('copying', 'staged', 'failed')").value_or("?");
  }
  void TearDown() override { (void)Direct()->Exec("DROP DATABASE IF EXISTS `" + Schema() + "`"); }
};

TEST_P(CrashTest, TheNextDeployOfTheTableLosesNothing) {
  const CrashCase& cc = GetParam();
  Fill("t", 200);
  ProxyProcess first;
  // In a revert, the seal's own steps are reached a second time (the first was the COMMIT's).
  std::string point = cc.point;
  std::string revert_fault = point + (point.rfind("seal.", 0) == 0 ? "=crash@2" : "=crash");
  ASSERT_TRUE(StartProxy(&first, cc.revert ? revert_fault : ""));
  ProxyProcess* crashing = &first;
  ProxyProcess sealer;
  auto c = TestConn::Open(first.address(), db_);
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY 'd1'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT, ADD INDEX ia (a)")) << c->last_error();
  ASSERT_TRUE(c->Exec("END DEPLOY"));
  if (!cc.revert) {
    // The seal itself crashes: a second instance is started with the fault armed.
    first.Kill();
    ASSERT_TRUE(StartProxy(&sealer, std::string(cc.point) + "=crash")) << sealer.log();
    crashing = &sealer;
    c = TestConn::Open(sealer.address(), db_);
    EXPECT_FALSE(c->Exec("COMMIT DEPLOY 'd1'")) << "sealgate did not reach " << cc.point;
  } else {
    ASSERT_TRUE(c->Exec("COMMIT DEPLOY 'd1'")) << c->last_error();
    EXPECT_FALSE(c->Exec("REVERT DEPLOY 'd1'")) << "sealgate did not reach " << cc.point;
  }
  crashing->Kill();

  ProxyProcess second;
  ASSERT_TRUE(StartProxy(&second, "")) << second.log();
  auto d = TestConn::Open(second.address(), db_);
  std::string state = State(second, "d1");
  if (!cc.revert && state != "sealed") {
    EXPECT_TRUE(WaitFor([&] { return d->Exec("COMMIT DEPLOY 'd1'"); }, 60s)) << d->last_error() << second.log();
  }
  state = State(second, "d1");
  EXPECT_TRUE(state == "sealed" || state == "reverted") << state;
  EXPECT_TRUE(d->Exec("FINALIZE DEPLOY 'd1'")) << d->last_error() << second.log();
  EXPECT_EQ(Running(), "0") << "a migration of a finalized deploy is still recorded as running";

  // The next deploy of the same table, with direct writes before and after a restart.
  auto direct = Direct();
  for (int round = 0; round < 3; ++round) direct->MustExec("UPDATE t SET a = a + 1000 WHERE id <= 50");
  ASSERT_TRUE(d->Exec("BEGIN DEPLOY 'd2'"));
  ASSERT_TRUE(d->Exec("ALTER TABLE t ADD COLUMN y INT, ADD INDEX ic (c)")) << d->last_error() << second.log();
  ASSERT_TRUE(d->Exec("END DEPLOY"));
  second.Kill();
  ProxyProcess third;
  ASSERT_TRUE(StartProxy(&third, "")) << third.log();
  for (int round = 0; round < 3; ++round) direct->MustExec("UPDATE t SET a = a + 1000 WHERE id <= 50");
  direct->MustExec("INSERT INTO t (id, a) VALUES (5000, 1)");
  auto e = TestConn::Open(third.address(), db_);
  EXPECT_TRUE(WaitFor([&] { return e->Exec("COMMIT DEPLOY 'd2'"); }, 60s)) << e->last_error() << third.log();
  EXPECT_EQ(Columns("t").back(), "y");
  EXPECT_EQ(direct->Scalar("SELECT COUNT(*) FROM t WHERE id <= 50 AND a <> id + 6000"), "0")
      << "acknowledged updates were lost\n" << third.log();
  EXPECT_EQ(direct->Scalar("SELECT COUNT(*) FROM t"), "201");
  EXPECT_EQ(Running(), "1") << "only d2's follower may run";
  EXPECT_NE(third.log().find("sealed"), std::string::npos);
  EXPECT_FALSE(TableExists("~!sealgate_gate_a"));
  EXPECT_FALSE(TableExists("~!sealgate_gate_b"));
}

INSTANTIATE_TEST_SUITE_P(
    Steps, CrashTest,
    ::testing::Values(CrashCase{"seal.gate_taken", false}, CrashCase{"seal.rename_issued", false},
                      CrashCase{"seal.gate_opening", false}, CrashCase{"seal.renamed", false},
                      CrashCase{"seal.bookkeeping_begins", false}, CrashCase{"seal.feeders_completed", false},
                      CrashCase{"seal.items_recorded", false}, CrashCase{"seal.rename_issued", true},
                      CrashCase{"seal.renamed", true}, CrashCase{"revert.bookkeeping_begins", true},
                      CrashCase{"revert.feeders_completed", true}, CrashCase{"revert.items_recorded", true}),
    [](const ::testing::TestParamInfo<CrashCase>& info) {
      std::string name = std::string(info.param.revert ? "revert_" : "commit_") + info.param.point;
      for (char& ch : name) {
        if (ch == '.') ch = '_';
      }
      return name;
    });

// ROLLBACK DEPLOY and FINALIZE DEPLOY killed half-way (two tables, sealgate
// dies after the first one's step): after a restart the same command
// finishes the job, nothing is left running or lying around, and the next
// deploy of the tables loses nothing.
class EndCrashTest : public CrashTest {};

TEST_P(EndCrashTest, RepeatingTheCommandFinishesIt) {
  const CrashCase& cc = GetParam();
  const bool finalize = std::string(cc.point).rfind("finalize.", 0) == 0;
  Fill("t", 200);
  Fill("u", 200);
  ProxyProcess first;
  ASSERT_TRUE(StartProxy(&first, std::string(cc.point) + "=crash@1"));
  auto c = TestConn::Open(first.address(), db_);
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY 'd1'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT, ADD INDEX ia (a)")) << c->last_error();
  ASSERT_TRUE(c->Exec("ALTER TABLE u ADD COLUMN z INT, ADD INDEX ia (a)")) << c->last_error();
  std::string command = finalize ? "FINALIZE DEPLOY 'd1'" : "ROLLBACK DEPLOY 'd1'";
  if (finalize) {
    ASSERT_TRUE(c->Exec("COMMIT DEPLOY")) << c->last_error();
  } else {
    ASSERT_TRUE(c->Exec("END DEPLOY"));
    ASSERT_TRUE(WaitFor([&] {
      for (auto& r : c->Query("SHOW DEPLOYS")) {
        if (r[0] == "d1") return r[3] == "2";
      }
      return false;
    }, 60s));
  }
  EXPECT_FALSE(c->Exec(command)) << "sealgate did not reach " << cc.point;
  first.Kill();
  ProxyProcess second;
  ASSERT_TRUE(StartProxy(&second, "")) << second.log();
  auto d = TestConn::Open(second.address(), db_);
  EXPECT_TRUE(d->Exec(command)) << d->last_error() << "\n" << second.log();
  EXPECT_EQ(Running(), "0");
  for (const char* left : {"~t_new", "~u_new", "~t_old", "~u_old"}) EXPECT_FALSE(TableExists(left)) << left;
  EXPECT_EQ(Columns("t").back(), finalize ? "z" : "c");
  // The next deploy of both tables, with direct writes around a restart.
  auto direct = Direct();
  ASSERT_TRUE(d->Exec("BEGIN DEPLOY 'd2'"));
  ASSERT_TRUE(d->Exec("ALTER TABLE t ADD COLUMN y INT")) << d->last_error() << second.log();
  ASSERT_TRUE(d->Exec("ALTER TABLE u ADD COLUMN y INT")) << d->last_error();
  ASSERT_TRUE(d->Exec("END DEPLOY"));
  second.Kill();
  ProxyProcess third;
  ASSERT_TRUE(StartProxy(&third, "")) << third.log();
  for (int round = 0; round < 3; ++round) direct->MustExec("UPDATE t SET a = a + 1000 WHERE id <= 50");
  auto e = TestConn::Open(third.address(), db_);
  EXPECT_TRUE(WaitFor([&] { return e->Exec("COMMIT DEPLOY 'd2'"); }, 60s)) << e->last_error() << third.log();
  EXPECT_EQ(Columns("t").back(), "y");
  EXPECT_EQ(Columns("u").back(), "y");
  EXPECT_EQ(direct->Scalar("SELECT COUNT(*) FROM t WHERE id <= 50 AND a <> id + 3000"), "0") << third.log();
}

INSTANTIATE_TEST_SUITE_P(Steps, EndCrashTest,
                         ::testing::Values(CrashCase{"rollback.item_cancelled", false},
                                           CrashCase{"finalize.follower_stopped", false},
                                           CrashCase{"finalize.tables_dropped", false}),
                         [](const ::testing::TestParamInfo<CrashCase>& info) {
                           std::string name = info.param.point;
                           for (char& ch : name) {
                             if (ch == '.') ch = '_';
                           }
                           return name;
                         });

// sealgate's own server connections are killed (as a DBA's KILL or a network
// blip would): the migration shows as reconnecting, never failed, and a
// COMMIT DEPLOY issued meanwhile waits for it and seals.
TEST_F(DeployTest, LostServerConnectionsShowAsReconnectingAndACommitWaits) {
  Fill("t", 300);
  std::string account = "sgadm_" + std::to_string(getpid());
  auto root = Direct();
  root->MustExec("CREATE OR REPLACE USER '" + account + "'@'127.0.0.1' IDENTIFIED BY 'pw'");
  root->MustExec("GRANT ALL PRIVILEGES ON *.* TO '" + account + "'@'127.0.0.1' WITH GRANT OPTION");
  ProxyProcess proxy;
  ProxyProcess::Options o;
  o.upstream.user = account;
  o.upstream.password = "pw";
  ASSERT_TRUE(proxy.Start(o)) << proxy.log();
  ServerAddress client = proxy.address(TestServer().user, TestServer().password);
  auto c = TestConn::Open(client, db_);
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY 'lost'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT, ADD INDEX ia (a)")) << c->last_error();
  ASSERT_TRUE(c->Exec("END DEPLOY"));
  auto staged = [&] {
    for (auto& r : c->Query("SHOW DEPLOY STATUS 'lost'")) {
      if (r[4] == "staged") return true;
    }
    return false;
  };
  ASSERT_TRUE(WaitFor(staged, 60s)) << proxy.log();
  // Every connection of sealgate's account goes, again and again, while the
  // table is written (so the applier meets its dead connection).
  std::string seen_state, seen_error;
  // Until it has been seen reconnecting (at least 3 s, at most 15 s: the
  // window between a loss and the resume is short on a busy machine).
  auto begun = std::chrono::steady_clock::now();
  for (int i = 0; std::chrono::steady_clock::now() < begun + 15s &&
                  (seen_state.empty() || std::chrono::steady_clock::now() < begun + 3s);
       ++i) {
    root->MustExec("UPDATE t SET c = c + 1 WHERE id = " + std::to_string(1 + i % 300));
    for (auto& r : root->Query("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = '" + account + "'")) {
      (void)root->Exec("KILL " + r[0].value_or("0"));
    }
    for (auto& r : c->Query("SHOW DEPLOY STATUS 'lost'")) {
      EXPECT_NE(r[4], "failed") << r[11].value_or("");
      if (r[4] == "reconnecting") {
        seen_state = "reconnecting";
        seen_error = r[11].value_or("");
      }
    }
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(seen_state, "reconnecting") << proxy.log();
  EXPECT_NE(seen_error.find("lost the server"), std::string::npos) << seen_error;
  // Issued while it may still be reconnecting: waits, then seals.
  EXPECT_TRUE(c->Exec("COMMIT DEPLOY 'lost'")) << c->last_error() << "\n" << proxy.log();
  EXPECT_EQ(Columns("t").back(), "z");
  proxy.Stop();
  root->MustExec("DROP USER '" + account + "'@'127.0.0.1'");
}

}  // namespace
}  // namespace sealgate::test
