// A staged ALTER means what it means on the server: the counter it sets, the
// session settings it was sent under, rows too large for one copy chunk.
// Each sealed table is compared with the same ALTER run directly on a twin.
#include <map>
#include <regex>

#include "deploy/trigger_swap.h"
#include "deploy_test_util.h"
#include "sql/errors.h"

namespace sealgate::test {
namespace {

using namespace std::chrono_literals;

// Writes rows (id, i = id + 1000000, a) of its own id range — inserts,
// updates, deletes — and remembers what must be there.
struct KeyedWriter {
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0};
  std::string first_error;
  std::map<int, int> expected;  // id -> a
  std::thread thread;
  void Start(const ServerAddress& addr, const std::string& db, int base) {
    thread = std::thread([=, this] {
      TestConn c;
      if (!c.Connect(addr, db)) {
        ++errors;
        return;
      }
      auto run = [&](const std::string& sql) {
        if (c.Exec(sql)) return true;
        if (errors++ == 0) first_error = sql + ": " + c.last_error();
        return false;
      };
      for (int k = 0; !stop; ++k) {
        int id = base + k;
        if (run("INSERT INTO t (id, i, a) VALUES (" + std::to_string(id) + ", " + std::to_string(id + 1000000) +
                ", " + std::to_string(k) + ")")) {
          expected[id] = k;
        }
        if (k % 3 == 2 && expected.count(id - 1) &&
            run("UPDATE t SET a = a + 7 WHERE id = " + std::to_string(id - 1))) {
          expected[id - 1] += 7;
        }
        if (k % 5 == 4 && expected.count(id - 2) && run("DELETE FROM t WHERE id = " + std::to_string(id - 2))) {
          expected.erase(id - 2);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(3));
      }
    });
  }
  void Join() {
    stop = true;
    if (thread.joinable()) thread.join();
  }
  // "" when every row of the range reads as expected, else the first difference.
  std::string Check(TestConn& c, int base) {
    std::map<int, int> found;
    for (auto& r : c.Query("SELECT id, a FROM t WHERE id >= " + std::to_string(base) + " AND id < " +
                           std::to_string(base + 100000))) {
      found[std::stoi(*r[0])] = std::stoi(*r[1]);
    }
    for (const auto& [id, a] : expected) {
      auto it = found.find(id);
      if (it == found.end()) return "row " + std::to_string(id) + " missing";
      if (it->second != a) return "row " + std::to_string(id) + " has a=" + std::to_string(it->second);
    }
    if (found.size() != expected.size()) return std::to_string(found.size() - expected.size()) + " rows too many";
    return "";
  }
};

class TableShapeTest : public TwinDeployTest {
 protected:
  std::string ShowCreate(const std::string& db, const std::string& table) { return ShowCreateExactly(db, table); }
  std::string Counter(const std::string& db, const std::string& table) {
    return Direct()
        ->Scalar("SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = '" + db +
                 "' AND TABLE_NAME = '" + table + "'")
        .value_or("NULL");
  }
  // `statements` on a proxy session (the last one an ALTER, staged in a
  // deploy and sealed) and directly on the twin: the table must read the same.
  // With `writers`, rows (id, i, a) are written through the proxy and
  // directly meanwhile, and must all be there.
  void StageAndCompare(const std::vector<std::string>& session, const std::string& alter, const std::string& table,
                       bool writers = false) {
    KeyedWriter proxied, direct;
    if (writers) {
      proxied.Start(proxy_.address(), db_, 100000);
      direct.Start(TestServer(), db_, 200000);
    }
    auto c = Via();
    for (const auto& s : session) c->MustExec(s);
    const std::string name = "shape" + std::to_string(++deploys_);
    ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'")) << c->last_error();
    ASSERT_TRUE(c->Exec(alter)) << alter << ": " << c->last_error() << "\n" << proxy_.log();
    ASSERT_TRUE(c->Exec("COMMIT DEPLOY")) << c->last_error() << "\n" << proxy_.log();
    if (writers) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      proxied.Join();
      direct.Join();
      EXPECT_EQ(proxied.errors.load(), 0) << proxied.first_error;
      EXPECT_EQ(direct.errors.load(), 0) << direct.first_error;
      auto d = Direct();
      EXPECT_EQ(proxied.Check(*d, 100000), "");
      EXPECT_EQ(direct.Check(*d, 200000), "");
    }
    EXPECT_TRUE(TableExists("~" + table + "_old")) << "not staged as a copy";
    auto twin = TestConn::Open(TestServer(), twin_);
    for (const auto& s : session) twin->MustExec(s);
    twin->MustExec(alter);
    EXPECT_EQ(ShowCreate(db_, table), ShowCreate(twin_, table)) << alter;
    EXPECT_EQ(Counter(db_, table), Counter(twin_, table)) << alter;
    EXPECT_TRUE(c->Exec("FINALIZE DEPLOY '" + name + "'")) << c->last_error();
  }

  int deploys_ = 0;
};

// The counter an ALTER sets is the sealed table's when it is above the rows'
// own; one below them ends where the server puts it (past the largest id).
TEST_F(TableShapeTest, TheAutoIncrementAnAlterSetsIsTheSealedTables) {
  for (const auto& db : {db_, twin_}) {
    auto c = TestConn::Open(TestServer(), db);
    c->MustExec("CREATE TABLE t (id INT PRIMARY KEY AUTO_INCREMENT, a INT NOT NULL)");
    c->MustExec("INSERT INTO t (a) SELECT seq FROM seq_1_to_20");
  }
  StageAndCompare({}, "ALTER TABLE t ADD COLUMN x INT NULL, AUTO_INCREMENT = 1000", "t");
  EXPECT_EQ(Counter(db_, "t"), "1000");
  auto c = Via();
  c->MustExec("INSERT INTO t (a) VALUES (1)");
  EXPECT_EQ(c->Scalar("SELECT MAX(id) FROM t"), "1000");
  // Below the largest id: past it, as the server does.
  Both({"DELETE FROM t WHERE id = 1000"});
  StageAndCompare({}, "ALTER TABLE t ADD COLUMN y INT NULL, AUTO_INCREMENT = 5", "t");
  // Not set by the ALTER: the table's own counter, rows written meanwhile included.
  auto w = Via();
  ASSERT_TRUE(w->Exec("BEGIN DEPLOY 'plain'"));
  ASSERT_TRUE(w->Exec("ALTER TABLE t ADD COLUMN z INT NULL")) << w->last_error();
  ASSERT_TRUE(w->Exec("END DEPLOY"));
  Direct()->MustExec("INSERT INTO t (id, a) VALUES (5000, 1)");
  ASSERT_TRUE(w->Exec("COMMIT DEPLOY 'plain'")) << w->last_error();
  EXPECT_EQ(Counter(db_, "t"), "5001");
}

// The shadow is altered under the client's sql_mode: what the server refuses
// the client directly is refused with the server's error, and what it
// accepts under a looser mode is staged and sealed.
TEST_F(TableShapeTest, TheClientsSqlModeDecidesWhatTheAlterMeans) {
  Both({"CREATE TABLE t (id INT PRIMARY KEY, i INT NOT NULL, a INT NOT NULL, dt DATETIME NULL DEFAULT '2020-01-01')",
        "INSERT INTO t SELECT seq, seq, seq, NOW() FROM seq_1_to_50"});
  const std::string alter = "ALTER TABLE t CHANGE dt dt DATETIME NOT NULL DEFAULT '1970-00-00 00:00:00'";
  const std::string strict = "SET SESSION sql_mode = 'STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE'";
  auto direct = TestConn::Open(TestServer(), twin_);
  direct->MustExec(strict);
  ASSERT_FALSE(direct->Exec(alter));
  const unsigned expected = direct->last_errno();
  EXPECT_EQ(expected, 1067u) << direct->last_error();
  auto c = Via();
  c->MustExec(strict);
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY 'modes'"));
  EXPECT_FALSE(c->Exec(alter)) << "staged although the server refuses it for this session";
  EXPECT_EQ(c->last_errno(), expected) << c->last_error();
  EXPECT_EQ(std::string(mysql_sqlstate(c->handle())), "42000");
  EXPECT_FALSE(TableExists("~t_new"));
  ASSERT_TRUE(c->Exec("ROLLBACK DEPLOY")) << c->last_error();
  // The same ALTER under a mode that allows zero dates.
  StageAndCompare({"SET SESSION sql_mode = ''"}, alter, "t", /*writers=*/true);
}

// The statement's text is in the client's character set, and a TIMESTAMP
// default is in the client's time zone: the sealed table has the defaults the
// server gives that client.
TEST_F(TableShapeTest, TheClientsCharacterSetAndTimeZoneGiveTheDefaults) {
  Both({"CREATE TABLE t (id INT PRIMARY KEY, i INT NOT NULL, a INT NULL)",
        "INSERT INTO t SELECT seq, seq, seq FROM seq_1_to_50"});
  // 0xE9 is 'é' in latin1; the session says so.
  StageAndCompare({"SET NAMES latin1", "SET SESSION time_zone = '+05:00'"},
                  "ALTER TABLE t ADD COLUMN name VARCHAR(10) NOT NULL DEFAULT 'caf\xE9', "
                  "ADD COLUMN since TIMESTAMP NOT NULL DEFAULT '2020-01-01 10:00:00'",
                  "t", /*writers=*/true);
  // Whatever the reading connection's character set: compare as UTF-8 bytes.
  auto default_is = [&](const std::string& column, const std::string& utf8_hex) {
    return Direct()->Scalar("SELECT HEX(CONVERT(COLUMN_DEFAULT USING utf8mb4)) FROM information_schema.COLUMNS "
                            "WHERE TABLE_SCHEMA = '" + db_ + "' AND TABLE_NAME = 't' AND COLUMN_NAME = '" + column +
                            "'") == utf8_hex;
  };
  EXPECT_TRUE(default_is("name", "27636166C3A927")) << ShowCreate(db_, "t");  // 'café'
  auto utc = Direct();
  utc->MustExec("SET SESSION time_zone = '+00:00'");
  EXPECT_EQ(utc->Scalar("SELECT since FROM t WHERE id = 1"), "2020-01-01 05:00:00");
  // A change the server makes in place (no copy) is made under them too.
  auto c = Via();
  c->MustExec("SET NAMES latin1");
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN city VARCHAR(10) NULL DEFAULT 'K\xF6ln'")) << c->last_error();
  EXPECT_FALSE(TableExists("~t_new"));
  EXPECT_TRUE(default_is("city", "274BC3B66C6E27")) << ShowCreate(db_, "t");  // 'Köln'
}

// Keys that change but still identify the rows (gh-ost's shared unique key):
// a widened primary key, a primary key swapped with a unique key, unique keys
// dropped and added again under new names. Staged and sealed under writers
// through the proxy and directly, then reverted: every write where it must
// be, the schema as the server's own ALTER leaves it, and back.
TEST_F(TableShapeTest, KeysThatChangeButStillIdentifyTheRowsAreMigratedAndReverted) {
  struct Case {
    const char* create;
    const char* alter;
    const char* more = "DO 0";
  };
  const Case cases[] = {
      {"CREATE TABLE t (id INT NOT NULL, i INT NOT NULL, a INT NOT NULL, PRIMARY KEY (id))",
       "ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (id, i)"},
      {"CREATE TABLE t (id INT NOT NULL, i INT NOT NULL, a INT NOT NULL, PRIMARY KEY (id), UNIQUE KEY ui (i))",
       "ALTER TABLE t DROP PRIMARY KEY, DROP KEY ui, ADD PRIMARY KEY (i), ADD UNIQUE KEY uid (id)"},
      {"CREATE TABLE t (id INT NOT NULL, i INT NOT NULL, a INT NOT NULL, UNIQUE KEY uid (id), UNIQUE KEY ui (i))",
       "ALTER TABLE t DROP KEY uid, DROP KEY ui, ADD UNIQUE KEY uid2 (id), ADD UNIQUE KEY ui2 (i)"},
      // An ENUM first in the primary key: walked in member order, not as its labels sort.
      {"CREATE TABLE t (id INT NOT NULL, i INT NOT NULL, a INT NOT NULL, "
       "k ENUM('zeta','alpha','mid') NOT NULL DEFAULT 'mid', PRIMARY KEY (k, id))",
       "ALTER TABLE t ADD COLUMN extra INT NULL", "UPDATE t SET k = ELT(1 + id % 3, 'zeta', 'alpha', 'mid')"},
  };
  int n = 0;
  for (const Case& k : cases) {
    SCOPED_TRACE(k.alter);
    Both({"DROP TABLE IF EXISTS t", "DROP TABLE IF EXISTS `~t_old`", k.create,
          "INSERT INTO t (id, i, a) SELECT seq, seq + 1000000, seq FROM seq_1_to_3000", k.more});
    const std::string before = ShowCreate(db_, "t");
    KeyedWriter proxied, direct;
    proxied.Start(proxy_.address(), db_, 100000);
    direct.Start(TestServer(), db_, 200000);
    std::this_thread::sleep_for(100ms);
    auto c = Via();
    const std::string name = "keys" + std::to_string(++n);
    ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'"));
    ASSERT_TRUE(c->Exec(k.alter)) << c->last_error() << "\n" << proxy_.log();
    ASSERT_TRUE(c->Exec("END DEPLOY"));
    auto d = Direct();
    d->MustExec("UPDATE t SET a = a + 1 WHERE id BETWEEN 10 AND 20");  // rows the copy may have passed
    ASSERT_TRUE(c->Exec("COMMIT DEPLOY '" + name + "'")) << c->last_error() << "\n" << proxy_.log();
    std::this_thread::sleep_for(200ms);  // writes to the new table
    TestConn::Open(TestServer(), twin_)->MustExec(k.alter);
    EXPECT_EQ(ShowCreate(db_, "t"), ShowCreate(twin_, "t"));
    ASSERT_TRUE(c->Exec("REVERT DEPLOY '" + name + "'")) << c->last_error() << "\n" << proxy_.log();
    std::this_thread::sleep_for(200ms);  // writes to the old table again
    proxied.Join();
    direct.Join();
    EXPECT_EQ(proxied.errors.load(), 0) << proxied.first_error;
    EXPECT_EQ(direct.errors.load(), 0) << direct.first_error;
    EXPECT_EQ(ShowCreate(db_, "t"), before);
    EXPECT_EQ(proxied.Check(*d, 100000), "");
    EXPECT_EQ(direct.Check(*d, 200000), "");
    EXPECT_EQ(d->Scalar("SELECT SUM(a) FROM t WHERE id <= 3000"), "4501511");  // 3000 * 3001 / 2 + 11
    EXPECT_TRUE(c->Exec("FINALIZE DEPLOY '" + name + "'")) << c->last_error();
  }
}

// Triggers move with the table: while staging they fire for the
// application's writes only (never for the copy's or the applier's), after the
// seal they are the live table's, as the server's own ALTER leaves them —
// names (64 characters too), order, definer, sql_mode, character set — and a
// revert moves them back. Every write fires each trigger exactly once.
TEST_F(TableShapeTest, TriggersMoveWithTheTableAndFireOnceForEveryWrite) {
  const std::string long_name = "trg_" + std::string(60, 'x');
  for (const auto& db : {db_, twin_}) {
    auto c = TestConn::Open(TestServer(), db);
    c->MustExec("CREATE TABLE t (id INT NOT NULL PRIMARY KEY, i INT NOT NULL, a INT NOT NULL)");
    c->MustExec("CREATE TABLE audit (n INT AUTO_INCREMENT PRIMARY KEY, tid INT, what VARCHAR(10), val INT)");
    c->MustExec("INSERT INTO t SELECT seq, seq + 1000000, seq FROM seq_1_to_2000");
    c->MustExec("CREATE TRIGGER t_ai AFTER INSERT ON t FOR EACH ROW INSERT INTO audit (tid, what, val) VALUES (NEW.id, 'ins', NEW.a)");
    c->MustExec("CREATE TRIGGER t_au AFTER UPDATE ON t FOR EACH ROW INSERT INTO audit (tid, what, val) VALUES (NEW.id, 'upd', NEW.a)");
    c->MustExec("CREATE TRIGGER `" + long_name + "` AFTER DELETE ON t FOR EACH ROW INSERT INTO audit (tid, what, val) VALUES (OLD.id, 'del', 0)");
    // Another session's settings: latin1 text, no strict mode; it fires second.
    c->MustExec("SET NAMES latin1");
    c->MustExec("SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION'");
    c->MustExec("CREATE TRIGGER t_ai2 AFTER INSERT ON t FOR EACH ROW FOLLOWS t_ai INSERT INTO audit (tid, what, val) VALUES (NEW.id, 'caf\xE9', 0)");
  }
  auto triggers = [&](const std::string& db) {
    std::string out;
    for (auto& r : Direct()->Query(
             "SELECT TRIGGER_NAME, EVENT_MANIPULATION, EVENT_OBJECT_TABLE, ACTION_ORDER, HEX(ACTION_STATEMENT), "
             "ACTION_TIMING, SQL_MODE, DEFINER, CHARACTER_SET_CLIENT, COLLATION_CONNECTION, DATABASE_COLLATION FROM "
             "information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '" + db + "' ORDER BY TRIGGER_NAME")) {
      for (auto& v : r) out += v.value_or("NULL") + "|";
      out += "\n";
    }
    return out;
  };
  const std::string before = triggers(db_);
  ASSERT_EQ(before, triggers(twin_));
  KeyedWriter proxied, direct;
  proxied.Start(proxy_.address(), db_, 100000);
  direct.Start(TestServer(), db_, 200000);
  std::this_thread::sleep_for(100ms);
  auto c = Via();
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY 'trg'"));
  const std::string alter = "ALTER TABLE t ADD COLUMN note VARCHAR(20) NULL, ADD INDEX ia (a)";
  ASSERT_TRUE(c->Exec(alter)) << c->last_error() << "\n" << proxy_.log();
  ASSERT_TRUE(c->Exec("END DEPLOY"));
  auto d = Direct();
  d->MustExec("UPDATE t SET a = a + 1000 WHERE id BETWEEN 10 AND 20");
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY 'trg'")) << c->last_error() << "\n" << proxy_.log();
  TestConn::Open(TestServer(), twin_)->MustExec(alter);
  EXPECT_EQ(triggers(db_), triggers(twin_)) << "after the seal";
  std::this_thread::sleep_for(300ms);  // writes to the new table, replicated into the old one
  ASSERT_TRUE(c->Exec("REVERT DEPLOY 'trg'")) << c->last_error() << "\n" << proxy_.log();
  EXPECT_EQ(triggers(db_), before) << "after the revert";
  std::this_thread::sleep_for(300ms);
  proxied.Join();
  direct.Join();
  EXPECT_EQ(proxied.errors.load(), 0) << proxied.first_error;
  EXPECT_EQ(direct.errors.load(), 0) << direct.first_error;
  EXPECT_EQ(proxied.Check(*d, 100000), "");
  EXPECT_EQ(direct.Check(*d, 200000), "");
  // Exactly once: no action twice (each update sets a new value), none missing.
  EXPECT_EQ(d->Scalar("SELECT COUNT(*) FROM (SELECT tid, what, val FROM audit GROUP BY tid, what, val "
                      "HAVING COUNT(*) > 1) twice"), "0");
  EXPECT_EQ(d->Scalar("SELECT COUNT(*) FROM audit WHERE what = 'upd' AND tid BETWEEN 10 AND 20"), "11");
  for (auto* w : {&proxied, &direct}) {
    for (const auto& [id, a] : w->expected) {
      ASSERT_EQ(d->Scalar("SELECT COUNT(*) FROM audit WHERE what = 'ins' AND tid = " + std::to_string(id)), "1") << id;
      ASSERT_EQ(d->Scalar("SELECT COUNT(*) FROM audit WHERE what = CONVERT(_utf8mb4 X'636166C3A9' USING utf8mb4) "
                          "AND tid = " + std::to_string(id)), "1") << id;
    }
  }
  EXPECT_EQ(d->Scalar("SELECT COUNT(*) FROM audit WHERE what = 'ins' AND tid <= 2000"), "0") << "the copy fired them";
  EXPECT_TRUE(c->Exec("FINALIZE DEPLOY 'trg'")) << c->last_error();
}

// sealgate stops between the RENAME and moving the triggers: the live table
// has them under their temporary names meanwhile (they fire), and the next
// start gives them their own names; the kept table has none.
TEST_F(TableShapeTest, TriggersAreMovedAfterAStopRightAfterTheRename) {
  Both({"CREATE TABLE t (id INT PRIMARY KEY, a INT NOT NULL)",
        "CREATE TABLE audit (n INT AUTO_INCREMENT PRIMARY KEY, tid INT)",
        "INSERT INTO t SELECT seq, seq FROM seq_1_to_500",
        "CREATE TRIGGER t_ai AFTER INSERT ON t FOR EACH ROW INSERT INTO audit (tid) VALUES (NEW.id)"});
  proxy_.Stop();
  ProxyProcess crashing;
  ProxyProcess::Options o;
  o.metadata_schema = "_sgtest_trg_" + std::to_string(getpid());
  o.extra_args = {"--fault-points", "seal.keys_restoring=crash"};
  ASSERT_TRUE(crashing.Start(o)) << crashing.log();
  {
    auto c = TestConn::Open(crashing.address(), db_);
    ASSERT_TRUE(c->Exec("BEGIN DEPLOY 'stop'"));
    ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN b INT NULL")) << c->last_error();
    EXPECT_FALSE(c->Exec("COMMIT DEPLOY 'stop'"));  // the proxy went away
  }
  crashing.Kill();
  auto d = Direct();
  auto on = [&](const std::string& table) {
    return d->Scalar("SELECT GROUP_CONCAT(TRIGGER_NAME) FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = '" +
                     db_ + "' AND EVENT_OBJECT_TABLE = '" + table + "'").value_or("");
  };
  EXPECT_EQ(on("t"), deploy::SwapTriggerName("t_ai")) << "the swap landed before the triggers moved";
  d->MustExec("INSERT INTO t (id, a) VALUES (9001, 1)");  // the temporary trigger fires
  EXPECT_EQ(d->Scalar("SELECT COUNT(*) FROM audit WHERE tid = 9001"), "1");
  ProxyProcess again;
  o.extra_args.clear();
  ASSERT_TRUE(again.Start(o)) << again.log();
  EXPECT_TRUE(WaitFor([&] { return on("t") == "t_ai" && on("~t_old").empty(); }, 10s)) << again.log();
  d->MustExec("INSERT INTO t (id, a) VALUES (9002, 1)");
  EXPECT_EQ(d->Scalar("SELECT COUNT(*) FROM audit WHERE tid = 9002"), "1");
  TestConn::Open(TestServer(), twin_)->MustExec("ALTER TABLE t ADD COLUMN b INT NULL");
  EXPECT_EQ(ShowCreate(db_, "t"), ShowCreate(twin_, "t"));
  again.Stop();
  (void)Direct()->Exec("DROP DATABASE IF EXISTS `" + o.metadata_schema + "`");
}

// A trigger defined by another account can be created again at the seal
// only with SET USER: without it the ALTER is refused at staging, saying so,
// and nothing is left behind.
TEST_F(TableShapeTest, ATriggerSealgateCouldNotCreateAgainIsRefusedAtStaging) {
  auto admin = TestConn::Open(TestServer());
  (void)admin->Exec("DROP USER IF EXISTS 'sg_noset'@'127.0.0.1'");
  admin->MustExec("CREATE USER 'sg_noset'@'127.0.0.1' IDENTIFIED BY 'sg_noset'");
  admin->MustExec("GRANT ALL PRIVILEGES ON *.* TO 'sg_noset'@'127.0.0.1'");
  admin->MustExec("REVOKE SUPER, SET USER ON *.* FROM 'sg_noset'@'127.0.0.1'");
  struct DropUser {
    ~DropUser() { (void)TestConn::Open(TestServer())->Exec("DROP USER IF EXISTS 'sg_noset'@'127.0.0.1'"); }
  } drop_user;
  Both({"CREATE TABLE t (id INT PRIMARY KEY, a INT NULL)", "CREATE TABLE audit (tid INT)",
        "CREATE DEFINER = 'root'@'localhost' TRIGGER t_ai AFTER INSERT ON t FOR EACH ROW INSERT INTO audit VALUES (NEW.id)"});
  ProxyProcess limited;
  ProxyProcess::Options o;
  o.upstream.user = "sg_noset";
  o.upstream.password = "sg_noset";
  ASSERT_TRUE(limited.Start(o)) << limited.log();
  auto c = TestConn::Open(limited.address(), db_);
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY 'noset'")) << c->last_error();
  EXPECT_FALSE(c->Exec("ALTER TABLE t ADD COLUMN b INT NULL"));
  EXPECT_EQ(c->last_errno(), error::kDeployUnsupported) << c->last_error();
  EXPECT_NE(c->last_error().find("SET USER"), std::string::npos) << c->last_error();
  EXPECT_NE(c->last_error().find("root@localhost"), std::string::npos) << c->last_error();
  EXPECT_TRUE(c->Exec("ROLLBACK DEPLOY")) << c->last_error();
  EXPECT_FALSE(TableExists("~t_new"));
  limited.Stop();
  (void)Direct()->Exec("DROP DATABASE IF EXISTS `_sgtest_" + std::to_string(limited.address().port) + "`");
}

// A plain ALTER sealgate cannot do online (a table without a key that
// identifies its rows) is refused naming the per-statement way through, and
// that way lets the server run it.
TEST_F(TableShapeTest, APlainAlterThatCannotBeOnlineNamesTheWayThroughToTheServer) {
  Both({"CREATE TABLE t (a INT NULL, b INT NULL)", "INSERT INTO t SELECT seq, seq FROM seq_1_to_20"});
  auto c = Via();
  EXPECT_FALSE(c->Exec("ALTER TABLE t ADD COLUMN x INT NULL, FORCE"));
  EXPECT_EQ(c->last_errno(), error::kInspectNoUniqueKey) << c->last_error();
  EXPECT_NE(c->last_error().find("/*sealgate:passthrough*/"), std::string::npos) << c->last_error();
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN x INT NULL, FORCE /*sealgate:passthrough*/")) << c->last_error();
  TestConn::Open(TestServer(), twin_)->MustExec("ALTER TABLE t ADD COLUMN x INT NULL, FORCE");
  EXPECT_EQ(ShowCreate(db_, "t"), ShowCreate(twin_, "t"));
  EXPECT_EQ(c->Scalar("SELECT COUNT(*) FROM t"), "20");
}

// A copy chunk is one transaction, and its rows must fit the binlog cache:
// rows far larger than the table's average said are copied in smaller
// chunks, never failing the migration (a private server: the limit is global).
TEST(TableShapeCopy, RowsLargerThanTheBinlogCacheAllowsAreCopiedInSmallerChunks) {
  std::string dir = ScratchDir() + "/binlog-cache";
  int port = FreePort();
  std::string script = SourceDir() + "/scripts/mariadb.sh";
  ASSERT_EQ(system((script + " start " + dir + " " + std::to_string(port) + " 12 >/dev/null").c_str()), 0);
  struct StopAtExit {
    std::string cmd;
    ~StopAtExit() { (void)system(cmd.c_str()); }
  } stop_at_exit{script + " stop " + dir + " >/dev/null"};
  ServerAddress addr{"127.0.0.1", port, "sealgate", "sealgate"};
  auto admin = TestConn::Open(addr);
  admin->MustExec("DROP DATABASE IF EXISTS big");
  admin->MustExec("CREATE DATABASE big CHARACTER SET utf8mb4");
  admin->MustExec("CREATE TABLE big.t (id INT PRIMARY KEY, body MEDIUMTEXT NOT NULL)");
  // 300 rows of 40 kB: 12 MB, while the table's statistics still say it is small.
  admin->MustExec("INSERT INTO big.t SELECT seq, REPEAT(CHAR(65 + seq % 26), 40000) FROM big.seq_1_to_300");
  admin->MustExec("SET GLOBAL max_binlog_cache_size = 1048576");
  ProxyProcess proxy;
  ProxyProcess::Options options;
  options.upstream = addr;
  ASSERT_TRUE(proxy.Start(options)) << proxy.log();
  auto c = TestConn::Open(proxy.address(), "big");
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY 'big'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN n INT NULL")) << c->last_error();
  ASSERT_TRUE(c->Exec("END DEPLOY"));
  auto writer = TestConn::Open(proxy.address(), "big");
  writer->MustExec("UPDATE t SET body = REPEAT('z', 30000) WHERE id = 7");
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY 'big'")) << c->last_error() << "\n" << proxy.log();
  auto d = TestConn::Open(addr, "big");
  EXPECT_EQ(d->Scalar("SELECT COUNT(*) FROM t"), "300");
  EXPECT_EQ(d->Scalar("SELECT SUM(CRC32(CONCAT(id, ':', body))) FROM t"),
            d->Scalar("SELECT SUM(CRC32(CONCAT(id, ':', body))) FROM `~t_old`"));
  EXPECT_EQ(d->Scalar("SELECT LENGTH(body) FROM t WHERE id = 7"), "30000");
  proxy.Stop();
}

}  // namespace
}  // namespace sealgate::test
