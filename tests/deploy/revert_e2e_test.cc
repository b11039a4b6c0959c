// End-to-end: the revert window after a seal — REVERT DEPLOY under writers
// through the proxy and directly, reverting the revert, FINALIZE DEPLOY, data
// the old schema cannot hold, a proxy restart in between, and retention.
#include <gtest/gtest.h>
#include <mysql.h>

#include <chrono>
#include <string>
#include <thread>

#include "deploy/deploy_test_util.h"

namespace sealgate::test {
namespace {

using namespace std::chrono_literals;

class RevertTest : public DeployTest {
 protected:
  // Column `column` of every SHOW DEPLOY STATUS row of deploy `name`.
  std::vector<std::string> StatusColumn(TestConn& c, const std::string& name, const std::string& column) {
    std::vector<std::string> out;
    MYSQL_RES* res = nullptr;
    if (mysql_query(c.handle(), ("SHOW DEPLOY STATUS '" + name + "'").c_str()) != 0 ||
        !(res = mysql_store_result(c.handle()))) {
      ADD_FAILURE() << mysql_error(c.handle());
      return out;
    }
    int index = -1;
    MYSQL_FIELD* fields = mysql_fetch_fields(res);
    for (unsigned i = 0; i < mysql_num_fields(res); ++i) {
      if (column == fields[i].name) index = int(i);
    }
    EXPECT_GE(index, 0) << "no column " << column;
    while (MYSQL_ROW row = mysql_fetch_row(res)) {
      if (index >= 0) out.push_back(row[index] ? row[index] : "NULL");
    }
    mysql_free_result(res);
    return out;
  }
  std::string DeployState(const ServerAddress& via, const std::string& name) {
    for (auto& r : TestConn::Open(via)->Query("SHOW DEPLOYS")) {
      if (r[0] == name) return r[1].value_or("");
    }
    return "";
  }
  std::string Info(TestConn& c) {
    const char* info = mysql_info(c.handle());
    return info ? info : "";
  }
};

TEST_F(RevertTest, DeployAcrossTwoDatabasesIsSealedAtOnceAndRevertedUnderWriters) {
  // The second database sorts before the first (the RENAME locks databases in
  // name order) and its tables are staged first.
  std::string db2 = "0" + db_.substr(0, 50);
  auto admin = TestConn::Open(TestServer());
  admin->MustExec("DROP DATABASE IF EXISTS `" + db2 + "`");
  admin->MustExec("CREATE DATABASE `" + db2 + "` CHARACTER SET utf8mb4");
  Fill("t1", 3000);
  auto d2 = TestConn::Open(TestServer(), db2);
  d2->MustExec("CREATE TABLE t2 (id INT PRIMARY KEY AUTO_INCREMENT, a INT NOT NULL, b VARCHAR(40) NULL, c INT NULL)");
  d2->MustExec("INSERT INTO t2 (a, b, c) SELECT seq, CONCAT('v', seq), seq FROM seq_1_to_3000");
  Writers here, there;
  here.Run(proxy_.address(), db_, {"t1"}, 1000000);
  here.Run(TestServer(), db_, {"t1"}, 2000000);  // bypasses the proxy
  there.Run(proxy_.address(), db2, {"t2"}, 1000000);
  there.Run(TestServer(), db2, {"t2"}, 2000000);
  std::this_thread::sleep_for(300ms);

  const std::string name = "two_dbs_" + db_.substr(0, 40);
  auto c = Via();
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'")) << c->last_error();
  ASSERT_TRUE(c->Exec("ALTER TABLE `" + db2 + "`.t2 ADD COLUMN d INT NOT NULL DEFAULT 2")) << c->last_error();
  ASSERT_TRUE(c->Exec("CREATE TABLE `" + db2 + "`.fresh (id INT PRIMARY KEY)")) << c->last_error();
  ASSERT_TRUE(c->Exec("ALTER TABLE t1 ADD COLUMN d INT NOT NULL DEFAULT 1")) << c->last_error();
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY")) << c->last_error() << "\n" << proxy_.log();
  std::this_thread::sleep_for(300ms);  // writes go on against the new tables

  auto last_column = [&](const std::string& schema, const std::string& table) {
    return admin->Scalar("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '" + schema +
                         "' AND TABLE_NAME = '" + table + "' ORDER BY ORDINAL_POSITION DESC LIMIT 1");
  };
  auto fresh_count = [&] {
    return d2->Scalar("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND "
                      "TABLE_NAME = 'fresh'");
  };
  EXPECT_EQ(last_column(db_, "t1"), "d");
  EXPECT_EQ(last_column(db2, "t2"), "d");
  EXPECT_EQ(fresh_count(), "1");

  // The revert swaps both databases back at once, still under the writers.
  ASSERT_TRUE(c->Exec("REVERT DEPLOY '" + name + "'")) << c->last_error() << "\n" << proxy_.log();
  EXPECT_EQ(DeployState(proxy_.address(), name), "reverted");
  std::this_thread::sleep_for(300ms);
  here.Join();
  there.Join();

  EXPECT_EQ(here.errors.load() + there.errors.load(), 0)
      << (here.error_text.empty() ? (there.error_text.empty() ? "" : there.error_text[0]) : here.error_text[0]);
  EXPECT_EQ(last_column(db_, "t1"), "c");
  EXPECT_EQ(last_column(db2, "t2"), "c");
  EXPECT_EQ(fresh_count(), "0");
  EXPECT_EQ(here.Missing(*Direct(), "t1", 1000000), "") << "t1: acknowledged writes missing";
  EXPECT_EQ(there.Missing(*d2, "t2", 1000000), "") << "t2: acknowledged writes missing";
  EXPECT_EQ(Direct()->Scalar("SELECT COUNT(*) FROM t1 WHERE id <= 3000"), "3000");
  EXPECT_EQ(d2->Scalar("SELECT COUNT(*) FROM t2 WHERE id <= 3000"), "3000");
  // No gate table is left behind in either database.
  EXPECT_EQ(Direct()->Scalar("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA IN ('" + db_ +
                             "', '" + db2 + "') AND TABLE_NAME LIKE '~!%'"),
            "0");
  admin->MustExec("DROP DATABASE `" + db2 + "`");
}

TEST_F(RevertTest, RevertKeepsEveryWriteAndTheRevertCanBeReverted) {
  for (const char* t : {"t1", "t2", "t3", "gone"}) Fill(t, 2000);
  Writers writers;
  std::vector<std::string> tables = {"t1", "t2", "t3"};
  for (int w = 0; w < 2; ++w) writers.Run(proxy_.address(), db_, tables, 1000000 * (w + 1));
  writers.Run(TestServer(), db_, tables, 9000000);  // bypasses the proxy
  std::this_thread::sleep_for(200ms);

  auto c = Via();
  std::string name = "rev_" + db_;
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE t1 ADD COLUMN d INT NOT NULL DEFAULT 7")) << c->last_error();
  ASSERT_TRUE(c->Exec("ALTER TABLE t2 RENAME COLUMN b TO label")) << c->last_error();
  ASSERT_TRUE(c->Exec("ALTER TABLE t3 DROP COLUMN c")) << c->last_error();
  ASSERT_TRUE(c->Exec("CREATE TABLE fresh (id INT PRIMARY KEY, note TEXT)")) << c->last_error();
  ASSERT_TRUE(c->Exec("DROP TABLE gone")) << c->last_error();
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY")) << c->last_error() << "\n" << proxy_.log();

  // Writes only the new schema can express, including a key change.
  c->MustExec("INSERT INTO t1 (id, a, d) VALUES (500001, 1, 77)");
  c->MustExec("INSERT INTO t2 (id, a, label) VALUES (500002, 2, 'post-seal \xE2\x9C\x93\xF0\x9F\x98\x80')");
  c->MustExec("UPDATE t2 SET label = 'relabelled' WHERE id = 10");
  c->MustExec("UPDATE t3 SET a = 999 WHERE id = 5");
  c->MustExec("UPDATE t3 SET id = 600006 WHERE id = 6");
  c->MustExec("DELETE FROM t3 WHERE id = 7");
  Direct()->MustExec("INSERT INTO fresh VALUES (1, 'made after the seal')");
  std::this_thread::sleep_for(300ms);
  for (const auto& v : StatusColumn(*c, name, "revertible")) EXPECT_EQ(v, "yes");

  ASSERT_TRUE(c->Exec("REVERT DEPLOY '" + name + "'")) << c->last_error() << "\n" << proxy_.log();
  std::string said = Info(*c);
  EXPECT_NE(said.find("t1.d"), std::string::npos) << said;     // the added column's values are not kept
  EXPECT_NE(said.find("fresh"), std::string::npos) << said;    // nor the created table's rows
  EXPECT_EQ(DeployState(proxy_.address(), name), "reverted");
  std::this_thread::sleep_for(300ms);  // writers go on against the old schema

  EXPECT_EQ(Columns("t1"), (std::vector<std::string>{"id", "a", "b", "c"}));
  EXPECT_EQ(Columns("t2"), (std::vector<std::string>{"id", "a", "b", "c"}));
  EXPECT_EQ(Columns("t3"), (std::vector<std::string>{"id", "a", "b", "c"}));
  EXPECT_FALSE(TableExists("fresh"));
  ASSERT_TRUE(TableExists("gone"));
  auto d = Direct();
  EXPECT_EQ(d->Scalar("SELECT COUNT(*) FROM gone"), "2000");
  EXPECT_EQ(d->Scalar("SELECT a FROM t1 WHERE id = 500001"), "1");
  EXPECT_EQ(d->Scalar("SELECT b FROM t2 WHERE id = 500002"), "post-seal \xE2\x9C\x93\xF0\x9F\x98\x80");
  EXPECT_EQ(d->Scalar("SELECT b FROM t2 WHERE id = 10"), "relabelled");
  // The dropped column keeps its old values, through updates and key changes.
  EXPECT_EQ(d->Scalar("SELECT CONCAT(a, '/', c) FROM t3 WHERE id = 5"), "999/5");
  EXPECT_EQ(d->Scalar("SELECT c FROM t3 WHERE id = 600006"), "6");
  EXPECT_EQ(d->Scalar("SELECT COUNT(*) FROM t3 WHERE id IN (6, 7)"), "0");

  // Revert the revert: what was written meanwhile reaches the new schema,
  // and the new-only column keeps its values.
  c->MustExec("UPDATE t1 SET a = 4242 WHERE id = 500001");
  c->MustExec("INSERT INTO t1 (id, a, b) VALUES (500003, 3, 'while reverted')");
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(c->Exec("REVERT DEPLOY '" + name + "'")) << c->last_error() << "\n" << proxy_.log();
  EXPECT_EQ(DeployState(proxy_.address(), name), "sealed");
  EXPECT_EQ(Columns("t1"), (std::vector<std::string>{"id", "a", "b", "c", "d"}));
  EXPECT_EQ(d->Scalar("SELECT CONCAT(a, '/', d) FROM t1 WHERE id = 500001"), "4242/77");
  EXPECT_EQ(d->Scalar("SELECT CONCAT(b, '/', d) FROM t1 WHERE id = 500003"), "while reverted/7");
  EXPECT_EQ(d->Scalar("SELECT note FROM fresh WHERE id = 1"), "made after the seal");
  EXPECT_FALSE(TableExists("gone"));
  std::this_thread::sleep_for(200ms);
  writers.Join();

  EXPECT_EQ(writers.errors.load(), 0) << (writers.error_text.empty() ? "" : writers.error_text[0]);
  for (const auto& t : tables) {
    EXPECT_EQ(writers.Missing(*d, t, 1000000), "") << t << ": acknowledged writes missing";
  }
  ASSERT_TRUE(c->Exec("FINALIZE DEPLOY '" + name + "'")) << c->last_error();
  EXPECT_EQ(DeployState(proxy_.address(), name), "finalized");
  for (const char* t : {"~t1_old", "~t2_old", "~t3_old", "~gone_old"}) EXPECT_FALSE(TableExists(t)) << t;
  EXPECT_FALSE(c->Exec("REVERT DEPLOY '" + name + "'"));
  EXPECT_EQ(c->last_errno(), 7766u);
}

TEST_F(RevertTest, DataTheOldSchemaCannotHoldMakesTheRevertRefusedWithTheReason) {
  Fill("t", 100);
  auto c = Via();
  std::string name = "wide_" + db_;
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE t MODIFY a BIGINT NOT NULL")) << c->last_error();
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY")) << c->last_error();
  c->MustExec("UPDATE t SET a = 5 WHERE id = 1");  // fits either way
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(StatusColumn(*c, name, "revertible"), (std::vector<std::string>{"yes"}));
  c->MustExec("INSERT INTO t (id, a) VALUES (900001, 1099511627776)");  // 2^40: not an INT
  std::vector<std::string> revertible;
  for (int i = 0; i < 100 && revertible != std::vector<std::string>{"no"}; ++i) {
    std::this_thread::sleep_for(100ms);
    revertible = StatusColumn(*c, name, "revertible");
  }
  ASSERT_EQ(revertible, (std::vector<std::string>{"no"}));
  auto note = StatusColumn(*c, name, "revert_note");
  ASSERT_EQ(note.size(), 1u);
  EXPECT_NE(note[0].find("Out of range"), std::string::npos) << note[0];
  EXPECT_NE(note[0].find("1099511627776"), std::string::npos) << note[0];

  EXPECT_FALSE(c->Exec("REVERT DEPLOY '" + name + "'"));
  EXPECT_EQ(c->last_errno(), 7790u);
  EXPECT_NE(c->last_error().find("Out of range"), std::string::npos) << c->last_error();
  // Nothing was touched.
  EXPECT_EQ(Direct()->Scalar("SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '" + db_ +
                             "' AND TABLE_NAME = 't' AND COLUMN_NAME = 'a'"),
            "bigint");
  EXPECT_EQ(DeployState(proxy_.address(), name), "sealed");
  ASSERT_TRUE(c->Exec("FINALIZE DEPLOY '" + name + "'")) << c->last_error();
  EXPECT_FALSE(TableExists("~t_old"));
  EXPECT_EQ(Direct()->Scalar("SELECT a FROM t WHERE id = 900001"), "1099511627776");
}

TEST_F(RevertTest, RevertWorksAfterTheProxyWasKilledBetweenSealAndRevert) {
  Fill("t", 500);
  std::string name = "restart_" + db_;
  std::string schema = "_sgtest_revert_restart";
  ProxyProcess::Options options = FreshMetadata(schema);
  ProxyProcess first;
  ASSERT_TRUE(first.Start(options)) << first.log();
  {
    auto c = TestConn::Open(first.address(), db_);
    ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'"));
    ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT NOT NULL DEFAULT 3")) << c->last_error();
    ASSERT_TRUE(c->Exec("COMMIT DEPLOY")) << c->last_error();
  }
  Direct()->MustExec("INSERT INTO t (id, a, z) VALUES (70001, 1, 4)");
  first.Kill();
  Direct()->MustExec("INSERT INTO t (id, a, z) VALUES (70002, 2, 5)");  // while no proxy runs
  Direct()->MustExec("UPDATE t SET a = -1 WHERE id = 1");
  ProxyProcess second;
  ASSERT_TRUE(second.Start(options)) << second.log();
  Direct()->MustExec("INSERT INTO t (id, a, z) VALUES (70003, 3, 6)");
  auto c = TestConn::Open(second.address(), db_);
  ASSERT_TRUE(c->Exec("REVERT DEPLOY '" + name + "'")) << c->last_error() << "\n" << second.log();
  EXPECT_EQ(Columns("t"), (std::vector<std::string>{"id", "a", "b", "c"}));
  auto d = Direct();
  EXPECT_EQ(d->Scalar("SELECT COUNT(*) FROM t WHERE id BETWEEN 70001 AND 70003"), "3");
  EXPECT_EQ(d->Scalar("SELECT a FROM t WHERE id = 1"), "-1");
  EXPECT_EQ(d->Scalar("SELECT COUNT(*) FROM t"), "503");

  // A revert interrupted after its RENAME is read back from the schema ...
  second.Kill();
  TestConn::Open(TestServer())->MustExec("UPDATE " + schema + ".deploys SET state = 'reverting' WHERE name = '" +
                                         name + "'");
  ProxyProcess third;
  ASSERT_TRUE(third.Start(options)) << third.log();
  EXPECT_EQ(DeployState(third.address(), name), "reverted") << third.log();
  // ... and the forward follower still runs: sealing again keeps a write made now.
  Direct()->MustExec("INSERT INTO t (id, a) VALUES (70004, 4)");
  auto e = TestConn::Open(third.address(), db_);
  ASSERT_TRUE(e->Exec("REVERT DEPLOY '" + name + "'")) << e->last_error() << "\n" << third.log();
  EXPECT_EQ(Columns("t"), (std::vector<std::string>{"id", "a", "b", "c", "z"}));
  EXPECT_EQ(d->Scalar("SELECT CONCAT(COUNT(*), '/', SUM(z)) FROM t WHERE id BETWEEN 70001 AND 70004"), "4/18");
}

TEST_F(RevertTest, TheRevertWindowEndsByItself) {
  ProxyProcess proxy;
  ProxyProcess::Options options;
  options.extra_args = {"--revert-retention-seconds", "2"};
  ASSERT_TRUE(proxy.Start(options)) << proxy.log();
  Fill("t", 50);
  auto c = TestConn::Open(proxy.address(), db_);
  std::string name = "window_" + db_;
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT")) << c->last_error();
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY")) << c->last_error();
  EXPECT_TRUE(TableExists("~t_old"));
  std::string state;
  for (int i = 0; i < 100 && state != "finalized"; ++i) {
    std::this_thread::sleep_for(100ms);
    state = DeployState(proxy.address(), name);
  }
  EXPECT_EQ(state, "finalized") << proxy.log();
  EXPECT_FALSE(TableExists("~t_old"));
  EXPECT_EQ(Columns("t").back(), "z");
}

TEST_F(RevertTest, ANamedSealedDeployKeepsItsTablesUntilFinalized) {
  Fill("t", 50);
  auto c = Via();
  std::string name = "keep_" + db_;
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT")) << c->last_error();
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY")) << c->last_error();
  // Another change to the table would end the revert window: said, not done.
  EXPECT_FALSE(c->Exec("ALTER TABLE t ADD COLUMN y INT"));
  EXPECT_EQ(c->last_errno(), 7763u);
  EXPECT_NE(c->last_error().find("FINALIZE DEPLOY"), std::string::npos) << c->last_error();
  ASSERT_TRUE(c->Exec("FINALIZE DEPLOY '" + name + "'")) << c->last_error();
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN y INT")) << c->last_error();
  EXPECT_EQ(Columns("t").back(), "y");
  // A plain ALTER's implicit deploy gives way to the next change by itself.
  ASSERT_TRUE(c->Exec("ALTER TABLE t MODIFY y BIGINT")) << c->last_error();
  ASSERT_TRUE(c->Exec("ALTER TABLE t MODIFY y INT")) << c->last_error();
}

}  // namespace
}  // namespace sealgate::test
