// Foreign keys through the proxy, as frameworks write them: ADD/DROP FOREIGN
// KEY without a table copy (orphans refused, a row written meanwhile found),
// ALTERs of small tables with foreign keys in or out made by the server under
// the hold, the refusal of a large one with its way out
// (/*sealgate:passthrough*/), and every resulting table exactly as the same
// statement run directly on the server leaves it.
#include <mysql.h>

#include <regex>

#include "deploy/deploy_test_util.h"

namespace sealgate::test {
namespace {

using namespace std::chrono_literals;

class ForeignKeyTest : public TwinDeployTest {
 protected:
  // A parent p (`parents` rows) and a child c (`children` rows, every tenth
  // pid NULL), with an index on c.pid if `index`, in both databases.
  void ParentAndChild(int parents, int children, bool index) {
    Both({"CREATE TABLE p (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL)",
          "INSERT INTO p SELECT seq, CONCAT('p', seq) FROM seq_1_to_" + std::to_string(parents),
          "CREATE TABLE c (id INT PRIMARY KEY AUTO_INCREMENT, pid INT NULL, note VARCHAR(20) NULL" +
              std::string(index ? ", KEY ix_pid (pid)" : "") + ")",
          "INSERT INTO c (pid, note) SELECT IF(seq % 10 = 0, NULL, 1 + seq % " + std::to_string(parents) +
              "), CONCAT('n', seq) FROM seq_1_to_" + std::to_string(children)});
  }
  std::string ShowCreate(const std::string& db, const std::string& table) {
    // The counter moves with the writers; the rest must be equal.
    return std::regex_replace(ShowCreateExactly(db, table), std::regex(" AUTO_INCREMENT=[0-9]+"), "");
  }
  // `alter` through the proxy here and directly in the twin; every table
  // named must then read the same in both.
  void ExpectSameAsDirect(const std::string& alter, const std::vector<std::string>& tables) {
    auto c = Via();
    ASSERT_TRUE(c->Exec(alter)) << alter << ": " << c->last_error() << "\n" << proxy_.log();
    TestConn::Open(TestServer(), twin_)->MustExec(alter);
    for (const auto& t : tables) EXPECT_EQ(ShowCreate(db_, t), ShowCreate(twin_, t)) << "after " << alter;
  }
  // InnoDB's id of the table: a rebuild (a copy) gives it a new one.
  std::string TableId(const std::string& table) {
    return Direct()->Scalar("SELECT TABLE_ID FROM information_schema.INNODB_SYS_TABLES WHERE NAME = '" + db_ + "/" +
                            table + "'").value_or("none");
  }
};

// Inserts children with existing parents through the proxy until stopped;
// every acknowledged id is kept.
struct ChildWriter {
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0};
  std::vector<int> acknowledged;
  std::string first_error;
  std::thread thread;
  void Start(const ServerAddress& addr, const std::string& db, int parents,
             std::chrono::milliseconds period = std::chrono::milliseconds(3)) {
    thread = std::thread([=, this] {
      TestConn c;
      if (!c.Connect(addr, db)) {
        ++errors;
        return;
      }
      for (int i = 0; !stop; ++i) {
        int id = 1000000 + i;
        if (c.Exec("INSERT INTO c (id, pid, note) VALUES (" + std::to_string(id) + ", " +
                   std::to_string(1 + i % parents) + ", 'w')")) {
          acknowledged.push_back(id);
        } else if (errors++ == 0) {
          first_error = c.last_error();
        }
        std::this_thread::sleep_for(period);
      }
    });
  }
  void Join() {
    stop = true;
    if (thread.joinable()) thread.join();
  }
};

TEST_F(ForeignKeyTest, AddAndDropForeignKeyWithoutACopyUnderAWriter) {
  ParentAndChild(2000, 5000, /*index=*/true);
  const std::string id_before = TableId("c");
  ChildWriter writer;
  writer.Start(proxy_.address(), db_, 2000);
  std::this_thread::sleep_for(200ms);
  ExpectSameAsDirect("ALTER TABLE c ADD CONSTRAINT fk_c_p FOREIGN KEY (pid) REFERENCES p (id) ON DELETE CASCADE",
                     {"c", "p"});
  std::this_thread::sleep_for(200ms);
  writer.Join();
  EXPECT_EQ(writer.errors.load(), 0) << writer.first_error;
  EXPECT_EQ(TableId("c"), id_before) << "the table was rebuilt";
  auto d = Direct();
  std::string present = d->Scalar("SELECT COUNT(*) FROM c WHERE id >= 1000000").value_or("");
  EXPECT_EQ(present, std::to_string(writer.acknowledged.size()));
  EXPECT_GT(writer.acknowledged.size(), 10u);

  // The key is in force: an orphan is refused, a parent's delete cascades.
  auto c = Via();
  EXPECT_FALSE(c->Exec("INSERT INTO c (pid, note) VALUES (999999, 'orphan')"));
  EXPECT_EQ(c->last_errno(), 1452u) << c->last_error();
  ASSERT_TRUE(c->Exec("DELETE FROM p WHERE id = 7"));
  EXPECT_EQ(d->Scalar("SELECT COUNT(*) FROM c WHERE pid = 7"), "0");

  ExpectSameAsDirect("ALTER TABLE c DROP FOREIGN KEY fk_c_p", {"c", "p"});
  EXPECT_EQ(TableId("c"), id_before) << "the table was rebuilt";
  EXPECT_TRUE(c->Exec("INSERT INTO c (pid, note) VALUES (999999, 'orphan now allowed')")) << c->last_error();
}

TEST_F(ForeignKeyTest, GeneratedNamesAndCompositeKeysAreAsDirect) {
  Both({"CREATE TABLE p (a INT NOT NULL, b VARCHAR(10) NOT NULL, PRIMARY KEY (a, b))",
        "INSERT INTO p VALUES (1, 'x'), (2, 'ü😀')",
        "CREATE TABLE c (id INT PRIMARY KEY, a INT NULL, b VARCHAR(10) NULL, KEY (a, b))",
        "INSERT INTO c VALUES (1, 1, 'x'), (2, 2, 'ü😀'), (3, NULL, 'nope'), (4, 5, NULL)"});
  ExpectSameAsDirect("ALTER TABLE c ADD FOREIGN KEY (a, b) REFERENCES p (a, b) ON UPDATE CASCADE", {"c"});
  ExpectSameAsDirect("ALTER TABLE c ADD CONSTRAINT FOREIGN KEY (a, b) REFERENCES p (a, b)", {"c"});
  ExpectSameAsDirect("ALTER TABLE c DROP FOREIGN KEY c_ibfk_1, DROP FOREIGN KEY c_ibfk_2", {"c"});
}

TEST_F(ForeignKeyTest, OrphanRowsRefuseTheKeyAndNameTheRow) {
  ParentAndChild(100, 3000, /*index=*/true);
  Direct()->MustExec("INSERT INTO c (pid, note) VALUES (424242, 'lost')");
  const std::string before = ShowCreate(db_, "c");
  auto c = Via();
  EXPECT_FALSE(c->Exec("ALTER TABLE c ADD CONSTRAINT fk_c_p FOREIGN KEY (pid) REFERENCES p (id)"));
  EXPECT_EQ(c->last_errno(), 1452u) << c->last_error();
  EXPECT_STREQ(mysql_sqlstate(c->handle()), "23000");
  EXPECT_NE(c->last_error().find("424242"), std::string::npos) << c->last_error();
  EXPECT_NE(c->last_error().find("nothing was changed"), std::string::npos) << c->last_error();
  EXPECT_EQ(ShowCreate(db_, "c"), before);
  // As the server refuses the same key (with its own words).
  auto d = TestConn::Open(TestServer(), twin_);
  d->MustExec("INSERT INTO c (pid, note) VALUES (424242, 'lost')");
  EXPECT_FALSE(d->Exec("ALTER TABLE c ADD CONSTRAINT fk_c_p FOREIGN KEY (pid) REFERENCES p (id)"));
  EXPECT_EQ(d->last_errno(), 1452u) << d->last_error();
  // A parent that does not exist: the server's own error.
  EXPECT_FALSE(c->Exec("ALTER TABLE c ADD CONSTRAINT fk_c_q FOREIGN KEY (pid) REFERENCES nowhere (id)"));
  EXPECT_EQ(c->last_errno(), 1146u) << c->last_error();
  EXPECT_EQ(ShowCreate(db_, "c"), before);
}

// A row written after the orphan check, before the key could refuse it, is
// found after the key went in: the key is taken out again and the ALTER
// refused, naming the row.
TEST_F(ForeignKeyTest, AnOrphanWrittenWhileTheKeyGoesInIsFound) {
  ParentAndChild(100, 500, /*index=*/true);
  ProxyProcess slow;
  ProxyProcess::Options o;
  o.extra_args = {"--fault-points", "direct.foreign_key_checked=delay:1500"};
  ASSERT_TRUE(slow.Start(o)) << slow.log();
  const std::string before = ShowCreate(db_, "c");
  std::atomic<bool> ok{true};
  std::string error;
  unsigned err = 0;
  std::thread alter([&] {
    auto c = TestConn::Open(slow.address(), db_);
    ok = c->Exec("ALTER TABLE c ADD CONSTRAINT fk_c_p FOREIGN KEY (pid) REFERENCES p (id)");
    error = c->last_error();
    err = c->last_errno();
  });
  std::this_thread::sleep_for(500ms);
  Direct()->MustExec("INSERT INTO c (pid, note) VALUES (777777, 'sneaked in')");
  alter.join();
  EXPECT_FALSE(ok.load());
  EXPECT_EQ(err, 1452u) << error;
  EXPECT_NE(error.find("777777"), std::string::npos) << error << "\n" << slow.log();
  EXPECT_EQ(ShowCreate(db_, "c"), before) << slow.log();
}

TEST_F(ForeignKeyTest, AKeyThatNeedsAnIndex) {
  // Small: the server builds the index under the hold, as a direct ALTER names it.
  ParentAndChild(100, 200, /*index=*/false);
  ExpectSameAsDirect("ALTER TABLE c ADD CONSTRAINT fk_c_p FOREIGN KEY (pid) REFERENCES p (id)", {"c"});
  // Large: the key's index is staged as a copy under the key's name (as the
  // server names it), then the key goes in without one (Rails' add_foreign_key).
  Both({"CREATE TABLE big (id INT PRIMARY KEY, pid INT NULL)", "INSERT INTO big SELECT seq, 1 FROM seq_1_to_3000"});
  ExpectSameAsDirect("ALTER TABLE big ADD CONSTRAINT fk_big_p FOREIGN KEY (pid) REFERENCES p (id)", {"big"});
  // Unnamed, the server would choose the index's name: refused, saying what to do.
  Both({"CREATE TABLE big2 (id INT PRIMARY KEY, pid INT NULL)", "INSERT INTO big2 SELECT seq, 1 FROM seq_1_to_3000",
        "CREATE TABLE big3 (id INT PRIMARY KEY, pid INT NULL)",
        "INSERT INTO big3 SELECT seq, IF(seq = 2999, 777, 1) FROM seq_1_to_3000"});
  const std::string before = ShowCreate(db_, "big2");
  auto c = Via();
  EXPECT_FALSE(c->Exec("ALTER TABLE big2 ADD FOREIGN KEY (pid) REFERENCES p (id)"));
  EXPECT_EQ(c->last_errno(), 7722u) << c->last_error();
  EXPECT_NE(c->last_error().find("add the index first"), std::string::npos) << c->last_error();
  EXPECT_EQ(ShowCreate(db_, "big2"), before);
  // An orphan: refused before the index is staged.
  const std::string before3 = ShowCreate(db_, "big3");
  EXPECT_FALSE(c->Exec("ALTER TABLE big3 ADD CONSTRAINT fk_big3_p FOREIGN KEY (pid) REFERENCES p (id)"));
  EXPECT_EQ(c->last_errno(), 1452u) << c->last_error();
  EXPECT_NE(c->last_error().find("777"), std::string::npos) << c->last_error();
  EXPECT_EQ(ShowCreate(db_, "big3"), before3);
  // The way it says: the index, then the key.
  ExpectSameAsDirect("ALTER TABLE big2 ADD INDEX ix_pid (pid)", {"big2"});
  ExpectSameAsDirect("ALTER TABLE big2 ADD FOREIGN KEY (pid) REFERENCES p (id)", {"big2"});
}

// Django and Rails alter tables with foreign keys in and out; on small tables
// the server makes the change under the hold, and the other side's keys
// still reference the table.
TEST_F(ForeignKeyTest, SmallTablesWithForeignKeysAreAlteredByTheServer) {
  ParentAndChild(50, 100, /*index=*/true);
  Both({"ALTER TABLE c ADD CONSTRAINT fk_c_p FOREIGN KEY (pid) REFERENCES p (id) ON DELETE SET NULL",
        "CREATE TABLE selfref (id INT PRIMARY KEY, up INT NULL, KEY (up), FOREIGN KEY (up) REFERENCES selfref (id))",
        "INSERT INTO selfref VALUES (1, NULL), (2, 1), (3, 2)"});
  ChildWriter writer;  // slow enough that c stays small (ddl.direct_max_rows)
  writer.Start(proxy_.address(), db_, 50, 20ms);
  ExpectSameAsDirect("ALTER TABLE c ADD COLUMN z INT NOT NULL DEFAULT 3, ADD INDEX iz (note, z)", {"c", "p"});
  ExpectSameAsDirect("ALTER TABLE p MODIFY name VARCHAR(200) NOT NULL, ADD UNIQUE KEY uname (name)", {"c", "p"});
  ExpectSameAsDirect("ALTER TABLE c MODIFY note VARCHAR(100) NULL", {"c", "p"});
  ExpectSameAsDirect("ALTER TABLE selfref ADD COLUMN label VARCHAR(10) NULL, ADD INDEX il (label), FORCE",
                     {"selfref"});
  // Adding a column with its key in one statement (a copy could not stage it).
  ExpectSameAsDirect("ALTER TABLE p ADD COLUMN parent_id INT NULL, ADD CONSTRAINT fk_pp FOREIGN KEY (parent_id) "
                     "REFERENCES p (id)",
                     {"p"});
  writer.Join();
  EXPECT_EQ(writer.errors.load(), 0) << writer.first_error;
  EXPECT_NE(ShowCreate(db_, "c").find("REFERENCES `p` (`id`)"), std::string::npos) << ShowCreate(db_, "c");
  // The server's checks still apply: a key over orphans is refused with its error.
  auto orphan = Direct();
  orphan->MustExec("SET SESSION foreign_key_checks = 0");
  orphan->MustExec("INSERT INTO selfref (id, up) VALUES (9, 99)");
  auto c = Via();
  EXPECT_FALSE(c->Exec("ALTER TABLE selfref ADD COLUMN n INT NULL, ADD CONSTRAINT fk_again FOREIGN KEY (up) "
                       "REFERENCES selfref (id)"));
  EXPECT_EQ(c->last_errno(), 1452u) << c->last_error();
}

TEST_F(ForeignKeyTest, ALargeTableACopyCannotTakeIsRefusedWithAWayOut) {
  ParentAndChild(50, 3000, /*index=*/true);
  // Cascades in more than one step: a key of the table to itself.
  Both({"ALTER TABLE c ADD CONSTRAINT fk_c_p FOREIGN KEY (pid) REFERENCES p (id)",
        "ALTER TABLE c ADD COLUMN up INT NULL, ADD KEY (up), ADD CONSTRAINT fk_c_up FOREIGN KEY (up) REFERENCES c (id) "
        "ON DELETE CASCADE"});
  const std::string before = ShowCreate(db_, "c");
  auto c = Via();
  EXPECT_FALSE(c->Exec("ALTER TABLE c ADD INDEX inote (note)"));
  EXPECT_EQ(c->last_errno(), 7744u) << c->last_error();
  EXPECT_NE(c->last_error().find("/*sealgate:passthrough*/"), std::string::npos) << c->last_error();
  EXPECT_EQ(ShowCreate(db_, "c"), before);
  // Metadata-only changes still go, under the hold.
  ExpectSameAsDirect("ALTER TABLE c ADD COLUMN extra INT NULL", {"c"});
  // The way out: this one statement goes to the server as written.
  ExpectSameAsDirect("ALTER TABLE c ADD INDEX inote (note) /* sealgate: passthrough */", {"c"});
  ExpectSameAsDirect("/*sealgate:passthrough*/ CREATE INDEX inote2 ON c (note, pid)", {"c"});
}

TEST_F(ForeignKeyTest, ThePassthroughHintIsRefusedInsideADeployBlock) {
  Fill("t", 20);
  auto c = Via();
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY 'hinted'"));
  EXPECT_FALSE(c->Exec("ALTER TABLE t ADD COLUMN z INT /*sealgate:passthrough*/"));
  EXPECT_NE(c->last_error().find("END DEPLOY"), std::string::npos) << c->last_error();
  EXPECT_EQ(Columns("t").back(), "c");
  // The block is still open and takes the statement without the hint.
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT")) << c->last_error();
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY 'hinted'")) << c->last_error();
  EXPECT_EQ(Columns("t").back(), "z");
}

// Keys that still reference a kept (~..._old / ~..._new) table, or that a
// kept table still has: none may be left after a swap.
std::string KeysOnKeptTables(TestConn& c, const std::string& db) {
  std::string out;
  for (auto& r : c.Query("SELECT CONCAT(TABLE_NAME, '.', CONSTRAINT_NAME, ' -> ', REFERENCED_TABLE_NAME) FROM "
                         "information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = '" + db +
                         "' AND (TABLE_NAME LIKE '~%' OR REFERENCED_TABLE_NAME LIKE '~%')")) {
    out += r[0].value_or("") + "; ";
  }
  return out;
}

// A large child and its large parent, both staged as copies in one deploy
// under writers that add parents and their children through the proxy: after
// the seal every key is where a direct ALTER leaves it (the child's own, the
// child's key pointing at the new parent), nothing references a kept table,
// no client saw an error; a revert puts the old tables back, keys and all.
TEST_F(ForeignKeyTest, StagedChildAndParentKeepTheirKeysAcrossSealAndRevert) {
  ParentAndChild(2000, 5000, /*index=*/true);
  Both({"ALTER TABLE c ADD CONSTRAINT fk_c_p FOREIGN KEY (pid) REFERENCES p (id)",
        "CREATE TABLE s (id INT PRIMARY KEY, up INT NULL, KEY (up), FOREIGN KEY (up) REFERENCES s (id))",
        "INSERT INTO s SELECT seq, IF(seq = 1, NULL, seq - 1) FROM seq_1_to_3000"});
  const std::string c_before = ShowCreate(db_, "c"), p_before = ShowCreate(db_, "p"), s_before = ShowCreate(db_, "s");
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0};
  std::string first_error;
  std::vector<int> acknowledged;
  std::thread family([&] {
    TestConn w;
    if (!w.Connect(proxy_.address(), db_)) {
      ++errors;
      return;
    }
    for (int i = 0; !stop; ++i) {
      int id = 100000 + i;
      // A new parent, at once a child of it: its key must find the parent in the live table.
      bool ok = w.Exec("INSERT INTO p VALUES (" + std::to_string(id) + ", 'new')") &&
                w.Exec("INSERT INTO c (id, pid, note) VALUES (" + std::to_string(id) + ", " + std::to_string(id) +
                       ", 'w')");
      if (ok && i % 3 == 0) ok = w.Exec("DELETE FROM c WHERE id = " + std::to_string(id));
      if (ok && i % 3 == 0) ok = w.Exec("DELETE FROM p WHERE id = " + std::to_string(id));
      if (ok) {
        if (i % 3 != 0) acknowledged.push_back(id);
      } else if (errors++ == 0) {
        first_error = w.last_error();
      }
      std::this_thread::sleep_for(3ms);
    }
  });
  auto c = Via();
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY 'keys'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE c ADD INDEX inote (note), ADD COLUMN extra INT NULL")) << c->last_error();
  ASSERT_TRUE(c->Exec("ALTER TABLE p ADD INDEX iname (name), MODIFY name VARCHAR(60) NOT NULL")) << c->last_error();
  ASSERT_TRUE(c->Exec("ALTER TABLE s ADD INDEX iup2 (up, id)")) << c->last_error();
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY 'keys'")) << c->last_error() << "\n" << proxy_.log();
  std::this_thread::sleep_for(300ms);
  auto twin = TestConn::Open(TestServer(), twin_);
  twin->MustExec("ALTER TABLE c ADD INDEX inote (note), ADD COLUMN extra INT NULL");
  twin->MustExec("ALTER TABLE p ADD INDEX iname (name), MODIFY name VARCHAR(60) NOT NULL");
  twin->MustExec("ALTER TABLE s ADD INDEX iup2 (up, id)");
  for (const auto& t : {"c", "p", "s"}) EXPECT_EQ(ShowCreate(db_, t), ShowCreate(twin_, t)) << t;
  auto d = Direct();
  EXPECT_EQ(KeysOnKeptTables(*d, db_), "");
  // The keys are in force on the live tables.
  EXPECT_FALSE(d->Exec("INSERT INTO c (pid, note) VALUES (999999, 'orphan')"));
  EXPECT_EQ(d->last_errno(), 1452u) << d->last_error();
  EXPECT_FALSE(d->Exec("DELETE FROM p WHERE id = 5"));
  EXPECT_EQ(d->last_errno(), 1451u) << d->last_error();
  EXPECT_FALSE(d->Exec("INSERT INTO s VALUES (999999, 888888)"));
  EXPECT_EQ(d->last_errno(), 1452u) << d->last_error();

  ASSERT_TRUE(c->Exec("REVERT DEPLOY 'keys'")) << c->last_error() << "\n" << proxy_.log();
  std::this_thread::sleep_for(300ms);
  stop = true;
  family.join();
  EXPECT_EQ(errors.load(), 0) << first_error;
  EXPECT_GT(acknowledged.size(), 20u);
  EXPECT_EQ(ShowCreate(db_, "c"), c_before);
  EXPECT_EQ(ShowCreate(db_, "p"), p_before);
  EXPECT_EQ(ShowCreate(db_, "s"), s_before);
  EXPECT_EQ(KeysOnKeptTables(*d, db_), "");
  std::string missing;
  for (int id : acknowledged) {
    if (d->Scalar("SELECT COUNT(*) FROM c JOIN p ON p.id = c.pid WHERE c.id = " + std::to_string(id)) != "1") {
      missing += " " + std::to_string(id);
    }
  }
  EXPECT_EQ(missing, "");
  EXPECT_FALSE(d->Exec("DELETE FROM p WHERE id = 5"));
  EXPECT_EQ(d->last_errno(), 1451u) << d->last_error();
  ASSERT_TRUE(c->Exec("FINALIZE DEPLOY 'keys'")) << c->last_error();
  EXPECT_EQ(KeysOnKeptTables(*d, db_), "");
}

// Tables a copy cannot follow yet, refused at staging with the reason.
TEST_F(ForeignKeyTest, KeysACopyCannotKeepAreRefusedAtStaging) {
  ParentAndChild(50, 3000, /*index=*/true);
  // Cascades in more than one step: p's own rows cascade from g.
  Both({"CREATE TABLE g (id INT PRIMARY KEY)", "INSERT INTO g SELECT seq FROM seq_1_to_10",
        "ALTER TABLE p ADD COLUMN gid INT NULL, ADD CONSTRAINT fk_p_g FOREIGN KEY (gid) REFERENCES g (id) "
        "ON DELETE CASCADE",
        "ALTER TABLE c ADD CONSTRAINT fk_c_p FOREIGN KEY (pid) REFERENCES p (id) ON DELETE CASCADE"});
  auto c = Via();
  EXPECT_FALSE(c->Exec("ALTER TABLE c ADD INDEX inote (note)"));
  EXPECT_EQ(c->last_errno(), 7744u) << c->last_error();
  EXPECT_NE(c->last_error().find("ON DELETE CASCADE"), std::string::npos) << c->last_error();
  EXPECT_NE(c->last_error().find("more than one step"), std::string::npos) << c->last_error();
  Both({"ALTER TABLE c DROP FOREIGN KEY fk_c_p", "ALTER TABLE c ADD CONSTRAINT fk_c_p FOREIGN KEY (pid) REFERENCES p (id)"});
  for (const char* sql : {"ALTER TABLE c MODIFY pid BIGINT NULL", "ALTER TABLE c DROP INDEX ix_pid, ADD INDEX i2 (pid, note)",
                          "ALTER TABLE c CHANGE pid parent BIGINT NULL"}) {
    EXPECT_FALSE(c->Exec(sql)) << sql;
    EXPECT_EQ(c->last_errno(), 7744u) << sql << ": " << c->last_error();
  }
  EXPECT_EQ(ShowCreate(db_, "c"), ShowCreate(twin_, "c"));
}

// sealgate stops between the RENAME and putting the keys back: the next
// start puts them back, and the deploy is sealed.
TEST_F(ForeignKeyTest, KeysAreRestoredAfterAStopRightAfterTheRename) {
  ParentAndChild(2000, 3000, /*index=*/true);
  Both({"ALTER TABLE c ADD CONSTRAINT fk_c_p FOREIGN KEY (pid) REFERENCES p (id)"});
  proxy_.Stop();
  ProxyProcess crashing;
  ProxyProcess::Options o;
  o.metadata_schema = "_sgtest_fk_" + std::to_string(getpid());
  o.extra_args = {"--fault-points", "seal.keys_restoring=crash"};
  ASSERT_TRUE(crashing.Start(o)) << crashing.log();
  {
    auto c = TestConn::Open(crashing.address(), db_);
    ASSERT_TRUE(c->Exec("BEGIN DEPLOY 'stop'"));
    ASSERT_TRUE(c->Exec("ALTER TABLE p ADD INDEX iname (name)")) << c->last_error();
    ASSERT_TRUE(c->Exec("ALTER TABLE c ADD INDEX inote (note)")) << c->last_error();
    EXPECT_FALSE(c->Exec("COMMIT DEPLOY 'stop'"));  // the proxy went away
  }
  crashing.Kill();
  // The swap landed without its keys.
  EXPECT_NE(KeysOnKeptTables(*Direct(), db_), "");
  ProxyProcess again;
  o.extra_args.clear();
  ASSERT_TRUE(again.Start(o)) << again.log();
  auto c = TestConn::Open(again.address(), db_);
  EXPECT_TRUE(WaitFor([&] { return KeysOnKeptTables(*Direct(), db_).empty(); }, 10s)) << again.log();
  TestConn::Open(TestServer(), twin_)->MustExec("ALTER TABLE p ADD INDEX iname (name)");
  TestConn::Open(TestServer(), twin_)->MustExec("ALTER TABLE c ADD INDEX inote (note)");
  EXPECT_EQ(ShowCreate(db_, "c"), ShowCreate(twin_, "c"));
  EXPECT_EQ(ShowCreate(db_, "p"), ShowCreate(twin_, "p"));
  std::string state;
  for (auto& r : c->Query("SHOW DEPLOYS")) {
    if (r[0] == "stop") state = r[1].value_or("");
  }
  EXPECT_EQ(state, "sealed");
  again.Stop();
  (void)Direct()->Exec("DROP DATABASE IF EXISTS `" + o.metadata_schema + "`");
}

// Cascading keys change the child's rows without a binlog event: the copy
// repeats their actions at the parent's events. Parents are deleted (their
// children cascade or are set NULL) and re-keyed (ON UPDATE CASCADE) while
// the children are staged, sealed and reverted; the checksum before the seal
// must match, and the reverted tables must hold what the live ones held.
TEST_F(ForeignKeyTest, CascadesAreFollowedWhileStagedAndAfterTheSeal) {
  ParentAndChild(3000, 6000, /*index=*/true);
  Both({"ALTER TABLE c ADD CONSTRAINT fk_c_p FOREIGN KEY (pid) REFERENCES p (id) ON DELETE CASCADE ON UPDATE CASCADE",
        "CREATE TABLE n (id INT PRIMARY KEY AUTO_INCREMENT, pid INT NULL, KEY (pid), CONSTRAINT fk_n_p FOREIGN KEY "
        "(pid) REFERENCES p (id) ON DELETE SET NULL ON UPDATE SET NULL)",
        "INSERT INTO n (pid) SELECT 1 + seq % 3000 FROM seq_1_to_4000"});
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0};
  std::string first_error;
  auto family = [&](const ServerAddress& addr, int base) {
    TestConn w;
    if (!w.Connect(addr, db_)) {
      ++errors;
      return;
    }
    for (int i = 0; !stop; ++i) {
      int id = base + i;
      std::vector<std::string> steps = {
          "INSERT INTO p VALUES (" + std::to_string(id) + ", 'x')",
          "INSERT INTO c (pid, note) VALUES (" + std::to_string(id) + ", 'fresh')",
          "INSERT INTO n (pid) VALUES (" + std::to_string(id) + ")",
          // An old parent goes, its children with it (or set NULL).
          "DELETE FROM p WHERE id = " + std::to_string(1 + (base / 1000 + i * 7) % 3000),
      };
      if (i % 4 == 0) steps.push_back("UPDATE p SET id = " + std::to_string(id + 500000) + " WHERE id = " +
                                      std::to_string(id));  // re-keyed: its children follow
      if (i % 5 == 0) steps.push_back("DELETE FROM p WHERE id = " + std::to_string(id));
      for (const auto& sql : steps) {
        if (!w.Exec(sql) && errors++ == 0) first_error = sql + ": " + w.last_error();
      }
      std::this_thread::sleep_for(2ms);
    }
  };
  std::thread through(family, proxy_.address(), 100000);
  std::thread direct(family, TestServer(), 200000);
  auto c = Via();
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY 'cascades'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE c ADD INDEX inote (note)")) << c->last_error();
  ASSERT_TRUE(c->Exec("ALTER TABLE n ADD COLUMN extra INT NULL, FORCE")) << c->last_error();
  ASSERT_TRUE(c->Exec("END DEPLOY"));
  std::this_thread::sleep_for(1500ms);  // the copies run while parents go
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY 'cascades'")) << c->last_error() << "\n" << proxy_.log();
  std::this_thread::sleep_for(1500ms);  // the followers see cascades too
  stop = true;
  through.join();
  direct.join();
  EXPECT_EQ(errors.load(), 0) << first_error;
  auto d = Direct();
  auto fingerprint = [&](const std::string& table) {
    return d->Scalar("SELECT CONCAT(COUNT(*), '/', COALESCE(SUM(id), 0), '/', COALESCE(SUM(pid), 0), '/', "
                     "SUM(pid IS NULL)) FROM " + table).value_or("");
  };
  const std::string live_c = fingerprint("c"), live_n = fingerprint("n");
  EXPECT_EQ(d->Scalar("SELECT COUNT(*) FROM c LEFT JOIN p ON p.id = c.pid WHERE c.pid IS NOT NULL AND p.id IS NULL"),
            "0");
  ASSERT_TRUE(WaitFor([&] { return fingerprint("`~c_old`") == live_c && fingerprint("`~n_old`") == live_n; }, 20s))
      << "kept: " << fingerprint("`~c_old`") << " " << fingerprint("`~n_old`") << ", live: " << live_c << " "
      << live_n << "\n" << proxy_.log();
  ASSERT_TRUE(c->Exec("REVERT DEPLOY 'cascades'")) << c->last_error() << "\n" << proxy_.log();
  EXPECT_EQ(fingerprint("c"), live_c);
  EXPECT_EQ(fingerprint("n"), live_n);
  EXPECT_EQ(KeysOnKeptTables(*d, db_), "");
  ASSERT_TRUE(d->Exec("DELETE FROM p WHERE id = 42"));
  EXPECT_EQ(d->Scalar("SELECT COUNT(*) FROM c WHERE pid = 42"), "0");
}

// A deploy block creates a parent and its children (a key to a table the
// same deploy creates) and drops a child: after the seal every table reads as
// the same statements run directly leave it, the dropped child (kept for a
// revert) constrains nobody, and a revert brings it back with its key. A
// table other tables reference cannot be dropped.
TEST_F(ForeignKeyTest, ADeployCreatesParentsAndChildrenAndDropsAChild) {
  ParentAndChild(100, 200, /*index=*/true);
  Both({"ALTER TABLE c ADD CONSTRAINT fk_c_p FOREIGN KEY (pid) REFERENCES p (id)"});
  const std::string c_before = ShowCreate(db_, "c");
  const std::vector<std::string> statements = {
      "CREATE TABLE np (id INT PRIMARY KEY, label VARCHAR(10))",
      "CREATE TABLE nc (id INT PRIMARY KEY, np_id INT, KEY (np_id), CONSTRAINT fk_nc_np FOREIGN KEY (np_id) "
      "REFERENCES np (id) ON DELETE CASCADE)",
      "CREATE TABLE nc2 (id INT PRIMARY KEY, np_id INT, FOREIGN KEY (np_id) REFERENCES np (id))",
      "DROP TABLE c"};
  auto c = Via();
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY 'shape'"));
  EXPECT_FALSE(c->Exec("DROP TABLE p"));
  EXPECT_EQ(c->last_errno(), 1451u) << c->last_error();
  for (const auto& sql : statements) ASSERT_TRUE(c->Exec(sql)) << sql << ": " << c->last_error();
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY 'shape'")) << c->last_error() << "\n" << proxy_.log();
  auto twin = TestConn::Open(TestServer(), twin_);
  for (const auto& sql : statements) twin->MustExec(sql);
  for (const auto& t : {"np", "nc", "nc2", "p"}) EXPECT_EQ(ShowCreate(db_, t), ShowCreate(twin_, t)) << t;
  EXPECT_FALSE(TableExists("c"));
  auto d = Direct();
  EXPECT_EQ(KeysOnKeptTables(*d, db_), "");
  EXPECT_TRUE(d->Exec("DELETE FROM p WHERE id = 5")) << d->last_error();  // c's rows no longer hold it
  EXPECT_FALSE(d->Exec("INSERT INTO nc VALUES (1, 99)"));
  EXPECT_EQ(d->last_errno(), 1452u) << d->last_error();
  d->MustExec("INSERT INTO np VALUES (1, 'one')");
  d->MustExec("INSERT INTO nc VALUES (1, 1)");
  d->MustExec("DELETE FROM np WHERE id = 1");
  EXPECT_EQ(d->Scalar("SELECT COUNT(*) FROM nc"), "0");
  ASSERT_TRUE(c->Exec("REVERT DEPLOY 'shape'")) << c->last_error() << "\n" << proxy_.log();
  EXPECT_EQ(ShowCreate(db_, "c"), c_before);
  // The created tables are parked (their keys among themselves); none constrains a live table.
  EXPECT_EQ(d->Scalar("SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = '" +
                      db_ + "' AND TABLE_NAME LIKE '~%' AND REFERENCED_TABLE_NAME NOT LIKE '~%'"),
            "0");
  EXPECT_FALSE(TableExists("np"));
}

// Sessions with foreign_key_checks=0 write orphans, before and while the
// child is staged: the copy and the applier take them as they are (the
// checksum before the seal agrees), and the keys go back over them as the
// server keeps them — with no check of rows it was told not to check.
TEST_F(ForeignKeyTest, OrphansWrittenWithChecksOffAreKeptAsTheyAre) {
  ParentAndChild(500, 3000, /*index=*/true);
  Both({"ALTER TABLE c ADD CONSTRAINT fk_c_p FOREIGN KEY (pid) REFERENCES p (id)"});
  auto loose = Direct();
  loose->MustExec("SET SESSION foreign_key_checks = 0");
  loose->MustExec("INSERT INTO c (id, pid, note) VALUES (900001, 77777, 'orphan before')");
  auto c = Via();
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY 'loose'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE c ADD INDEX inote (note)")) << c->last_error();
  ASSERT_TRUE(c->Exec("END DEPLOY"));
  loose->MustExec("INSERT INTO c (id, pid, note) VALUES (900002, 88888, 'orphan during')");
  loose->MustExec("UPDATE c SET pid = 99999 WHERE id = 17");
  ASSERT_TRUE(c->Exec("COMMIT DEPLOY 'loose'")) << c->last_error() << "\n" << proxy_.log();
  auto d = Direct();
  EXPECT_EQ(d->Scalar("SELECT GROUP_CONCAT(pid ORDER BY id) FROM c WHERE id IN (17, 900001, 900002)"),
            "99999,77777,88888");
  TestConn::Open(TestServer(), twin_)->MustExec("ALTER TABLE c ADD INDEX inote (note)");
  EXPECT_EQ(ShowCreate(db_, "c"), ShowCreate(twin_, "c"));
  EXPECT_EQ(KeysOnKeptTables(*d, db_), "");
  EXPECT_FALSE(d->Exec("INSERT INTO c (id, pid, note) VALUES (900003, 66666, 'refused')"));
  EXPECT_EQ(d->last_errno(), 1452u) << d->last_error();
}

// A session that turned foreign_key_checks off adds a key over rows that
// break it, as the server lets it directly; with checks on the same ALTER is
// refused naming the orphan.
TEST_F(ForeignKeyTest, ASessionWithChecksOffAddsAKeyOverOrphansAsTheServerWould) {
  ParentAndChild(50, 300, /*index=*/true);
  Both({"SET SESSION foreign_key_checks = 0", "INSERT INTO c (id, pid, note) VALUES (5000, 4444, 'orphan')"});
  const std::string alter = "ALTER TABLE c ADD CONSTRAINT fk_c_p FOREIGN KEY (pid) REFERENCES p (id)";
  auto c = Via();
  EXPECT_FALSE(c->Exec(alter));
  EXPECT_EQ(c->last_errno(), 1452u) << c->last_error();
  c->MustExec("SET SESSION foreign_key_checks = 0");
  ASSERT_TRUE(c->Exec(alter)) << c->last_error() << "\n" << proxy_.log();
  auto twin = TestConn::Open(TestServer(), twin_);
  twin->MustExec("SET SESSION foreign_key_checks = 0");
  twin->MustExec(alter);
  EXPECT_EQ(ShowCreate(db_, "c"), ShowCreate(twin_, "c"));
  EXPECT_EQ(Direct()->Scalar("SELECT pid FROM c WHERE id = 5000"), "4444");
}

}  // namespace
}  // namespace sealgate::test
