// Every refusal of the inspector, each on its own, against the real server:
// the error number, and a message that says what to do.
#include <gtest/gtest.h>

#include "migration/engine.h"
#include "migration/inspector.h"
#include "migration/throttler.h"
#include "migration_test_util.h"
#include "sql/errors.h"

namespace sealgate::migration {
namespace {

using namespace sealgate::migration::testing;
using test::TestConn;

class MigrationInspectorRefusal : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_ = TestConn::Open(test::TestServer());
    conn_->MustExec("DROP DATABASE IF EXISTS mig_insp");
    conn_->MustExec("DROP DATABASE IF EXISTS _sealgate_insp");
    conn_->MustExec("CREATE DATABASE mig_insp CHARACTER SET utf8mb4");
    conn_->MustExec("CREATE TABLE mig_insp.ok (id INT PRIMARY KEY, v INT) ENGINE=InnoDB");
    auto e = Engine::Open(SmallChunkOptions("_sealgate_insp", nullptr));
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(*e);
  }
  void TearDown() override {
    engine_.reset();
    conn_->Exec("SET GLOBAL binlog_format = ROW");
    conn_->Exec("SET GLOBAL binlog_row_image = FULL");
    conn_->Exec("SET GLOBAL binlog_expire_logs_seconds = 0");
    conn_->Exec("DROP USER IF EXISTS 'mig_u'@'%'");
    conn_->Exec("DROP DATABASE IF EXISTS mig_insp");
    conn_->Exec("DROP DATABASE IF EXISTS _sealgate_insp");
  }
  // Starts `alter`; expects refusal `err` whose message contains `hint`.
  void ExpectRefusal(const std::string& alter, uint16_t err, const std::string& hint, InspectOptions options = {},
                     PrivilegeCheck* privileges = nullptr) {
    MigrationRequest req;
    req.alter_sql = alter;
    req.default_schema = "mig_insp";
    req.inspect = options;
    req.privileges = privileges;
    auto id = engine_->Start(req);
    ASSERT_FALSE(id.ok()) << "accepted: " << alter;
    EXPECT_EQ(id.status().mysql_errno(), err) << id.status().ToString();
    EXPECT_FALSE(id.status().sqlstate().empty());
    EXPECT_NE(id.status().message().find(hint), std::string::npos) << id.status().message();
    // Nothing was created.
    EXPECT_EQ(conn_->Scalar("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'mig_insp' "
                            "AND TABLE_NAME LIKE '\\_%\\_new%'"),
              std::optional<std::string>("0"));
  }

  // Inspects `alter` on mig_insp.e (the walking key must be `key`), starts
  // it and waits until it is staged; its id (0 after a failed assertion).
  uint64_t StagedWalking(const std::string& alter, const std::string& key) {
    MigrationRequest req;
    req.alter_sql = alter;
    req.default_schema = "mig_insp";
    auto report = engine_->Inspect(req);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    if (!report.ok()) return 0;
    EXPECT_EQ(report->key.name, key);
    auto id = engine_->Start(req);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    if (!id.ok()) return 0;
    EXPECT_TRUE(WaitFor([&] { return engine_->Progress(*id)->state != MigrationState::kCopying; },
                        std::chrono::seconds(60)));
    EXPECT_EQ(engine_->Progress(*id)->state, MigrationState::kStaged) << engine_->Progress(*id)->last_error;
    return *id;
  }

  std::unique_ptr<TestConn> conn_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(MigrationInspectorRefusal, NoPrimaryKey) {
  conn_->MustExec("CREATE TABLE mig_insp.t (a INT, b INT) ENGINE=InnoDB");
  ExpectRefusal("ALTER TABLE t ADD COLUMN c INT", error::kInspectNoUniqueKey, "add a primary key");
}

TEST_F(MigrationInspectorRefusal, OnlyNullableUniqueKey) {
  conn_->MustExec("CREATE TABLE mig_insp.t (a INT NULL, b INT, UNIQUE KEY (a)) ENGINE=InnoDB");
  ExpectRefusal("ALTER TABLE t ADD COLUMN c INT", error::kInspectNoUniqueKey, "PRIMARY KEY");
}

TEST_F(MigrationInspectorRefusal, AlterDropsTheOnlyKey) {
  conn_->MustExec("CREATE TABLE mig_insp.t (a INT NOT NULL PRIMARY KEY, b INT) ENGINE=InnoDB");
  ExpectRefusal("ALTER TABLE t DROP PRIMARY KEY", error::kInspectNoUniqueKey, "keep one");
}

TEST_F(MigrationInspectorRefusal, AlterChangesKeySoShadowIsNotUnique) {
  conn_->MustExec("CREATE TABLE mig_insp.t (a INT NOT NULL PRIMARY KEY, b INT NOT NULL) ENGINE=InnoDB");
  // Found once the shadow exists (the key is rebuilt over other columns); the shadow is dropped again.
  // Refused naming a key that would serve.
  ExpectRefusal("ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (b)", error::kInspectNoUniqueKey,
                "ADD UNIQUE KEY (a)");
}

// A SET compares with a literal as text; the text of a FLOAT or DOUBLE is not
// its value; a BIT compares with a hex literal as a string: the copy cannot
// walk such keys in index order. (An ENUM walks by member number.)
TEST_F(MigrationInspectorRefusal, KeyColumnsTheCopyCannotWalk) {
  conn_->MustExec("CREATE TABLE mig_insp.e (k SET('zeta','alpha','mid') NOT NULL PRIMARY KEY, v INT) ENGINE=InnoDB");
  ExpectRefusal("ALTER TABLE e ADD COLUMN c INT", error::kInspectNoUniqueKey, "column `k` of type set('zeta'");
  conn_->MustExec("CREATE TABLE mig_insp.f (id INT NOT NULL, f DOUBLE NOT NULL, PRIMARY KEY (id, f)) ENGINE=InnoDB");
  ExpectRefusal("ALTER TABLE f ADD COLUMN c INT", error::kInspectNoUniqueKey, "column `f` of type double");
  for (const char* type : {"FLOAT", "BIT(8)", "UUID", "INET6"}) {
    conn_->MustExec("DROP TABLE IF EXISTS mig_insp.o");
    conn_->MustExec(std::string("CREATE TABLE mig_insp.o (k ") + type + " NOT NULL PRIMARY KEY) ENGINE=InnoDB");
    ExpectRefusal("ALTER TABLE o ADD COLUMN c INT", error::kInspectNoUniqueKey, "has no key the copy can walk");
  }
  conn_->MustExec("CREATE TABLE mig_insp.b (t TEXT NOT NULL, UNIQUE KEY (t)) ENGINE=InnoDB");  // a hash key
  ExpectRefusal("ALTER TABLE b ADD COLUMN c INT", error::kInspectNoUniqueKey, "PRIMARY KEY or NOT NULL UNIQUE");
}

// Another NOT NULL unique key serves when the primary key cannot be walked.
TEST_F(MigrationInspectorRefusal, OtherUniqueKeyIsUsedWhenThePrimaryKeyCannotBeWalked) {
  conn_->MustExec("CREATE TABLE mig_insp.e (k DOUBLE NOT NULL, n INT NOT NULL, v INT, "
                  "PRIMARY KEY (k, n), UNIQUE KEY by_n (n)) ENGINE=InnoDB");
  conn_->MustExec("INSERT INTO mig_insp.e SELECT 1.5 * (seq % 3), seq, seq % 7 FROM mig_insp.seq_1_to_2000");
  uint64_t id = StagedWalking("ALTER TABLE e ADD COLUMN c INT DEFAULT 5", "by_n");
  ASSERT_NE(id, 0u);
  EXPECT_EQ(Dump(*conn_, "SELECT k, n, v, 5 FROM mig_insp.e ORDER BY n"),
            Dump(*conn_, "SELECT k, n, v, c FROM mig_insp._e_new ORDER BY n"));
  EXPECT_TRUE(engine_->Cancel(id).ok());
}

// An ENUM key walks in its index's order, by member number (not as the
// labels compare as text), also as the second column of a key; an ALTER
// that changes the members leaves it to another key, or refuses.
TEST_F(MigrationInspectorRefusal, AnEnumKeyIsWalkedByMemberNumber) {
  conn_->MustExec("CREATE TABLE mig_insp.e (k ENUM('zeta','alpha','mid') NOT NULL, n INT NOT NULL, v INT, "
                  "PRIMARY KEY (k, n)) ENGINE=InnoDB");
  conn_->MustExec("INSERT INTO mig_insp.e SELECT ELT(1 + seq % 3, 'zeta', 'alpha', 'mid'), seq, seq % 7 "
                  "FROM mig_insp.seq_1_to_5000");
  uint64_t id = StagedWalking("ALTER TABLE e ADD COLUMN c INT DEFAULT 5", "PRIMARY");
  ASSERT_NE(id, 0u);
  EXPECT_EQ(Dump(*conn_, "SELECT k, n, v, 5 FROM mig_insp.e ORDER BY k, n"),
            Dump(*conn_, "SELECT k, n, v, c FROM mig_insp._e_new ORDER BY k, n"));
  auto sum = engine_->Checksum(id);
  ASSERT_TRUE(sum.ok()) << sum.status().ToString();
  EXPECT_TRUE(sum->match) << sum->mismatch;
  EXPECT_TRUE(engine_->Cancel(id).ok());
  ExpectRefusal("ALTER TABLE e MODIFY k ENUM('alpha','zeta','mid') NOT NULL", error::kInspectNoUniqueKey,
                "ADD UNIQUE KEY (k, n)");
}

// Foreign keys in or out are kept across the swap (the deploy moves them);
// an ALTER that changes their columns or indexes is refused, and so is a key
// whose cascades go on in more than one step.
TEST_F(MigrationInspectorRefusal, ForeignKeyOut) {
  conn_->MustExec("CREATE TABLE mig_insp.t (id INT PRIMARY KEY, ok_id INT, FOREIGN KEY (ok_id) REFERENCES mig_insp.ok (id)) ENGINE=InnoDB");
  ExpectRefusal("ALTER TABLE t MODIFY ok_id BIGINT", error::kInspectForeignKey, "foreign key");
  ExpectRefusal("ALTER TABLE t DROP INDEX ok_id, ADD INDEX i2 (ok_id, id)", error::kInspectForeignKey, "foreign key");
  MigrationRequest req;
  req.alter_sql = "ALTER TABLE t ADD COLUMN c INT, FORCE";
  req.default_schema = "mig_insp";
  auto id = engine_->Start(req);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_TRUE(engine_->Cancel(*id).ok());
  conn_->MustExec("CREATE TABLE mig_insp.s (id INT PRIMARY KEY, up INT, KEY (up), FOREIGN KEY (up) REFERENCES "
                  "mig_insp.s (id) ON DELETE CASCADE) ENGINE=InnoDB");
  ExpectRefusal("ALTER TABLE s ADD COLUMN c INT, FORCE", error::kInspectForeignKey, "more than one step");
}

TEST_F(MigrationInspectorRefusal, ForeignKeyIn) {
  conn_->MustExec("CREATE TABLE mig_insp.child (id INT PRIMARY KEY, ok_id INT, FOREIGN KEY (ok_id) REFERENCES mig_insp.ok (id)) ENGINE=InnoDB");
  ExpectRefusal("ALTER TABLE ok MODIFY id BIGINT", error::kInspectForeignKey, "foreign key");
}

TEST_F(MigrationInspectorRefusal, Trigger) {
  conn_->MustExec("CREATE TRIGGER mig_insp.trg BEFORE INSERT ON mig_insp.ok FOR EACH ROW SET NEW.v = 1");
  ExpectRefusal("ALTER TABLE ok ADD COLUMN c INT", error::kInspectTrigger, "drop its triggers");
}

TEST_F(MigrationInspectorRefusal, FreeSpace) {
  conn_->MustExec("INSERT INTO mig_insp.ok SELECT seq, seq FROM mig_insp.seq_1_to_1000");
  InspectOptions o;
  o.available_bytes = 10;
  ExpectRefusal("ALTER TABLE ok ADD COLUMN c INT", error::kInspectFreeSpace, "free disk space", o);
}

TEST_F(MigrationInspectorRefusal, BinlogFormatNotRow) {
  conn_->MustExec("SET GLOBAL binlog_format = MIXED");
  ExpectRefusal("ALTER TABLE ok ADD COLUMN c INT", error::kInspectBinlogFormat, "SET GLOBAL binlog_format=ROW");
}

TEST_F(MigrationInspectorRefusal, BinlogRowImageNotFull) {
  conn_->MustExec("SET GLOBAL binlog_row_image = MINIMAL");
  ExpectRefusal("ALTER TABLE ok ADD COLUMN c INT", error::kInspectBinlogRowImage, "binlog_row_image=FULL");
}

TEST_F(MigrationInspectorRefusal, BinlogRetentionTooShort) {
  conn_->MustExec("SET GLOBAL binlog_expire_logs_seconds = 3600");
  ExpectRefusal("ALTER TABLE ok ADD COLUMN c INT", error::kInspectBinlogRetention, "binlog_expire_logs_seconds");
}

TEST_F(MigrationInspectorRefusal, NoAlterPrivilege) {
  conn_->MustExec("CREATE USER 'mig_u'@'%' IDENTIFIED BY 'x'");
  conn_->MustExec("GRANT SELECT, INSERT ON mig_insp.* TO 'mig_u'@'%'");
  auto admin = SqlConn::Open(Endpoint());
  ASSERT_TRUE(admin.ok());
  GrantTablePrivilegeCheck check(&*admin, "mig_u", "10.0.0.7");
  ExpectRefusal("ALTER TABLE ok ADD COLUMN c INT", error::kInspectAlterPrivilege, "GRANT ALTER", {}, &check);
}

TEST(MigrationGrantTableCheck, TableAndDatabaseGrantsAllow) {
  auto conn = TestConn::Open(test::TestServer());
  conn->MustExec("DROP USER IF EXISTS 'mig_g'@'%'");
  conn->MustExec("CREATE USER 'mig_g'@'%' IDENTIFIED BY 'x'");
  conn->MustExec("CREATE DATABASE IF NOT EXISTS mig_p");
  conn->MustExec("CREATE TABLE IF NOT EXISTS mig_p.t (id INT PRIMARY KEY)");
  auto admin = SqlConn::Open(Endpoint());
  ASSERT_TRUE(admin.ok());
  GrantTablePrivilegeCheck check(&*admin, "mig_g", "192.168.1.2");
  EXPECT_EQ(check.CheckAlter({"mig_p", "t"}).mysql_errno(), error::kInspectAlterPrivilege);
  conn->MustExec("GRANT ALTER ON mig_p.t TO 'mig_g'@'%'");
  EXPECT_TRUE(check.CheckAlter({"mig_p", "t"}).ok());
  EXPECT_FALSE(check.CheckAlter({"mig_p", "other"}).ok());
  conn->MustExec("GRANT ALTER ON mig_p.* TO 'mig_g'@'%'");
  EXPECT_TRUE(check.CheckAlter({"mig_p", "other"}).ok());
  EXPECT_FALSE(check.CheckAlter({"mig_q", "other"}).ok());
  // Another user at the same host has nothing.
  GrantTablePrivilegeCheck stranger(&*admin, "nobody", "192.168.1.2");
  EXPECT_FALSE(stranger.CheckAlter({"mig_p", "t"}).ok());
  conn->MustExec("DROP USER 'mig_g'@'%'");
  conn->MustExec("DROP DATABASE mig_p");
}

TEST_F(MigrationInspectorRefusal, TableMissing) {
  ExpectRefusal("ALTER TABLE nope ADD COLUMN c INT", error::kInspectTable, "does not exist");
}

TEST_F(MigrationInspectorRefusal, NotInnoDb) {
  conn_->MustExec("CREATE TABLE mig_insp.t (id INT PRIMARY KEY) ENGINE=MyISAM");
  ExpectRefusal("ALTER TABLE t ADD COLUMN c INT", error::kInspectTable, "InnoDB");
}

TEST_F(MigrationInspectorRefusal, TableAlreadyStaged) {
  MigrationRequest req;
  req.alter_sql = "ALTER TABLE ok ADD COLUMN c INT";
  req.default_schema = "mig_insp";
  auto first = engine_->Start(req);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = engine_->Start(req);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().mysql_errno(), error::kMigrationTableBusy);
  EXPECT_TRUE(engine_->Cancel(*first).ok());
}

// The server's own refusal, with its number (MariaDB's 4161, unknown data
// type), as the client would get it directly.
TEST_F(MigrationInspectorRefusal, AlterTheServerRejects) {
  ExpectRefusal("ALTER TABLE ok ADD COLUMN c NOSUCHTYPE", 4161, "fix the ALTER");
}

TEST(MigrationThrottler, ThreadsRunningAboveTheLimitThrottles) {
  ThreadsRunningThrottler strict(Endpoint(), 0, std::chrono::milliseconds(0));
  EXPECT_NE(strict.Reason().find("Threads_running="), std::string::npos);  // the check itself runs
  ThreadsRunningThrottler lenient(Endpoint(), 10000, std::chrono::milliseconds(0));
  EXPECT_EQ(lenient.Reason(), "");
}

// log_bin=OFF needs a server of its own.
TEST(MigrationInspectorServer, BinlogOff) {
  std::string dir = test::ScratchDir() + "/mig-nobinlog";
  int port = test::FreePort();
  std::string start = "MARIADB_EXTRA_ARGS=--skip-log-bin " + test::SourceDir() + "/scripts/mariadb.sh start " + dir +
                      " " + std::to_string(port) + " 7 >/dev/null";
  ASSERT_EQ(system(start.c_str()), 0);
  test::ServerAddress addr{"127.0.0.1", port, "sealgate", "sealgate"};
  auto admin = SqlConn::Open(Endpoint(addr));
  ASSERT_TRUE(admin.ok()) << admin.status().ToString();
  ASSERT_TRUE(admin->Exec("CREATE DATABASE IF NOT EXISTS d").ok());
  ASSERT_TRUE(admin->Exec("CREATE TABLE IF NOT EXISTS d.t (id INT PRIMARY KEY) ENGINE=InnoDB").ok());
  auto alter = sql::AnalyzeAlter("ALTER TABLE d.t ADD COLUMN c INT");
  ASSERT_TRUE(alter.ok());
  auto report = Inspect(*admin, *alter, {}, nullptr);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().mysql_errno(), error::kInspectBinlogOff);
  EXPECT_NE(report.status().message().find("--log-bin"), std::string::npos);
  std::string stop = test::SourceDir() + "/scripts/mariadb.sh stop " + dir + " >/dev/null";
  EXPECT_EQ(system(stop.c_str()), 0);
}

}  // namespace
}  // namespace sealgate::migration
