// End-to-end: DEPLOY blocks and the seal through the proxy, against the real
// server, with writers running through the proxy and directly.
#include <gtest/gtest.h>
#include <mysql.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "deploy/deploy_test_util.h"
#include "support/raw_client.h"

namespace sealgate::test {
namespace {

using namespace std::chrono_literals;

TEST_F(DeployTest, SevenStatementDeployUnderWritersLosesNothing) {
  for (const char* t : {"t1", "t2", "t3", "t4", "t5", "gone"}) Fill(t, 3000);
  Writers writers;
  std::vector<std::string> tables = {"t1", "t2", "t3", "t4", "t5"};
  for (int w = 0; w < 3; ++w) writers.Run(proxy_.address(), db_, tables, 1000000 * (w + 1));
  writers.Run(TestServer(), db_, tables, 9000000);  // bypasses the proxy
  std::this_thread::sleep_for(300ms);

  auto c = Via();
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY 'seven_" + db_ + "'")) << c->last_error();
  ASSERT_TRUE(c->Exec("ALTER TABLE t1 ADD COLUMN d INT NOT NULL DEFAULT 7")) << c->last_error();
  ASSERT_TRUE(c->Exec("ALTER TABLE t2 MODIFY b VARCHAR(200) NULL")) << c->last_error();
  ASSERT_TRUE(c->Exec("ALTER TABLE t3 ADD INDEX by_a (a)")) << c->last_error();
  ASSERT_TRUE(c->Exec("ALTER TABLE t4 DROP COLUMN c")) << c->last_error();
  ASSERT_TRUE(c->Exec("ALTER TABLE t5 RENAME COLUMN b TO label")) << c->last_error();
  ASSERT_TRUE(c->Exec("CREATE TABLE fresh (id INT PRIMARY KEY, note TEXT)")) << c->last_error();
  ASSERT_TRUE(c->Exec("DROP TABLE gone")) << c->last_error();
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY")) << c->last_error() << "\n" << proxy_.log();
  std::this_thread::sleep_for(300ms);  // writes go on against the new tables
  writers.Join();

  EXPECT_EQ(writers.errors.load(), 0) << (writers.error_text.empty() ? "" : writers.error_text[0]);
  EXPECT_EQ(Columns("t1"), (std::vector<std::string>{"id", "a", "b", "c", "d"}));
  EXPECT_EQ(Direct()->Scalar("SELECT CHARACTER_MAXIMUM_LENGTH FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='" +
                             db_ + "' AND TABLE_NAME='t2' AND COLUMN_NAME='b'"),
            "200");
  EXPECT_EQ(Direct()->Scalar("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA='" + db_ +
                             "' AND TABLE_NAME='t3' AND INDEX_NAME='by_a'"),
            "1");
  EXPECT_EQ(Columns("t4"), (std::vector<std::string>{"id", "a", "b"}));
  EXPECT_EQ(Columns("t5"), (std::vector<std::string>{"id", "a", "label", "c"}));
  EXPECT_TRUE(TableExists("fresh"));
  EXPECT_FALSE(TableExists("gone"));
  EXPECT_TRUE(TableExists("~gone_old"));
  EXPECT_TRUE(TableExists("~t1_old"));
  // Every acknowledged write is in the new table, and the old rows were copied.
  auto d = Direct();
  for (const auto& t : tables) {
    EXPECT_EQ(writers.Missing(*d, t, 1000000), "") << t << ": acknowledged writes missing";
    EXPECT_EQ(d->Scalar("SELECT COUNT(*) FROM " + t + " WHERE id <= 3000"), "3000") << t;
  }
  EXPECT_EQ(d->Scalar("SELECT SUM(a) FROM t1 WHERE id <= 3000"), d->Scalar("SELECT SUM(a) FROM `~t1_old` WHERE id <= 3000"));
  auto deploys = Via()->Query("SHOW DEPLOYS");
  bool sealed = false;
  for (auto& r : deploys) sealed |= r[0] == "seven_" + db_ && r[1] == "sealed";
  EXPECT_TRUE(sealed);
}

TEST_F(DeployTest, RollbackLeavesEverythingAsBefore) {
  Fill("keep", 500);
  Fill("victim", 10);
  auto c = Via();
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY"));
  ASSERT_TRUE(c->Exec("ALTER TABLE keep ADD COLUMN extra INT")) << c->last_error();
  ASSERT_TRUE(c->Exec("CREATE TABLE newbie (id INT PRIMARY KEY)")) << c->last_error();
  ASSERT_TRUE(c->Exec("DROP TABLE victim")) << c->last_error();
  ASSERT_TRUE(c->Exec("ROLLBACK DEPLOY")) << c->last_error();
  EXPECT_EQ(Columns("keep"), (std::vector<std::string>{"id", "a", "b", "c"}));
  EXPECT_FALSE(TableExists("newbie"));
  EXPECT_TRUE(TableExists("victim"));
  EXPECT_FALSE(TableExists("~keep_new"));
  EXPECT_FALSE(TableExists("_newbie_new"));
  // The session is free again: ordinary statements pass through.
  EXPECT_EQ(c->Scalar("SELECT COUNT(*) FROM keep"), "500");
}

TEST_F(DeployTest, AnonymousBlockIsRolledBackWhenItsSessionGoesAway) {
  Fill("t", 100);
  {
    auto c = Via();
    ASSERT_TRUE(c->Exec("BEGIN DEPLOY"));
    ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT")) << c->last_error();
    EXPECT_TRUE(TableExists("~t_new"));
  }
  for (int i = 0; i < 100 && TableExists("~t_new"); ++i) std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(TableExists("~t_new"));
  EXPECT_EQ(Columns("t"), (std::vector<std::string>{"id", "a", "b", "c"}));
}

TEST_F(DeployTest, MistakesGetClearErrorsAndTheBlockStaysOpen) {
  Fill("t", 50);
  Fill("u", 50);
  Direct()->MustExec("CREATE TABLE nokey (a INT)");
  auto c = Via();
  EXPECT_FALSE(c->Exec("COMMIT DEPLOY"));
  EXPECT_EQ(c->last_errno(), 7761u) << c->last_error();
  EXPECT_FALSE(c->Exec("END DEPLOY"));
  EXPECT_EQ(c->last_errno(), 7761u);
  std::string name = "named_" + db_;
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'")) << c->last_error();
  EXPECT_FALSE(c->Exec("BEGIN DEPLOY"));
  EXPECT_EQ(c->last_errno(), 7760u);
  EXPECT_EQ(c->Scalar("SELECT COUNT(*) FROM u"), "50") << "a read of a table the block does not change is the server's";
  EXPECT_FALSE(c->Exec("INSERT INTO t (a) VALUES (1)"));
  EXPECT_EQ(c->last_errno(), 7764u);
  EXPECT_FALSE(c->Exec("ALTER TABLE nokey ADD COLUMN b INT"));
  EXPECT_EQ(c->last_errno(), 7743u) << c->last_error();
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT")) << c->last_error();
  // A DROP of a table the block changes: said as such, the block stays open.
  EXPECT_FALSE(c->Exec("DROP TABLE t"));
  EXPECT_EQ(c->last_errno(), 7763u);
  EXPECT_NE(c->last_error().find("already changed in this deploy block"), std::string::npos) << c->last_error();
  // Another session: the name is taken, the table is busy.
  auto other = Via();
  EXPECT_FALSE(other->Exec("BEGIN DEPLOY '" + name + "'"));
  EXPECT_EQ(other->last_errno(), 7762u);
  // A change the server would make (another engine) of a table a deploy holds: refused too.
  EXPECT_FALSE(other->Exec("ALTER TABLE t ENGINE=MyISAM"));
  EXPECT_EQ(other->last_errno(), 7763u) << other->last_error();
  ASSERT_TRUE(other->Exec("BEGIN DEPLOY"));
  EXPECT_FALSE(other->Exec("ALTER TABLE t ADD COLUMN y INT"));
  EXPECT_EQ(other->last_errno(), 7763u) << other->last_error();
  EXPECT_FALSE(other->Exec("END DEPLOY"));
  EXPECT_EQ(other->last_errno(), 7770u);
  ASSERT_TRUE(other->Exec("ROLLBACK DEPLOY"));
  EXPECT_FALSE(c->Exec("REVERT DEPLOY '" + name + "'"));  // not sealed
  EXPECT_EQ(c->last_errno(), 7766u);
  // The block survived every refusal.
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY")) << c->last_error();
  EXPECT_EQ(Columns("t"), (std::vector<std::string>{"id", "a", "b", "c", "z"}));
}

// A plain ALTER goes on after its client is gone (as the server's own does);
// running it again says so in the user's words, and names the deploy to
// roll back to stop it.
TEST_F(DeployTest, ARerunAfterAKilledClientSaysTheEarlierAlterGoesOn) {
  Fill("t", 100000);
  RestartProxyWithSlowCopy();
  {
    RawClient gone;
    ASSERT_TRUE(gone.Connect(proxy_.port()));
    ASSERT_TRUE(gone.Login(TestServer().user, TestServer().password, db_)) << gone.error();
    std::string out;
    RawClient::Frame(&out, 0, "\x03" "ALTER TABLE t MODIFY c BIGINT NULL");
    ASSERT_TRUE(gone.SendRaw(out));
    ASSERT_TRUE(WaitFor([&] { return TableExists("~t_new"); }, 30s));
  }  // the client goes away while its ALTER copies
  auto c = Via();
  // Once it is staged (until then: "being staged by another session").
  std::string message;
  ASSERT_TRUE(WaitFor(
      [&] {
        EXPECT_FALSE(c->Exec("ALTER TABLE t MODIFY c BIGINT NULL"));
        EXPECT_EQ(c->last_errno(), 7763u);
        message = c->last_error();
        return message.find("being staged") == std::string::npos;
      },
      30s))
      << message;
  EXPECT_NE(message.find("an earlier ALTER (`ALTER TABLE t MODIFY c BIGINT NULL`)"), std::string::npos) << message;
  EXPECT_NE(message.find("finishes by itself"), std::string::npos) << message;
  size_t at = message.find("ROLLBACK DEPLOY '");
  ASSERT_NE(at, std::string::npos) << message;
  std::string name = message.substr(at + 17);
  name = name.substr(0, name.find('\''));
  ASSERT_TRUE(c->Exec("ROLLBACK DEPLOY '" + name + "'")) << c->last_error();
  EXPECT_FALSE(TableExists("~t_new"));
  EXPECT_TRUE(c->Exec("ALTER TABLE t MODIFY c BIGINT NULL")) << c->last_error();
  EXPECT_EQ(Direct()->Scalar("SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='" + db_ +
                             "' AND TABLE_NAME='t' AND COLUMN_NAME='c'"),
            "bigint");
}

// A migration framework sends one statement per helper (add_column, then
// add_index, ...): inside a block they compose into one change of each table,
// and the sealed schema is what the same statements give run directly.
TEST_F(TwinDeployTest, StatementsOnOneTableInABlockComposeIntoOneChange) {
  Both({"CREATE TABLE t (id INT PRIMARY KEY AUTO_INCREMENT, a INT NOT NULL, b VARCHAR(40) NULL, c INT NULL)",
        "INSERT INTO t (a, b, c) SELECT seq, CONCAT('v', seq), seq FROM seq_1_to_3000"});
  Writers writers;
  writers.Run(proxy_.address(), db_, {"t"}, 1000000);
  const std::vector<std::string> statements = {
      "ALTER TABLE t ADD COLUMN d INT NOT NULL DEFAULT 7",
      "ALTER TABLE t ADD INDEX by_d (d)",
      "CREATE INDEX by_b ON t (b)",
      "ALTER TABLE t MODIFY c BIGINT NULL",
      "ALTER TABLE t ADD COLUMN e INT NULL",
      "ALTER TABLE t MODIFY e BIGINT NULL",
      "CREATE TABLE fresh (id INT PRIMARY KEY, v INT)",
      "CREATE INDEX by_v ON fresh (v)",
      "ALTER TABLE fresh ADD COLUMN w VARCHAR(10) NULL",
  };
  auto c = Via();
  const std::string name = "compose_" + db_.substr(0, 40);
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'"));
  for (const auto& statement : statements) ASSERT_TRUE(c->Exec(statement)) << statement << ": " << c->last_error();
  {
    auto twin = TestConn::Open(TestServer(), twin_);
    for (const auto& statement : statements) twin->MustExec(statement);
  }
  // A part the server does not take in one ALTER with the earlier ones: the
  // server's error, the block open, the earlier changes still staged.
  EXPECT_FALSE(c->Exec("ALTER TABLE t CHANGE e e2 BIGINT NULL"));
  EXPECT_EQ(c->last_errno(), 1054u) << c->last_error();
  EXPECT_NE(c->last_error().find("write both changes as one ALTER TABLE"), std::string::npos) << c->last_error();
  EXPECT_EQ(Columns("t"), (std::vector<std::string>{"id", "a", "b", "c"})) << "nothing is live before the seal";
  EXPECT_FALSE(TableExists("fresh"));
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY")) << c->last_error();
  writers.Join();
  EXPECT_EQ(writers.errors.load(), 0);
  EXPECT_EQ(writers.Missing(*Direct(), "t", 1000000), "") << "acknowledged writes missing";
  auto schema = [&](const std::string& db, const std::string& table) {
    return std::regex_replace(ShowCreateExactly(db, table), std::regex(" AUTO_INCREMENT=[0-9]+"), "");
  };
  for (const char* table : {"t", "fresh"}) EXPECT_EQ(schema(db_, table), schema(twin_, table)) << table;
  EXPECT_EQ(Direct()->Scalar("SELECT COUNT(*) FROM t WHERE id <= 3000 AND d = 7"), "3000");
  size_t migrations = 0;
  for (size_t at = proxy_.log().find("cancelled)"); at != std::string::npos; at = proxy_.log().find("cancelled)", at + 1)) {
    ++migrations;
  }
  EXPECT_GE(migrations, 4u) << "each further ALTER of t is staged anew with the earlier ones\n" << proxy_.log();
}

// Frameworks introspect a table before they change it, also one an earlier
// statement of the block changed: inside a block SHOW CREATE TABLE, SHOW
// COLUMNS, SHOW INDEX and DESCRIBE answer as the table will be once sealed.
TEST_F(DeployTest, IntrospectionInsideABlockAnswersAsTheTableWillBe) {
  Fill("t", 500);
  Fill("other", 5);
  auto c = Via();
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY 'look_" + db_.substr(0, 40) + "'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z VARCHAR(20) NULL, ADD INDEX by_z (z), MODIFY c BIGINT NULL"))
      << c->last_error();
  ASSERT_TRUE(c->Exec("CREATE TABLE fresh (id INT PRIMARY KEY, v INT, KEY by_v (v))")) << c->last_error();
  auto column_names = [&](const std::string& statement) {
    std::vector<std::string> out;
    for (auto& r : c->Query(statement)) out.push_back(r[0].value_or(""));
    return out;
  };
  const std::vector<std::string> will_be = {"id", "a", "b", "c", "z"};
  EXPECT_EQ(column_names("SHOW COLUMNS FROM t"), will_be) << c->last_error();
  EXPECT_EQ(column_names("SHOW FULL FIELDS FROM t FROM `" + db_ + "`"), will_be) << c->last_error();
  EXPECT_EQ(column_names("DESCRIBE `" + db_ + "`.t"), will_be) << c->last_error();
  auto described = c->Query("DESC t c");
  ASSERT_EQ(described.size(), 1u) << c->last_error();
  EXPECT_EQ(described[0][1], "bigint(20)");
  EXPECT_EQ(column_names("SHOW COLUMNS FROM fresh"), (std::vector<std::string>{"id", "v"}));
  EXPECT_EQ(column_names("SHOW COLUMNS FROM t LIKE 'z%'"), (std::vector<std::string>{"z"}));
  // Run on the shadow with sealgate's account: no expressions of the client's there.
  EXPECT_FALSE(c->Exec("SHOW COLUMNS FROM t WHERE (SELECT COUNT(*) FROM mysql.user) > 0"));
  EXPECT_EQ(c->last_errno(), 7764u) << c->last_error();
  // SHOW INDEX: the table's name, and numbers typed as numbers.
  ASSERT_EQ(mysql_query(c->handle(), "SHOW INDEX FROM t"), 0) << mysql_error(c->handle());
  MYSQL_RES* res = mysql_store_result(c->handle());
  ASSERT_NE(res, nullptr);
  std::set<std::string> keys;
  while (MYSQL_ROW row = mysql_fetch_row(res)) {
    EXPECT_STREQ(row[0], "t");
    keys.insert(row[2]);
  }
  EXPECT_EQ(mysql_fetch_field_direct(res, 1)->type, MYSQL_TYPE_LONGLONG) << "Non_unique";
  mysql_free_result(res);
  EXPECT_EQ(keys, (std::set<std::string>{"PRIMARY", "by_z"}));
  const std::string staged_create = c->Query("SHOW CREATE TABLE t").at(0)[1].value_or("");
  EXPECT_EQ(staged_create.find("CREATE TABLE `t` ("), 0u) << staged_create;
  EXPECT_NE(staged_create.find("`z` varchar(20)"), std::string::npos) << staged_create;
  // Other reads go to the server; one that names a changed table otherwise is refused.
  EXPECT_EQ(c->Scalar("SELECT COUNT(*) FROM other"), "5");
  EXPECT_EQ(c->Scalar("SHOW COLUMNS FROM other LIKE 'a'"), "a");
  EXPECT_FALSE(c->Exec("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND "
                       "TABLE_NAME = 't'"));
  EXPECT_EQ(c->last_errno(), 7764u);
  EXPECT_NE(c->last_error().find("SHOW CREATE TABLE"), std::string::npos) << c->last_error();
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY")) << c->last_error();
  auto strip = [](std::string text) { return std::regex_replace(text, std::regex(" AUTO_INCREMENT=[0-9]+"), ""); };
  EXPECT_EQ(strip(staged_create), strip(Direct()->Query("SHOW CREATE TABLE t").at(0)[1].value_or("")));
  EXPECT_EQ(Columns("t"), will_be);
}

TEST_F(DeployTest, NamedDeploySurvivesProxyKillAndIsSealedAfterRestart) {
  Fill("t", 2000);
  std::string name = "durable_" + db_;
  std::string schema = "_sgtest_durable";
  ProxyProcess::Options options = FreshMetadata(schema);
  ProxyProcess first;
  ASSERT_TRUE(first.Start(options)) << first.log();
  {
    auto c = TestConn::Open(first.address(), db_);
    ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'"));
    ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT NOT NULL DEFAULT 3")) << c->last_error();
    ASSERT_TRUE(c->Exec("END DEPLOY")) << c->last_error();
  }
  Direct()->MustExec("INSERT INTO t (id, a) VALUES (50001, 1)");
  first.Kill();
  Direct()->MustExec("INSERT INTO t (id, a) VALUES (50002, 2)");  // while no proxy runs
  ProxyProcess second;
  ASSERT_TRUE(second.Start(options)) << second.log();
  auto c = TestConn::Open(second.address(), db_);
  Direct()->MustExec("INSERT INTO t (id, a) VALUES (50003, 3)");
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY '" + name + "'")) << c->last_error() << "\n" << second.log();
  EXPECT_EQ(Columns("t"), (std::vector<std::string>{"id", "a", "b", "c", "z"}));
  EXPECT_EQ(Direct()->Scalar("SELECT COUNT(*) FROM t"), "2003");
  EXPECT_EQ(Direct()->Scalar("SELECT SUM(z) FROM t"), "6009");
}

TEST_F(DeployTest, SealInterruptedBeforeItsBookkeepingIsReadFromTheSchema) {
  Fill("t", 300);
  std::string name = "interrupted_" + db_;
  std::string schema = "_sgtest_interrupted";
  ProxyProcess::Options options = FreshMetadata(schema);
  {
    ProxyProcess first;
    ASSERT_TRUE(first.Start(options)) << first.log();
    auto c = TestConn::Open(first.address(), db_);
    ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'"));
    ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT")) << c->last_error();
    ASSERT_TRUE(c->Exec("COMMIT DEPLOY")) << c->last_error();
    first.Kill();
  }
  // As if sealgate died after the RENAME but before recording it.
  TestConn::Open(TestServer())->MustExec("UPDATE " + schema + ".deploys SET state = 'sealing' WHERE name = '" + name + "'");
  ProxyProcess second;
  ASSERT_TRUE(second.Start(options)) << second.log();
  bool sealed = false;
  for (auto& r : TestConn::Open(second.address())->Query("SHOW DEPLOYS")) sealed |= r[0] == name && r[1] == "sealed";
  EXPECT_TRUE(sealed) << second.log();
  // And a deploy whose seal never happened is staged again, not sealed.
  auto c = TestConn::Open(second.address(), db_);
  Fill("u", 50);
  std::string pending = "pending_" + db_;
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + pending + "'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE u ADD COLUMN z INT")) << c->last_error();
  ASSERT_TRUE(c->Exec("END DEPLOY"));
  second.Kill();
  TestConn::Open(TestServer())->MustExec("UPDATE " + schema + ".deploys SET state = 'sealing' WHERE name = '" + pending + "'");
  ProxyProcess third;
  ASSERT_TRUE(third.Start(options)) << third.log();
  std::string state;
  for (auto& r : TestConn::Open(third.address())->Query("SHOW DEPLOYS")) {
    if (r[0] == pending) state = r[1].value_or("");
  }
  EXPECT_EQ(state, "detached");
  auto d = TestConn::Open(third.address(), db_);
  EXPECT_TRUE(d->Exec("COMMIT DEPLOY '" + pending + "'")) << d->last_error();
  EXPECT_EQ(Columns("u").back(), "z");
}

TEST_F(DeployTest, PlainAlterIsAnOnlineDeployThatRepliesWhenSealed) {
  Fill("t", 1000);
  Writers writers;
  writers.Run(proxy_.address(), db_, {"t"}, 1000000);
  auto c = Via();
  // A type change needs a copy: staged and sealed as a one-statement deploy.
  ASSERT_TRUE(c->Exec("ALTER TABLE t MODIFY c BIGINT NULL")) << c->last_error();
  EXPECT_EQ(Direct()->Scalar("SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='" + db_ +
                             "' AND TABLE_NAME='t' AND COLUMN_NAME='c'"),
            "bigint");
  EXPECT_TRUE(TableExists("~t_old"));
  writers.Join();
  EXPECT_EQ(writers.errors.load(), 0);
  EXPECT_EQ(writers.Missing(*Direct(), "t", 1000000), "") << "acknowledged writes missing";
  // CREATE INDEX is DDL too.
  ASSERT_TRUE(c->Exec("CREATE INDEX by_a ON t (a)")) << c->last_error();
  EXPECT_EQ(Direct()->Scalar("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA='" + db_ +
                             "' AND TABLE_NAME='t' AND INDEX_NAME='by_a'"),
            "1");
}

TEST_F(DeployTest, DdlInsideATransactionCommitsItFirst) {
  Fill("t", 100);
  auto c = Via();
  ASSERT_TRUE(c->Exec("BEGIN"));
  ASSERT_TRUE(c->Exec("INSERT INTO t (id, a) VALUES (777, 42)"));
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN q INT")) << c->last_error();
  EXPECT_EQ(c->Scalar("SELECT @@in_transaction"), "0");
  EXPECT_TRUE(c->Exec("ROLLBACK"));  // nothing left to roll back, as in MySQL
  EXPECT_EQ(Direct()->Scalar("SELECT a FROM t WHERE id = 777"), "42");
  EXPECT_EQ(Columns("t").back(), "q");
}


TEST_F(DeployTest, MetricsAndStatusShowTheDeploy) {
  Fill("t", 200);
  auto c = Via();
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY 'metrics_" + db_ + "'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN m INT")) << c->last_error();
  std::string during = HttpGet(proxy_.http_port(), "/metrics");
  EXPECT_NE(during.find("sealgate_migration_rows_total{deploy=\"metrics_" + db_ + "\",table=\"" + db_ + ".t\"}"),
            std::string::npos)
      << during;
  EXPECT_NE(during.find("sealgate_deploys{state=\"open\"} 1"), std::string::npos) << during;
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY")) << c->last_error();
  std::string after = HttpGet(proxy_.http_port(), "/metrics");
  EXPECT_NE(after.find("sealgate_seal_hold_seconds_count 1"), std::string::npos) << after;
  std::string status = HttpGet(proxy_.http_port(), "/status");
  EXPECT_NE(status.find("\"state\": \"sealed\""), std::string::npos) << status;
  EXPECT_EQ(HttpGet(proxy_.http_port(), "/healthz").empty(), false);
}

TEST_F(DeployTest, LongCommitKeepsTheClientsUpstreamConnectionAlive) {
  Fill("t", 100);
  ProxyProcess proxy;
  ProxyProcess::Options options;
  options.extra_args = {"--upstream-keepalive-seconds", "0.5"};
  ASSERT_TRUE(proxy.Start(options)) << proxy.log();
  auto c = TestConn::Open(proxy.address(), db_);
  c->MustExec("SET SESSION wait_timeout = 2");  // the server drops this session after 2 idle seconds
  c->MustExec("SET @survives = 'yes'");
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY"));
  ASSERT_TRUE(c->Exec("ALTER TABLE t MODIFY c BIGINT NULL")) << c->last_error();
  // A transaction outside the proxy keeps the table busy: the seal retries for ~5 s.
  auto blocker = Direct();
  blocker->MustExec("BEGIN");
  blocker->MustExec("SELECT COUNT(*) FROM t FOR UPDATE");
  std::thread release([&] {
    std::this_thread::sleep_for(5s);
    blocker->MustExec("COMMIT");
  });
  auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(c->Exec("COMMIT DEPLOY")) << c->last_error();
  release.join();
  EXPECT_GE(std::chrono::steady_clock::now() - started, 4s);
  // Same upstream session after waiting longer than its wait_timeout.
  EXPECT_EQ(c->Scalar("SELECT @survives"), "yes") << c->last_error();
}

TEST_F(DeployTest, InstantChangeIsDoneAtOnceWithoutACopy) {
  Fill("t", 1000);
  Writers writers;
  writers.Run(proxy_.address(), db_, {"t"}, 1000000);
  auto c = Via();
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN flag TINYINT NOT NULL DEFAULT 1")) << c->last_error();
  writers.Join();
  EXPECT_EQ(writers.errors.load(), 0);
  EXPECT_EQ(writers.Missing(*Direct(), "t", 1000000), "") << "acknowledged writes missing";
  EXPECT_EQ(Columns("t").back(), "flag");
  EXPECT_FALSE(TableExists("~t_old")) << "an instant change was copied";
  EXPECT_FALSE(TableExists("~t_new"));
  // A mistake is the server's own error, as without sealgate.
  EXPECT_FALSE(c->Exec("ALTER TABLE t ADD COLUMN flag INT"));
  EXPECT_EQ(c->last_errno(), 1060u) << c->last_error();
}

// A server error of the client's own ALTER reaches it as the server gives it
// directly: same number, same SQLSTATE (issue #19).
TEST_F(DeployTest, PlainAlterServerErrorsKeepTheServersNumberAndSqlstate) {
  Fill("dd", 20);                    // id is an AUTO_INCREMENT primary key
  Direct()->MustExec("UPDATE dd SET c = 5 WHERE id IN (3, 7)");  // two rows share c
  struct Outcome {
    unsigned code;
    std::string sqlstate, message;
  };
  auto run = [](TestConn& conn, const std::string& sql) {
    EXPECT_FALSE(conn.Exec(sql)) << sql;
    return Outcome{conn.last_errno(), mysql_sqlstate(conn.handle()), conn.last_error()};
  };
  auto direct = Direct();
  auto via = Via();
  for (const char* sql : {"ALTER TABLE dd DROP PRIMARY KEY", "ALTER TABLE dd ADD UNIQUE KEY uc (c)"}) {
    Outcome d = run(*direct, sql);
    Outcome p = run(*via, sql);
    EXPECT_EQ(p.code, d.code) << sql << ": " << p.message;
    EXPECT_EQ(p.sqlstate, d.sqlstate) << sql << ": " << p.message;
    EXPECT_NE(p.message.find(d.message), std::string::npos) << sql << ": " << p.message << " vs " << d.message;
  }
  EXPECT_EQ(run(*direct, "ALTER TABLE dd DROP PRIMARY KEY").sqlstate, "42000");  // 1075, not HY000
  EXPECT_EQ(run(*direct, "ALTER TABLE dd ADD UNIQUE KEY uc (c)").code, 1062u);
  EXPECT_EQ(Columns("dd"), (std::vector<std::string>{"id", "a", "b", "c"}));
  EXPECT_FALSE(TableExists("~dd_new"));
  EXPECT_EQ(via->Scalar("SELECT COUNT(*) FROM dd"), "20");  // the session goes on
  // A CREATE TABLE staged in a block: the server's error too.
  ASSERT_TRUE(via->Exec("BEGIN DEPLOY")) << via->last_error();
  Outcome p = run(*via, "CREATE TABLE twice (id INT PRIMARY KEY, id INT)");
  Outcome d = run(*direct, "CREATE TABLE twice (id INT PRIMARY KEY, id INT)");
  EXPECT_EQ(p.code, d.code) << p.message;
  EXPECT_EQ(p.sqlstate, d.sqlstate) << p.message;
  EXPECT_TRUE(via->Exec("ROLLBACK DEPLOY")) << via->last_error();
}

// mariadb-dump files ALTER under LOCK TABLES: the online way cannot run under
// the session's own locks, so the server runs it as it would without sealgate.
TEST_F(DeployTest, PlainAlterUnderTheSessionsOwnLockTablesRunsOnTheServer) {
  Fill("t", 100);
  auto c = Via();
  c->MustExec("LOCK TABLES t WRITE");
  EXPECT_TRUE(c->Exec("/*!40000 ALTER TABLE `t` DISABLE KEYS */")) << c->last_error();
  EXPECT_TRUE(c->Exec("INSERT INTO t (a) VALUES (101)")) << c->last_error();
  EXPECT_TRUE(c->Exec("/*!40000 ALTER TABLE `t` ENABLE KEYS */")) << c->last_error();
  EXPECT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN under_lock INT NULL")) << c->last_error();
  EXPECT_TRUE(c->Exec("CREATE INDEX by_a ON t (a)")) << c->last_error();
  c->MustExec("UNLOCK TABLES");
  EXPECT_EQ(Columns("t"), (std::vector<std::string>{"id", "a", "b", "c", "under_lock"}));
  EXPECT_EQ(Direct()->Scalar("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA='" + db_ +
                             "' AND TABLE_NAME='t' AND INDEX_NAME='by_a'"),
            "1");
  EXPECT_FALSE(TableExists("~t_old")) << "staged instead of run by the server";
  EXPECT_NE(proxy_.log().find("holds LOCK TABLES"), std::string::npos) << proxy_.log();
  // DISABLE KEYS alone changes no schema: to the server without any lock too.
  EXPECT_TRUE(c->Exec("ALTER TABLE t DISABLE KEYS")) << c->last_error();
  EXPECT_FALSE(TableExists("~t_old"));
  // Without the locks a plain ALTER is online again.
  ASSERT_TRUE(c->Exec("ALTER TABLE t MODIFY c BIGINT NULL")) << c->last_error();
  EXPECT_TRUE(TableExists("~t_old"));
  // Inside a block, as before: the ALTER is staged, and COMMIT DEPLOY refuses to run under the locks.
  Fill("other", 10);
  c->MustExec("LOCK TABLES other READ");
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY")) << c->last_error();
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN staged INT NULL")) << c->last_error();
  EXPECT_TRUE(TableExists("~t_new"));
  EXPECT_FALSE(c->Exec("COMMIT DEPLOY"));
  EXPECT_EQ(c->last_errno(), 7766u) << c->last_error();
  ASSERT_TRUE(c->Exec("ROLLBACK DEPLOY")) << c->last_error();
  c->MustExec("UNLOCK TABLES");
  EXPECT_EQ(Columns("t"), (std::vector<std::string>{"id", "a", "b", "c", "under_lock"}));
}

// A plain ALTER that has no online way whatever the table holds (another
// engine than InnoDB, a session's TEMPORARY table, a table that is not there)
// is the server's, as without sealgate; inside a block it is still refused.
TEST_F(DeployTest, PlainAlterWithNoOnlineWayRunsOnTheServer) {
  Fill("t", 50);
  auto direct = Direct();
  direct->MustExec("CREATE TABLE my (id INT PRIMARY KEY, a INT) ENGINE=MyISAM");
  direct->MustExec("CREATE TABLE ar (id INT PRIMARY KEY, a INT) ENGINE=Aria");
  direct->MustExec("CREATE TABLE mem (id INT PRIMARY KEY, a INT) ENGINE=MEMORY");
  direct->MustExec("CREATE TABLE cs (id INT NOT NULL, a INT NOT NULL) ENGINE=CSV");
  direct->MustExec("INSERT INTO my VALUES (1, 1), (2, 2)");
  direct->MustExec("CREATE VIEW v AS SELECT id FROM t");
  auto c = Via();
  EXPECT_TRUE(c->Exec("ALTER TABLE my ADD COLUMN x INT NULL")) << c->last_error();
  EXPECT_TRUE(c->Exec("ALTER TABLE ar ADD INDEX by_a (a)")) << c->last_error();
  EXPECT_TRUE(c->Exec("CREATE INDEX by_a ON mem (a)")) << c->last_error();
  EXPECT_TRUE(c->Exec("ALTER TABLE cs ADD COLUMN b INT NOT NULL")) << c->last_error();
  EXPECT_EQ(Columns("my"), (std::vector<std::string>{"id", "a", "x"}));
  EXPECT_EQ(Columns("cs"), (std::vector<std::string>{"id", "a", "b"}));
  EXPECT_EQ(direct->Scalar("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA='" + db_ +
                           "' AND INDEX_NAME='by_a'"),
            "2");
  EXPECT_EQ(direct->Scalar("SELECT COUNT(*) FROM my"), "2");
  // To another engine: the server converts it.
  EXPECT_TRUE(c->Exec("ALTER TABLE t ENGINE=MyISAM")) << c->last_error();
  EXPECT_EQ(direct->Scalar("SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA='" + db_ +
                           "' AND TABLE_NAME='t'"),
            "MyISAM");
  // Not there: the server's own error, as directly.
  EXPECT_FALSE(c->Exec("ALTER TABLE no_such_table ADD COLUMN x INT"));
  EXPECT_EQ(c->last_errno(), 1146u) << c->last_error();
  EXPECT_STREQ(mysql_sqlstate(c->handle()), "42S02");
  EXPECT_FALSE(c->Exec("ALTER TABLE v ADD COLUMN x INT"));
  EXPECT_FALSE(direct->Exec("ALTER TABLE v ADD COLUMN x INT"));
  EXPECT_EQ(c->last_errno(), direct->last_errno()) << c->last_error() << " vs " << direct->last_error();
  for (const char* table : {"my", "ar", "mem", "cs", "t"}) {
    EXPECT_FALSE(TableExists(std::string("~") + table + "_new")) << table;
    EXPECT_FALSE(TableExists(std::string("~") + table + "_old")) << table << ": staged instead of run by the server";
  }
  EXPECT_NE(proxy_.log().find("goes to the server as is, not online: " + db_ + ".my is a MyISAM table"),
            std::string::npos)
      << proxy_.log();

  // A TEMPORARY table is the session's own, also where a base table has its name.
  Fill("base", 20);
  ASSERT_TRUE(c->Exec("CREATE TEMPORARY TABLE base (id INT PRIMARY KEY, only_here INT) ENGINE=InnoDB"));
  EXPECT_TRUE(c->Exec("ALTER TABLE base ADD COLUMN tmp_col INT NULL")) << c->last_error();
  EXPECT_TRUE(c->Exec("CREATE INDEX by_only ON base (only_here)")) << c->last_error();
  EXPECT_EQ(Columns("base"), (std::vector<std::string>{"id", "a", "b", "c"})) << "the base table was changed";
  EXPECT_FALSE(TableExists("~base_old"));
  ASSERT_TRUE(c->Exec("INSERT INTO base (id, only_here, tmp_col) VALUES (1, 2, 3)")) << c->last_error();
  ASSERT_TRUE(c->Exec("DROP TEMPORARY TABLE base"));
  // Dropped: the name is the base table's again, changed online.
  ASSERT_TRUE(c->Exec("ALTER TABLE base MODIFY c BIGINT NULL")) << c->last_error();
  EXPECT_TRUE(TableExists("~base_old"));

  // Inside a block: refused before anything is copied, as before; a DROP of
  // the session's temporary table is the server's.
  ASSERT_TRUE(c->Exec("CREATE TEMPORARY TABLE scratch (id INT)"));
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY")) << c->last_error();
  EXPECT_FALSE(c->Exec("ALTER TABLE my ADD COLUMN y INT NULL"));
  EXPECT_EQ(c->last_errno(), 7749u) << c->last_error();
  EXPECT_TRUE(c->Exec("DROP TEMPORARY TABLE scratch")) << c->last_error();
  EXPECT_FALSE(c->Exec("SELECT 1 FROM scratch"));
  EXPECT_EQ(c->last_errno(), 1146u) << c->last_error();
  ASSERT_TRUE(c->Exec("ROLLBACK DEPLOY")) << c->last_error();
  EXPECT_EQ(Columns("my"), (std::vector<std::string>{"id", "a", "x"}));
}

TEST_F(DeployTest, PrivilegesOfTheCallerDecide) {
  Fill("t", 100);
  auto admin = TestConn::Open(TestServer());
  admin->MustExec("CREATE OR REPLACE USER 'reader'@'127.0.0.1' IDENTIFIED BY 'r'");
  admin->MustExec("GRANT SELECT, INSERT, UPDATE, DELETE ON `" + db_ + "`.* TO 'reader'@'127.0.0.1'");
  admin->MustExec("CREATE OR REPLACE USER 'owner'@'%' IDENTIFIED BY 'o'");
  admin->MustExec("GRANT ALL ON `" + db_ + "`.* TO 'owner'@'%'");
  auto reader = TestConn::Open(proxy_.address("reader", "r"), db_);
  ASSERT_TRUE(reader->Exec("BEGIN DEPLOY"));
  EXPECT_FALSE(reader->Exec("ALTER TABLE t ADD COLUMN nope INT"));
  EXPECT_EQ(reader->last_errno(), 7748u) << reader->last_error();
  EXPECT_NE(reader->last_error().find("ALTER"), std::string::npos);
  // CREATE and DROP in a block are done by sealgate's account: the caller's own rights decide.
  EXPECT_FALSE(reader->Exec("CREATE TABLE made_by_reader (id INT PRIMARY KEY)"));
  EXPECT_EQ(reader->last_errno(), 1142u) << reader->last_error();
  EXPECT_FALSE(reader->Exec("DROP TABLE t"));
  EXPECT_EQ(reader->last_errno(), 1142u) << reader->last_error();
  ASSERT_TRUE(reader->Exec("ROLLBACK DEPLOY"));
  EXPECT_TRUE(TableExists("t"));
  EXPECT_FALSE(TableExists("made_by_reader"));
  EXPECT_EQ(Direct()->Scalar("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '" + db_ +
                             "' AND TABLE_NAME LIKE '~made_by_reader%'"),
            "0");
  EXPECT_FALSE(reader->Exec("ALTER TABLE t ADD COLUMN nope INT"));  // plain ALTER too
  EXPECT_EQ(reader->last_errno(), 7748u) << reader->last_error();
  // The owner (a wildcard-host account) stages a named deploy; the reader cannot see or control it.
  auto owner = TestConn::Open(proxy_.address("owner", "o"), db_);
  std::string name = "owned_" + db_;
  ASSERT_TRUE(owner->Exec("BEGIN DEPLOY '" + name + "'")) << owner->last_error();
  ASSERT_TRUE(owner->Exec("ALTER TABLE t ADD COLUMN yes INT")) << owner->last_error();
  ASSERT_TRUE(owner->Exec("END DEPLOY"));
  bool seen = false;
  for (auto& r : reader->Query("SHOW DEPLOYS")) seen |= r[0] == name;
  EXPECT_FALSE(seen) << "a user sees a deploy of tables they may not alter";
  EXPECT_FALSE(reader->Exec("COMMIT DEPLOY '" + name + "'"));
  EXPECT_EQ(reader->last_errno(), 7748u);
  EXPECT_FALSE(reader->Exec("ROLLBACK DEPLOY '" + name + "'"));
  EXPECT_EQ(reader->last_errno(), 7748u);
  ASSERT_TRUE(owner->Exec("COMMIT DEPLOY '" + name + "'")) << owner->last_error();
  EXPECT_EQ(Columns("t").back(), "yes");
}

// A user with two accounts is judged by the one the server authenticated it
// as (the most specific Host), not by the wider one: 'two'@'%' may ALTER,
// 'two'@'127.0.0.1' — the account a connection from sealgate logs in as —
// may not. And the other way round.
TEST_F(DeployTest, PrivilegesOfTheAccountTheServerChoseDecide) {
  Fill("t", 100);
  auto admin = TestConn::Open(TestServer());
  admin->MustExec("CREATE OR REPLACE USER 'two'@'%' IDENTIFIED BY 'wide'");
  admin->MustExec("GRANT ALL ON `" + db_ + "`.* TO 'two'@'%'");
  admin->MustExec("CREATE OR REPLACE USER 'two'@'127.0.0.1' IDENTIFIED BY 'narrow'");
  admin->MustExec("GRANT SELECT, INSERT, UPDATE, DELETE ON `" + db_ + "`.* TO 'two'@'127.0.0.1'");
  auto narrow = TestConn::Open(proxy_.address("two", "narrow"), db_);
  ASSERT_EQ(narrow->Scalar("SELECT CURRENT_USER()"), "two@127.0.0.1");
  EXPECT_FALSE(narrow->Exec("ALTER TABLE t ADD COLUMN nope INT"));
  EXPECT_EQ(narrow->last_errno(), 7748u) << narrow->last_error();
  ASSERT_TRUE(narrow->Exec("BEGIN DEPLOY"));
  EXPECT_FALSE(narrow->Exec("CREATE TABLE made_by_narrow (id INT PRIMARY KEY)"));
  EXPECT_EQ(narrow->last_errno(), 1142u) << narrow->last_error();
  ASSERT_TRUE(narrow->Exec("ROLLBACK DEPLOY"));
  EXPECT_FALSE(TableExists("made_by_narrow"));
  EXPECT_NE(Columns("t").back(), "nope");

  // The narrow account may alter, the wide one may not: allowed.
  admin->MustExec("REVOKE ALL ON `" + db_ + "`.* FROM 'two'@'%'");
  admin->MustExec("GRANT ALTER ON `" + db_ + "`.* TO 'two'@'127.0.0.1'");
  auto again = TestConn::Open(proxy_.address("two", "narrow"), db_);
  ASSERT_TRUE(again->Exec("ALTER TABLE t ADD COLUMN yes INT")) << again->last_error();
  EXPECT_EQ(Columns("t").back(), "yes");
  // Inside a transaction the account is asked before the implicit COMMIT: both happen.
  auto third = TestConn::Open(proxy_.address("two", "narrow"), db_);
  ASSERT_TRUE(third->Exec("BEGIN"));
  ASSERT_TRUE(third->Exec("INSERT INTO t (a, b) VALUES (8, 'committed by the ALTER')"));
  ASSERT_TRUE(third->Exec("ALTER TABLE t ADD COLUMN also INT")) << third->last_error();
  EXPECT_EQ(Direct()->Scalar("SELECT COUNT(*) FROM t WHERE b = 'committed by the ALTER'"), "1");
  EXPECT_EQ(Columns("t").back(), "also");
  admin->MustExec("DROP USER 'two'@'%'");
  admin->MustExec("DROP USER 'two'@'127.0.0.1'");
}

TEST_F(DeployTest, PrivilegesGrantedThroughRolesCount) {
  Fill("t", 100);
  auto admin = TestConn::Open(TestServer());
  // ALTER/CREATE/DROP come from a role granted to a role granted to the user;
  // the user's own grants only let it read and write rows.
  std::string outer = "deployers_" + db_.substr(0, 20), inner = "schema_owners_" + db_.substr(0, 20);
  admin->MustExec("DROP ROLE IF EXISTS '" + outer + "'");
  admin->MustExec("DROP ROLE IF EXISTS '" + inner + "'");
  admin->MustExec("CREATE ROLE '" + inner + "'");
  admin->MustExec("GRANT ALTER, CREATE, DROP, SELECT, INSERT ON `" + db_ + "`.* TO '" + inner + "'");
  admin->MustExec("CREATE ROLE '" + outer + "'");
  admin->MustExec("GRANT '" + inner + "' TO '" + outer + "'");
  admin->MustExec("CREATE OR REPLACE USER 'by_role'@'127.0.0.1' IDENTIFIED BY 'r'");
  admin->MustExec("GRANT SELECT, INSERT, UPDATE, DELETE ON `" + db_ + "`.* TO 'by_role'@'127.0.0.1'");
  admin->MustExec("CREATE OR REPLACE USER 'no_role'@'127.0.0.1' IDENTIFIED BY 'n'");
  admin->MustExec("GRANT SELECT, INSERT, UPDATE, DELETE ON `" + db_ + "`.* TO 'no_role'@'127.0.0.1'");
  admin->MustExec("GRANT '" + outer + "' TO 'by_role'@'127.0.0.1'");
  admin->MustExec("SET DEFAULT ROLE '" + outer + "' FOR 'by_role'@'127.0.0.1'");
  auto user = TestConn::Open(proxy_.address("by_role", "r"), db_);
  std::string name = "roles_" + db_;
  ASSERT_TRUE(user->Exec("BEGIN DEPLOY '" + name + "'")) << user->last_error();
  ASSERT_TRUE(user->Exec("ALTER TABLE t ADD COLUMN by_role INT")) << user->last_error();
  ASSERT_TRUE(user->Exec("CREATE TABLE made_by_role (id INT PRIMARY KEY)")) << user->last_error();
  ASSERT_TRUE(user->Exec("END DEPLOY"));
  bool seen = false;
  for (auto& r : user->Query("SHOW DEPLOYS")) seen |= r[0] == name;
  EXPECT_TRUE(seen) << "the deploy is not shown to the user whose role may alter its table";
  // A user without the role neither sees nor controls it.
  auto other = TestConn::Open(proxy_.address("no_role", "n"), db_);
  seen = false;
  for (auto& r : other->Query("SHOW DEPLOYS")) seen |= r[0] == name;
  EXPECT_FALSE(seen);
  EXPECT_FALSE(other->Exec("COMMIT DEPLOY '" + name + "'"));
  EXPECT_EQ(other->last_errno(), 7748u) << other->last_error();
  ASSERT_TRUE(user->Exec("COMMIT DEPLOY '" + name + "'")) << user->last_error();
  EXPECT_EQ(Columns("t").back(), "by_role");
  EXPECT_TRUE(TableExists("made_by_role"));
  admin->MustExec("DROP ROLE '" + outer + "'");
  admin->MustExec("DROP ROLE '" + inner + "'");
}

TEST_F(DeployTest, PlainAlterRejectAndPassthroughModes) {
  Fill("t", 10);
  ProxyProcess reject;
  ProxyProcess::Options options;
  options.extra_args = {"--plain-alter", "reject"};
  ASSERT_TRUE(reject.Start(options)) << reject.log();
  auto r = TestConn::Open(reject.address(), db_);
  EXPECT_FALSE(r->Exec("ALTER TABLE t ADD COLUMN x INT"));
  EXPECT_EQ(r->last_errno(), 7767u);
  ProxyProcess pass;
  options.extra_args = {"--plain-alter", "passthrough"};
  ASSERT_TRUE(pass.Start(options)) << pass.log();
  auto p = TestConn::Open(pass.address(), db_);
  EXPECT_TRUE(p->Exec("ALTER TABLE t ADD COLUMN x INT")) << p->last_error();
  EXPECT_FALSE(TableExists("~t_old"));  // the server did it itself
  EXPECT_EQ(Columns("t").back(), "x");
}

TEST_F(DeployTest, ALongTransactionOnATableDelaysTheSealWithoutHoldingClients) {
  Fill("t", 200);
  Fill("other", 10);
  // A session that bypasses the proxy keeps a (reading) transaction open on t:
  // it holds t's metadata lock, which the seal's RENAME would wait for.
  auto blocker = Direct();
  blocker->MustExec("BEGIN");
  EXPECT_EQ(blocker->Scalar("SELECT a FROM t WHERE id = 1"), "1");
  // Long, as a blocker counts: idle for a second (a younger one may be let
  // run into the hold's budget, which is what "long" rules out).
  std::this_thread::sleep_for(1200ms);
  std::string name = "blocked_" + db_;
  auto c = Via();
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT")) << c->last_error();
  ASSERT_TRUE(c->Exec("END DEPLOY"));
  std::thread commit([&] { EXPECT_TRUE(c->Exec("COMMIT DEPLOY '" + name + "'")) << c->last_error(); });
  // While the seal waits for the blocker, other clients are never held.
  std::string why = ReasonWhileClientsRun(name, "INSERT INTO other (a) VALUES (1)", "idle in a transaction", 20s);
  EXPECT_NE(why.find("holds " + db_ + ".t"), std::string::npos) << why;
  blocker->MustExec("COMMIT");
  commit.join();
  EXPECT_EQ(Columns("t").back(), "z");
}

TEST_F(DeployTest, APreparedXaTransactionDelaysOnlyTheSealOfTheTablesItChanged) {
  Fill("t", 100);
  Fill("other", 100);
  // A deploy of `other` is staged first (its copy is done).
  auto c = Via();
  std::string name = "xa_blocked_" + db_;
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE other ADD COLUMN z INT")) << c->last_error();
  ASSERT_TRUE(c->Exec("END DEPLOY"));
  std::string ready;
  for (auto deadline = std::chrono::steady_clock::now() + 30s; ready != "1" && std::chrono::steady_clock::now() < deadline;) {
    for (auto& r : c->Query("SHOW DEPLOYS")) {
      if (r[0] == name) ready = r[3].value_or("");
    }
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(ready, "1");
  // Then an XA transaction is prepared on `other` by a session that is gone
  // since: it keeps InnoDB's locks on `other` (no metadata lock) until someone ends it.
  std::string xid = XaId();
  PreparedXa xa(db_, xid, "INSERT INTO other (a, b, c) VALUES (7, 'xa', 7)");
  // A deploy of another table is sealed as usual.
  auto d = Via();
  ASSERT_TRUE(d->Exec("BEGIN DEPLOY"));
  ASSERT_TRUE(d->Exec("ALTER TABLE t ADD COLUMN z INT")) << d->last_error();
  auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(d->Exec("COMMIT DEPLOY")) << d->last_error();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 20s) << "the seal waited for an XA on another table";
  EXPECT_EQ(Columns("t").back(), "z");
  // The deploy of the XA's table waits for it, says why, and holds no client meanwhile.
  std::thread commit([&] { EXPECT_TRUE(c->Exec("COMMIT DEPLOY '" + name + "'")) << c->last_error(); });
  std::string why = ReasonWhileClientsRun(name, "INSERT INTO t (a, b, c) VALUES (1, 'x', 1)", "prepared XA", 30s);
  EXPECT_NE(why.find("other held by a prepared XA transaction"), std::string::npos) << why;
  EXPECT_NE(why.find(xid), std::string::npos) << why;
  EXPECT_EQ(Columns("other").back(), "c") << "sealed under a prepared XA transaction";
  xa.Commit();
  commit.join();
  EXPECT_EQ(Columns("other").back(), "z");
  EXPECT_EQ(Direct()->Scalar("SELECT COUNT(*) FROM other WHERE b = 'xa'"), "1") << "the XA's row is not in the new table";
}

TEST_F(DeployTest, ABlockerIsKilledAfterTheConfiguredNumberOfAttempts) {
  ProxyProcess proxy;
  ProxyProcess::Options options;
  options.extra_args = {"--seal-kill-blockers-after", "2"};
  ASSERT_TRUE(proxy.Start(options)) << proxy.log();
  Fill("t", 100);
  auto blocker = Direct();
  blocker->MustExec("BEGIN");
  EXPECT_EQ(blocker->Scalar("SELECT a FROM t WHERE id = 1"), "1");
  auto c = TestConn::Open(proxy.address(), db_);
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY"));
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT")) << c->last_error();
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY")) << c->last_error() << "\n" << proxy.log();
  EXPECT_EQ(Columns("t").back(), "z");
  EXPECT_FALSE(blocker->Exec("COMMIT")) << "the blocking session should have been killed";
  EXPECT_NE(proxy.log().find("killed connection"), std::string::npos) << proxy.log();
}

}  // namespace
}  // namespace sealgate::test
