// sealgate's own state through the proxy: its metadata schema cannot be
// written by clients, SHOW DEPLOY CHECK reports metadata that disagrees with
// the schema, deploys are shown only to those who may control them, deploy
// names compare exactly, and names and labels outside ASCII stay intact.
#include <mysql.h>

#include "deploy/deploy_test_util.h"

namespace sealgate::test {
namespace {

using namespace std::chrono_literals;

class DeployStateTest : public DeployTest {
 protected:
  // The metadata schema of the fixture's proxy (ProxyProcess: "_sgtest_<port>").
  std::string Meta() const { return "_sgtest_" + std::to_string(proxy_.port()); }
  // The rows of SHOW DEPLOY STATUS for `deploy` as `c` sees them.
  static size_t StatusRows(TestConn& c, const std::string& deploy, const std::string& statement = "SHOW DEPLOY STATUS") {
    size_t n = 0;
    for (auto& r : c.Query(statement)) n += r[0] == deploy;
    return n;
  }
  static bool Listed(TestConn& c, const std::string& deploy) {
    bool seen = false;
    for (auto& r : c.Query("SHOW DEPLOYS")) seen |= r[0] == deploy;
    return seen;
  }
};

// A migration is bound to the shadow it created (its InnoDB table id), not
// to the shadow's name: a table put under that name while sealgate was down
// is never applied into, resumed on or dropped, and the deploy says why.
TEST_F(DeployStateTest, AMigrationNeverWritesIntoAShadowItDidNotCreate) {
  Fill("t", 500);
  const std::string name = "bound_" + db_;
  const std::string schema = "_sgtest_bound_" + std::to_string(getpid());
  ProxyProcess::Options options = FreshMetadata(schema);
  ProxyProcess first;
  ASSERT_TRUE(first.Start(options)) << first.log();
  {
    auto c = TestConn::Open(first.address(), db_);
    ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'"));
    ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT NULL")) << c->last_error();
    ASSERT_TRUE(c->Exec("END DEPLOY")) << c->last_error();
  }
  ASSERT_TRUE(WaitFor([&] { return Direct()->Scalar("SELECT COUNT(*) FROM `~t_new`") == "500"; }, 30s));
  first.Kill();
  // Another table under the shadow's name, with rows of its own.
  auto direct = Direct();
  direct->MustExec("DROP TABLE `~t_new`");
  direct->MustExec("CREATE TABLE `~t_new` LIKE t");
  direct->MustExec("ALTER TABLE `~t_new` ADD COLUMN z INT NULL");
  direct->MustExec("INSERT INTO `~t_new` SELECT *, 7 FROM t WHERE id <= 10");

  ProxyProcess second;
  ASSERT_TRUE(second.Start(options)) << second.log();
  direct->MustExec("UPDATE t SET a = -1 WHERE id <= 5");
  direct->MustExec("INSERT INTO t (id, a) VALUES (9001, 1)");
  std::this_thread::sleep_for(2s);  // what a resumed applier would have applied by now
  EXPECT_EQ(direct->Scalar("SELECT COUNT(*) FROM `~t_new`"), "10");
  EXPECT_EQ(direct->Scalar("SELECT COUNT(*) FROM `~t_new` WHERE a = -1"), "0");
  EXPECT_NE(second.log().find("is not resumed"), std::string::npos) << second.log();
  EXPECT_NE(second.log().find("is not the table this migration created"), std::string::npos) << second.log();

  auto c = TestConn::Open(second.address(), db_);
  bool reported = false;
  for (auto& r : c->Query("SHOW DEPLOY CHECK")) {
    reported |= r[1] == name && r[3].value_or("").find("not the table this migration created") != std::string::npos;
  }
  EXPECT_TRUE(reported) << "SHOW DEPLOY CHECK does not report the shadow that is not the migration's";
  EXPECT_FALSE(c->Exec("COMMIT DEPLOY '" + name + "'"));
  EXPECT_EQ(c->last_errno(), 7754u) << c->last_error();
  EXPECT_NE(c->last_error().find("not the table this migration created"), std::string::npos) << c->last_error();
  EXPECT_EQ(Columns("t"), (std::vector<std::string>{"id", "a", "b", "c"}));
  ASSERT_TRUE(c->Exec("ROLLBACK DEPLOY '" + name + "'")) << c->last_error();
  EXPECT_TRUE(TableExists("~t_new")) << "a table the migration did not create was dropped";
  EXPECT_EQ(direct->Scalar("SELECT COUNT(*) FROM `~t_new`"), "10");
  // The table can be changed again, with a shadow of its own.
  EXPECT_TRUE(c->Exec("ALTER TABLE t MODIFY c BIGINT NULL")) << c->last_error() << second.log();
  EXPECT_EQ(direct->Scalar("SELECT COUNT(*) FROM t"), "501");
  EXPECT_EQ(direct->Scalar("SELECT COUNT(*) FROM `~t_new`"), "10");
  second.Stop();
  TestConn::Open(TestServer())->MustExec("DROP DATABASE IF EXISTS " + schema);
}

// Every form that would change the metadata schema is refused with 7772 /
// 42000, alone or inside a multi-statement packet, qualified or after USE;
// reading it works; and nothing in it changed.
TEST_F(DeployStateTest, MetadataSchemaIsReadOnlyThroughTheProxy) {
  Fill("t", 50);
  const std::string meta = Meta();
  auto c = Via();
  std::string name = "meta_" + db_;
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT")) << c->last_error();
  ASSERT_TRUE(c->Exec("END DEPLOY"));
  ASSERT_TRUE(WaitFor([&] { return Direct()->Scalar("SELECT COUNT(*) FROM " + meta + ".deploy_items") == "1"; }, 10s));
  // Staging checkpoints write the migrations row meanwhile: compare the deploy tables.
  auto fingerprint = [&] {
    auto d = Direct();
    return d->Query("CHECKSUM TABLE `" + meta + "`.`deploys`, `" + meta + "`.`deploy_items`, `" + meta +
                    "`.`deploy_controls` EXTENDED");
  };
  const std::vector<Row> before = fingerprint();
  const std::string tables_before =
      Direct()->Scalar("SELECT GROUP_CONCAT(TABLE_NAME ORDER BY TABLE_NAME) FROM information_schema.TABLES "
                       "WHERE TABLE_SCHEMA = '" + meta + "'").value_or("");
  ASSERT_NE(tables_before.find("deploys"), std::string::npos);

  const std::vector<std::string> refused = {
      "INSERT INTO " + meta + ".deploys (name, anonymous, state, created_at) VALUES ('x', 0, 'open', NOW())",
      "UPDATE `" + meta + "`.deploys SET state = 'sealed'",
      "DELETE FROM " + meta + ".deploy_items",
      "REPLACE INTO " + meta + ".heartbeats VALUES (1, 1, NOW())",
      "TRUNCATE TABLE " + meta + ".migrations",
      "ALTER TABLE " + meta + ".deploys ADD COLUMN x INT",
      "DROP TABLE " + meta + ".lease",
      "CREATE TABLE " + meta + ".mine (id INT PRIMARY KEY)",
      "RENAME TABLE " + meta + ".deploys TO `" + db_ + "`.stolen",
      "DROP DATABASE " + meta,
      "SELECT 1; DELETE FROM " + meta + ".deploys",
      "INSERT INTO t (a) VALUES (1); UPDATE " + meta + ".deploy_items SET shadow = ''",
      "EXECUTE IMMEDIATE 'DELETE FROM " + meta + ".deploys'",
  };
  for (const auto& sql : refused) {
    EXPECT_FALSE(c->Exec(sql)) << sql;
    EXPECT_EQ(c->last_errno(), 7772u) << sql << ": " << c->last_error();
    EXPECT_STREQ(mysql_sqlstate(c->handle()), "42000") << sql;
    EXPECT_NE(c->last_error().find("SHOW DEPLOY STATUS"), std::string::npos) << c->last_error();
  }
  // The refused multi-statement packet ran none of its statements.
  EXPECT_EQ(Direct()->Scalar("SELECT COUNT(*) FROM t"), "50");

  // After USE of the schema, unqualified writes are refused and reads work.
  auto in_meta = TestConn::Open(proxy_.address());
  ASSERT_TRUE(in_meta->Exec("USE " + meta)) << in_meta->last_error();
  for (const char* sql : {"DELETE FROM deploys", "UPDATE deploy_items SET shadow = ''", "TRUNCATE deploys",
                          "INSERT INTO deploys (name, anonymous, state, created_at) VALUES ('y', 0, 'open', NOW())",
                          "DROP TABLE deploy_controls"}) {
    EXPECT_FALSE(in_meta->Exec(sql)) << sql;
    EXPECT_EQ(in_meta->last_errno(), 7772u) << sql << ": " << in_meta->last_error();
  }
  EXPECT_EQ(in_meta->Scalar("SELECT COUNT(*) FROM deploys WHERE name = '" + name + "'"), "1");
  // COM_INIT_DB (the client's own `use`) counts the same.
  ASSERT_EQ(mysql_select_db(c->handle(), meta.c_str()), 0) << mysql_error(c->handle());
  EXPECT_FALSE(c->Exec("DELETE FROM deploy_items"));
  EXPECT_EQ(c->last_errno(), 7772u) << c->last_error();
  ASSERT_EQ(mysql_select_db(c->handle(), db_.c_str()), 0);

  // A prepared statement (binary protocol) is refused at COM_STMT_PREPARE.
  MYSQL_STMT* stmt = mysql_stmt_init(c->handle());
  std::string prepared = "DELETE FROM " + meta + ".deploys WHERE name = ?";
  EXPECT_NE(mysql_stmt_prepare(stmt, prepared.c_str(), prepared.size()), 0);
  EXPECT_EQ(mysql_stmt_errno(stmt), 7772u) << mysql_stmt_error(stmt);
  mysql_stmt_close(stmt);

  // Reads of the schema stay allowed, also as the source of a write elsewhere.
  EXPECT_EQ(c->Scalar("SELECT COUNT(*) FROM " + meta + ".deploys WHERE name = '" + name + "'"), "1");
  ASSERT_TRUE(c->Exec("CREATE TABLE deploys_copy AS SELECT name FROM " + meta + ".deploys")) << c->last_error();
  EXPECT_EQ(c->Scalar("SELECT COUNT(*) FROM deploys_copy"), "1");
  EXPECT_TRUE(c->Exec("SELECT 1")) << "the session works on after the refusals";

  EXPECT_EQ(fingerprint(), before);
  EXPECT_EQ(Direct()->Scalar("SELECT GROUP_CONCAT(TABLE_NAME ORDER BY TABLE_NAME) FROM information_schema.TABLES "
                             "WHERE TABLE_SCHEMA = '" + meta + "'").value_or(""),
            tables_before);
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY '" + name + "'")) << c->last_error();
  EXPECT_EQ(Columns("t").back(), "z");
}

// SHOW DEPLOY CHECK on metadata edited behind sealgate's back (directly on
// the server): each disagreement is one row naming the deploy, the table, the
// problem and a fix; nothing is repaired; a user who may not alter the tables
// sees none of it.
TEST_F(DeployStateTest, ShowDeployCheckReportsMetadataThatDisagreesWithTheSchema) {
  for (const char* t : {"t", "u", "v", "w"}) Fill(t, 200);
  const std::string meta = Meta();
  auto c = Via();
  const std::string staged = "staged_" + db_, sealed = "sealed_" + db_, dropped = "dropped_" + db_,
                    orphan = "orphan_" + db_;
  auto stage = [&](const std::string& name, const std::string& table, bool commit) {
    ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'"));
    ASSERT_TRUE(c->Exec("ALTER TABLE " + table + " ADD COLUMN z INT")) << c->last_error();
    ASSERT_TRUE(c->Exec(commit ? "COMMIT DEPLOY" : "END DEPLOY")) << c->last_error();
  };
  stage(staged, "t", false);
  stage(sealed, "u", true);
  stage(dropped, "v", false);
  stage(orphan, "w", false);
  auto check = [&](TestConn& conn) {
    std::map<std::string, Row> rows;  // "kind|deploy|table" -> row
    for (auto& r : conn.Query("SHOW DEPLOY CHECK")) {
      EXPECT_EQ(r.size(), 5u);
      rows[r[0].value_or("") + "|" + r[1].value_or("") + "|" + r[2].value_or("")] = r;
    }
    return rows;
  };
  // Leftovers of other tests elsewhere on this server may be reported: only this database's rows count.
  for (auto& [key, r] : check(*c)) {
    EXPECT_EQ(key.find(db_), std::string::npos) << "reported before any damage: " << key << ": " << r[3].value_or("");
  }

  auto d = Direct();
  d->MustExec("CREATE TABLE `~t_old` (id INT PRIMARY KEY)");               // the staged seal's RENAME target
  d->MustExec("DROP TABLE `~u_old`");                                       // what REVERT DEPLOY needs
  d->MustExec("UPDATE " + meta + ".deploys SET state = 'rolled_back' WHERE name = '" + dropped + "'");
  d->MustExec("DELETE FROM " + meta + ".deploys WHERE name = '" + orphan + "'");
  d->MustExec("CREATE TABLE `~!sealgate_gate_a` (sealgate_gate INT)");     // a seal cut short
  const std::string db = db_ + ".";

  auto rows = check(*c);
  std::string all;
  for (auto& [key, r] : rows) all += key + ": " + r[3].value_or("") + " / " + r[4].value_or("") + "\n";
  auto expect = [&](const std::string& key, const std::string& problem, const std::string& fix) {
    auto it = rows.find(key);
    ASSERT_NE(it, rows.end()) << key << " not reported; got:\n" << all;
    EXPECT_NE(it->second[3].value_or("").find(problem), std::string::npos) << key << ": " << it->second[3].value_or("");
    EXPECT_NE(it->second[4].value_or("").find(fix), std::string::npos) << key << ": " << it->second[4].value_or("");
    rows.erase(it);
  };
  expect("table|" + staged + "|" + db + "~t_old", "RENAME target exists", "ROLLBACK DEPLOY '" + staged + "'");
  expect("table|" + sealed + "|" + db + "~u_old", "missing", "FINALIZE DEPLOY '" + sealed + "'");
  expect("table|" + dropped + "|" + db + "~v_new", "left behind by a rolled_back deploy", "DROP TABLE");
  expect("migration|" + dropped + "|" + db + "v", "its deploy is rolled_back", "state = 'cancelled'");
  expect("item|" + orphan + "|" + db + "w", "does not have", "DELETE FROM");
  expect("migration|" + orphan + "|" + db + "w", "is not in `deploys`", "state = 'cancelled'");
  expect("gate||" + db + "~!sealgate_gate_a", "outlived its seal", "DROP TABLE");
  for (auto& [key, r] : rows) {
    // Findings of other databases' leftovers on this server are not this test's.
    EXPECT_EQ(key.find(db_), std::string::npos) << "unexpected: " << key << ": " << r[3].value_or("");
  }

  // Report only: the metadata and the tables are as they were.
  EXPECT_EQ(d->Scalar("SELECT state FROM " + meta + ".deploys WHERE name = '" + dropped + "'"), "rolled_back");
  EXPECT_EQ(d->Scalar("SELECT COUNT(*) FROM " + meta + ".deploy_items WHERE deploy = '" + orphan + "'"), "1");
  EXPECT_TRUE(TableExists("~t_old"));
  EXPECT_TRUE(TableExists("~!sealgate_gate_a"));

  // Someone who may not alter these tables sees none of it.
  auto root = TestConn::Open(TestServer());
  root->MustExec("CREATE OR REPLACE USER 'check_reader'@'127.0.0.1' IDENTIFIED BY 'r'");
  root->MustExec("GRANT SELECT ON `" + db_ + "`.* TO 'check_reader'@'127.0.0.1'");
  auto reader = TestConn::Open(proxy_.address("check_reader", "r"), db_);
  for (auto& [key, r] : check(*reader)) EXPECT_EQ(key.find(db_), std::string::npos) << key;
  root->MustExec("DROP USER 'check_reader'@'127.0.0.1'");
  d->MustExec("DROP TABLE `~t_old`, `~!sealgate_gate_a`");
}

// SHOW DEPLOY STATUS shows a user only the deploys SHOW DEPLOYS shows it
// (tables it may alter), and another session's anonymous deploy is shown
// only to those who may control it — one with nothing staged to nobody else.
TEST_F(DeployStateTest, DeploysAreShownOnlyToThoseWhoMayControlThem) {
  Fill("t", 100);
  Fill("u", 100);
  auto admin = TestConn::Open(TestServer());
  admin->MustExec("CREATE OR REPLACE USER 'vis_reader'@'127.0.0.1' IDENTIFIED BY 'r'");
  admin->MustExec("GRANT SELECT, INSERT, UPDATE, DELETE ON `" + db_ + "`.* TO 'vis_reader'@'127.0.0.1'");
  admin->MustExec("CREATE OR REPLACE USER 'vis_owner'@'%' IDENTIFIED BY 'o'");
  admin->MustExec("GRANT ALL ON `" + db_ + "`.* TO 'vis_owner'@'%'");
  auto owner = TestConn::Open(proxy_.address("vis_owner", "o"), db_);
  auto reader = TestConn::Open(proxy_.address("vis_reader", "r"), db_);
  const std::string name = "vis_" + db_;
  ASSERT_TRUE(owner->Exec("BEGIN DEPLOY '" + name + "'")) << owner->last_error();
  ASSERT_TRUE(owner->Exec("ALTER TABLE t ADD COLUMN z INT")) << owner->last_error();
  ASSERT_TRUE(owner->Exec("END DEPLOY"));

  EXPECT_EQ(StatusRows(*owner, name), 1u);
  EXPECT_EQ(StatusRows(*owner, name, "SHOW DEPLOY STATUS '" + name + "'"), 1u);
  EXPECT_FALSE(Listed(*reader, name));
  EXPECT_EQ(StatusRows(*reader, name), 0u) << "SHOW DEPLOY STATUS shows a deploy of tables the user may not alter";
  EXPECT_EQ(StatusRows(*reader, name, "SHOW DEPLOY STATUS '" + name + "'"), 0u);

  // An anonymous block of another session, nothing staged yet.
  auto block = TestConn::Open(proxy_.address("vis_owner", "o"), db_);
  ASSERT_TRUE(block->Exec("BEGIN DEPLOY"));
  std::string anonymous;
  for (auto& r : block->Query("SHOW DEPLOYS")) {
    if (r[0]->rfind("(anonymous) ", 0) == 0) anonymous = r[0]->substr(12);
  }
  ASSERT_FALSE(anonymous.empty()) << "a session sees its own anonymous block";
  auto anonymous_listed = [&](TestConn& conn) {
    bool seen = false;
    for (auto& r : conn.Query("SHOW DEPLOYS")) seen |= r[0]->find(anonymous) != std::string::npos;
    return seen;
  };
  EXPECT_FALSE(anonymous_listed(*reader)) << "another user's empty anonymous block is listed";
  EXPECT_FALSE(anonymous_listed(*owner)) << "another session's empty anonymous block is listed";
  EXPECT_FALSE(reader->Exec("ROLLBACK DEPLOY '" + anonymous + "'"));
  EXPECT_EQ(reader->last_errno(), 7748u) << reader->last_error();
  // Once it stages a table, whoever may alter that table sees it; the reader still does not.
  ASSERT_TRUE(block->Exec("ALTER TABLE u ADD COLUMN z INT")) << block->last_error();
  EXPECT_TRUE(anonymous_listed(*owner));
  EXPECT_EQ(StatusRows(*owner, anonymous), 1u);
  EXPECT_FALSE(anonymous_listed(*reader));
  EXPECT_EQ(StatusRows(*reader, anonymous), 0u);
  ASSERT_TRUE(block->Exec("ROLLBACK DEPLOY"));
  ASSERT_TRUE(owner->Exec("ROLLBACK DEPLOY '" + name + "'"));
  admin->MustExec("DROP USER 'vis_reader'@'127.0.0.1'");
  admin->MustExec("DROP USER 'vis_owner'@'%'");
}

// A migration file that failed inside a named block is run again under the
// same name: once its deploy is rolled back (or finalized) the name is free,
// and the ended deploy is kept as 'name#1', also across a restart.
TEST_F(DeployStateTest, ANameIsFreeAgainOnceItsDeployEnded) {
  Fill("t", 50);
  auto c = Via();
  const std::string name = "again_" + db_.substr(0, 40);
  auto state_of = [&](const std::string& deploy) {
    std::string state;
    for (auto& r : c->Query("SHOW DEPLOYS")) {
      if (r[0] == deploy) state = r[1].value_or("");
    }
    return state;
  };
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT")) << c->last_error();
  // While it is open (and while sealed) the name is taken, and the refusal says by what.
  auto other = Via();
  EXPECT_FALSE(other->Exec("BEGIN DEPLOY '" + name + "'"));
  EXPECT_EQ(other->last_errno(), 7762u);
  EXPECT_NE(other->last_error().find("ROLLBACK DEPLOY"), std::string::npos) << other->last_error();
  ASSERT_TRUE(c->Exec("ALTER DEPLOY '" + name + "' PAUSE")) << c->last_error();  // not the next deploy's
  ASSERT_TRUE(c->Exec("ROLLBACK DEPLOY")) << c->last_error();

  ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'")) << c->last_error();
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT")) << c->last_error();
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY")) << c->last_error();
  EXPECT_EQ(state_of(name), "sealed");
  EXPECT_EQ(state_of(name + "#1"), "rolled_back");
  EXPECT_FALSE(c->Exec("BEGIN DEPLOY '" + name + "'"));
  EXPECT_NE(c->last_error().find("FINALIZE DEPLOY"), std::string::npos) << c->last_error();
  ASSERT_TRUE(c->Exec("FINALIZE DEPLOY '" + name + "'")) << c->last_error();
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'")) << c->last_error();
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN y INT")) << c->last_error();
  ASSERT_TRUE(c->Exec("END DEPLOY")) << c->last_error();
  EXPECT_EQ(state_of(name + "#2"), "finalized");
  // The history and the new deploy survive a restart, each under its name.
  ASSERT_EQ(proxy_.Stop(), 0);
  ProxyProcess::Options options;
  options.metadata_schema = Meta();
  ProxyProcess again;
  ASSERT_TRUE(again.Start(options)) << again.log();
  c = TestConn::Open(again.address(), db_);
  EXPECT_EQ(state_of(name), "detached");
  EXPECT_EQ(state_of(name + "#1"), "rolled_back");
  EXPECT_EQ(state_of(name + "#2"), "finalized");
  size_t items = 0;
  for (auto& r : c->Query("SHOW DEPLOY STATUS '" + name + "#1'")) items += r[0] == name + "#1";
  EXPECT_EQ(items, 1u) << "the ended deploy's item moved with it";
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY '" + name + "'")) << c->last_error();
  EXPECT_EQ(Columns("t").back(), "y");
}

// A database dropped and made anew (Django's test databases, rails
// db:reset) takes a sealed deploy's kept tables with it: the deploy could
// never be reverted, so it no longer claims the new tables of those names.
TEST_F(DeployStateTest, ATableDroppedBehindSealgatesBackEndsTheSealedDeploysClaim) {
  Fill("t", 200);
  auto c = Via();
  const std::string name = "dropped_" + db_.substr(0, 40);
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE t MODIFY c BIGINT NULL")) << c->last_error();
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY")) << c->last_error();
  // While its kept table is there, the claim stands.
  EXPECT_FALSE(c->Exec("ALTER TABLE t MODIFY c INT NULL"));
  EXPECT_EQ(c->last_errno(), 7763u) << c->last_error();
  auto direct = TestConn::Open(TestServer());
  direct->MustExec("DROP DATABASE `" + db_ + "`");
  direct->MustExec("CREATE DATABASE `" + db_ + "`");
  Fill("t", 50);
  c = Via();
  EXPECT_TRUE(c->Exec("ALTER TABLE t MODIFY c BIGINT NULL")) << c->last_error();
  EXPECT_EQ(Direct()->Scalar("SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='" + db_ +
                             "' AND TABLE_NAME='t' AND COLUMN_NAME='c'"),
            "bigint");
  std::string state;
  for (auto& r : c->Query("SHOW DEPLOYS")) {
    if (r[0] == name) state = r[1].value_or("");
  }
  EXPECT_EQ(state, "finalized");
  EXPECT_NE(proxy_.log().find("dropped behind sealgate's back"), std::string::npos) << proxy_.log();
}

// Deploy names compare exactly, in memory and in the metadata schema: 'Coll'
// does not make 'coll' taken, and each is found by its own name.
TEST_F(DeployStateTest, DeployNamesCompareExactly) {
  Fill("t", 50);
  Fill("u", 50);
  auto c = Via();
  const std::string upper = "Coll_" + db_.substr(0, 40), lower = "coll_" + db_.substr(0, 40);
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + upper + "'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT")) << c->last_error();
  ASSERT_TRUE(c->Exec("END DEPLOY"));
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + lower + "'")) << c->last_error();
  ASSERT_TRUE(c->Exec("ALTER TABLE u ADD COLUMN z INT")) << c->last_error();
  ASSERT_TRUE(c->Exec("END DEPLOY"));
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + lower + " '")) << "a trailing space makes another name: " << c->last_error();
  ASSERT_TRUE(c->Exec("ROLLBACK DEPLOY"));
  EXPECT_TRUE(Listed(*c, upper));
  EXPECT_TRUE(Listed(*c, lower));
  ASSERT_TRUE(c->Exec("ROLLBACK DEPLOY '" + lower + "'")) << c->last_error();
  std::string upper_state, lower_state;
  for (auto& r : c->Query("SHOW DEPLOYS")) {
    if (r[0] == upper) upper_state = r[1].value_or("");
    if (r[0] == lower) lower_state = r[1].value_or("");
  }
  EXPECT_EQ(upper_state, "detached");
  EXPECT_EQ(lower_state, "rolled_back");
  EXPECT_FALSE(c->Exec("BEGIN DEPLOY '" + upper + "'"));  // the same name, exactly, is taken
  EXPECT_EQ(c->last_errno(), 7762u) << c->last_error();
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY '" + upper + "'")) << c->last_error();
  EXPECT_EQ(Columns("t").back(), "z");
  EXPECT_NE(Columns("u").back(), "z");
}

// A metadata schema written by an older sealgate (names compared without
// regard to case) is converted when sealgate opens it.
TEST_F(DeployStateTest, OlderMetadataGetsExactDeployNames) {
  Fill("t", 50);
  Fill("u", 50);
  const std::string schema = "_sgtest_names_" + std::to_string(getpid());
  auto d = Direct();
  d->MustExec("DROP DATABASE IF EXISTS " + schema);
  d->MustExec("CREATE DATABASE " + schema + " CHARACTER SET utf8mb4");
  d->MustExec("CREATE TABLE " + schema + ".deploys (name VARCHAR(128) NOT NULL PRIMARY KEY, anonymous TINYINT NOT NULL,"
              " state VARCHAR(16) NOT NULL, created_at DATETIME(3) NOT NULL, sealed_at DATETIME(3) NULL,"
              " seal_attempts INT NOT NULL DEFAULT 0, hold_ms BIGINT NOT NULL DEFAULT -1, last_error TEXT NULL)");
  d->MustExec("CREATE TABLE " + schema + ".deploy_controls (name VARCHAR(128) NOT NULL PRIMARY KEY,"
              " copy_paused TINYINT NOT NULL DEFAULT 0, throttle_ratio DOUBLE NOT NULL DEFAULT 0,"
              " seal_at DATETIME NULL, updated_at DATETIME(3) NOT NULL)");
  ProxyProcess proxy;
  ProxyProcess::Options options;
  options.metadata_schema = schema;
  ASSERT_TRUE(proxy.Start(options)) << proxy.log();
  for (auto& r : d->Query("SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE "
                          "TABLE_SCHEMA = '" + schema + "' AND COLUMN_NAME IN ('name', 'deploy') "
                          "AND TABLE_NAME IN ('deploys', 'deploy_items', 'deploy_controls')")) {
    EXPECT_EQ(r[2], "varbinary") << *r[0] << "." << *r[1];
  }
  auto c = TestConn::Open(proxy.address(), db_);
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY 'Release'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT")) << c->last_error();
  ASSERT_TRUE(c->Exec("ALTER DEPLOY 'Release' PAUSE")) << c->last_error();
  ASSERT_TRUE(c->Exec("END DEPLOY"));
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY 'release'")) << c->last_error();
  ASSERT_TRUE(c->Exec("ALTER TABLE u ADD COLUMN z INT")) << c->last_error();
  ASSERT_TRUE(c->Exec("ALTER DEPLOY 'release' THROTTLE")) << c->last_error();
  ASSERT_TRUE(c->Exec("ROLLBACK DEPLOY")) << c->last_error();
  ASSERT_TRUE(c->Exec("ROLLBACK DEPLOY 'Release'")) << c->last_error();
  EXPECT_EQ(d->Scalar("SELECT COUNT(*) FROM " + schema + ".deploys"), "2");
  EXPECT_EQ(d->Scalar("SELECT COUNT(*) FROM " + schema + ".deploy_controls"), "2");
  proxy.Stop();
  d->MustExec("DROP DATABASE " + schema);
}

// A 60-character table name of Cyrillic letters after two ASCII ones (118
// bytes): its shadow and old names are cut on a character boundary (byte 39
// and byte 60 both fall inside a letter), so staging, the seal and a revert
// work. A name of Cyrillic letters only sorts after the seal's gate table: it
// is refused at the ALTER, before anything is copied.
TEST_F(DeployStateTest, LongMultibyteTableNameIsStagedSealedAndReverted) {
  std::string table = "tt";
  for (int i = 0; i < 58; ++i) table += "\xD0\xB6";  // 'ж'
  const std::string quoted = "`" + table + "`";
  auto d = Direct();
  d->MustExec("SET NAMES utf8mb4");
  d->MustExec("CREATE TABLE " + quoted + " (id INT PRIMARY KEY, a INT)");
  d->MustExec("INSERT INTO " + quoted + " SELECT seq, seq FROM seq_1_to_500");
  auto c = Via();
  c->MustExec("SET NAMES utf8mb4");
  const std::string name = "cyrillic_" + db_.substr(0, 40);
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE " + quoted + " ADD COLUMN z INT NOT NULL DEFAULT 7")) << c->last_error();
  d->MustExec("INSERT INTO " + quoted + " (id, a) VALUES (501, 501)");
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY")) << c->last_error();
  auto columns = [&] {
    return d->Scalar("SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION) FROM information_schema.COLUMNS "
                     "WHERE TABLE_SCHEMA = '" + db_ + "' AND TABLE_NAME = '" + table + "'");
  };
  EXPECT_EQ(columns(), "id,a,z");
  EXPECT_EQ(d->Scalar("SELECT SUM(z) FROM " + quoted), std::to_string(501 * 7));
  // The old table kept for the revert: "~tt" and 28 whole letters, then "_old".
  std::string old_name = "~tt";
  for (int i = 0; i < 28; ++i) old_name += "\xD0\xB6";
  old_name += "_old";
  EXPECT_EQ(d->Scalar("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '" + db_ +
                      "' AND TABLE_NAME = '" + old_name + "'"),
            "1");
  ASSERT_TRUE(c->Exec("REVERT DEPLOY '" + name + "'")) << c->last_error();
  EXPECT_EQ(columns(), "id,a");
  EXPECT_EQ(d->Scalar("SELECT COUNT(*) FROM " + quoted), "501");
  ASSERT_TRUE(c->Exec("FINALIZE DEPLOY '" + name + "'")) << c->last_error();
  EXPECT_EQ(d->Scalar("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '" + db_ + "'"), "1");

  std::string cyrillic;
  for (int i = 0; i < 60; ++i) cyrillic += "\xD0\xB6";
  d->MustExec("CREATE TABLE `" + cyrillic + "` (id INT PRIMARY KEY)");
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY"));
  EXPECT_FALSE(c->Exec("ALTER TABLE `" + cyrillic + "` ADD COLUMN z INT"));
  EXPECT_EQ(c->last_errno(), 7768u) << c->last_error();
  EXPECT_NE(c->last_error().find("cannot be sealed"), std::string::npos) << c->last_error();
  ASSERT_TRUE(c->Exec("ROLLBACK DEPLOY"));
  EXPECT_EQ(d->Scalar("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '" + db_ +
                      "' AND TABLE_NAME LIKE '~%'"),
            "0");
}

// ENUM and SET labels outside ASCII in a latin1 table: writes while staged
// reach the shadow through the applier as the same members, the seal goes
// through, and the rows equal a table the writes went to untouched.
TEST_F(DeployStateTest, NonAsciiEnumAndSetLabelsOfALatin1TableSurviveTheApplier) {
  auto d = Direct();
  d->MustExec("SET NAMES utf8mb4");
  const std::string columns =
      "(id INT NOT NULL, en ENUM('\xC3\xBC', 'a') NOT NULL, st SET('gr\xC3\xBCn', 'rot', '\xC3\xA9t\xC3\xA9') NULL, "
      "v INT NOT NULL, PRIMARY KEY (id)) CHARACTER SET latin1";
  d->MustExec("CREATE TABLE e " + columns);
  d->MustExec("CREATE TABLE mirror " + columns);
  auto both = [&](const std::string& sql_for) {
    for (const char* t : {"e", "mirror"}) {
      std::string sql = sql_for;
      for (size_t at; (at = sql.find("$T")) != std::string::npos;) sql.replace(at, 2, t);
      d->MustExec(sql);
    }
  };
  both("INSERT INTO $T SELECT seq, IF(seq % 2, '\xC3\xBC', 'a'), IF(seq % 3, 'gr\xC3\xBCn,rot', '\xC3\xA9t\xC3\xA9'), "
       "seq FROM seq_1_to_2000");
  auto c = Via();
  const std::string name = "labels_" + db_.substr(0, 40);
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE e ADD COLUMN z INT NULL")) << c->last_error();
  ASSERT_TRUE(c->Exec("END DEPLOY"));
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    auto w = Direct();
    w->MustExec("SET NAMES utf8mb4");
    for (int i = 0; !stop; ++i) {
      int id = 3000 + i;
      for (const char* t : {"e", "mirror"}) {
        std::string table = t;
        w->MustExec("INSERT INTO " + table + " (id, en, st, v) VALUES (" + std::to_string(id) + ", '\xC3\xBC', "
                    "'\xC3\xA9t\xC3\xA9,rot', " + std::to_string(i) + ")");
        w->MustExec("UPDATE " + table + " SET st = 'gr\xC3\xBCn', v = v + 1 WHERE id = " + std::to_string(1 + i % 2000));
        w->MustExec("UPDATE " + table + " SET en = IF(en = 'a', '\xC3\xBC', 'a') WHERE id = " +
                    std::to_string(1 + (i * 7) % 2000));
        if (i % 3 == 0) w->MustExec("DELETE FROM " + table + " WHERE id = " + std::to_string(id - 1));
      }
      std::this_thread::sleep_for(5ms);
    }
  });
  // Writes while the copy runs, then while staged: the applier renders the labels.
  bool ready = WaitFor([&] {
    for (auto& r : c->Query("SHOW DEPLOY STATUS '" + name + "'")) {
      if (r[10] == "yes") return true;
      if (r[4] == "failed") return true;
    }
    return false;
  }, 60s);
  std::this_thread::sleep_for(1500ms);
  stop = true;
  writer.join();
  ASSERT_TRUE(ready);
  for (auto& r : c->Query("SHOW DEPLOY STATUS '" + name + "'")) {
    EXPECT_NE(r[4], "failed") << r[11].value_or("");
  }
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY '" + name + "'")) << c->last_error();
  EXPECT_EQ(Columns("e").back(), "z");
  const std::string rows = "SELECT id, HEX(en), HEX(st), v FROM $T ORDER BY id";
  auto select = [&](const char* t) {
    std::string sql = rows;
    sql.replace(sql.find("$T"), 2, t);
    return d->Query(sql);
  };
  auto sealed = select("e");
  EXPECT_GT(sealed.size(), 2000u);
  EXPECT_EQ(sealed, select("mirror"));
  EXPECT_EQ(d->Scalar("SELECT COUNT(*) FROM e WHERE en = '\xC3\xBC' AND FIND_IN_SET('\xC3\xA9t\xC3\xA9', st)"),
            d->Scalar("SELECT COUNT(*) FROM mirror WHERE en = '\xC3\xBC' AND FIND_IN_SET('\xC3\xA9t\xC3\xA9', st)"));
}

}  // namespace
}  // namespace sealgate::test
