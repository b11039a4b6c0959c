// DESIGN.md §8 hard cases against the real server: locking copy reads,
// duplicates on a new unique key (during the copy and while staged),
// statements that bypass row events, composite string keys under writers,
// and the seal hooks (sentinel wait, pause/resume, auto-increment).
#include <gtest/gtest.h>

#include "migration/engine.h"
#include "migration_test_util.h"
#include "sql/errors.h"

namespace sealgate::migration {
namespace {

using namespace sealgate::migration::testing;
using test::TestConn;

class MigrationHardCase : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_ = TestConn::Open(test::TestServer());
    conn_->MustExec("DROP DATABASE IF EXISTS mig_hard");
    conn_->MustExec("DROP DATABASE IF EXISTS _sealgate_hard");
    conn_->MustExec("CREATE DATABASE mig_hard CHARACTER SET utf8mb4");
  }
  void TearDown() override {
    engine_.reset();
    conn_->Exec("DROP DATABASE IF EXISTS mig_hard");
    conn_->Exec("DROP DATABASE IF EXISTS _sealgate_hard");
  }
  void OpenEngine(EngineOptions o = SmallChunkOptions("_sealgate_hard", nullptr)) {
    if (!o.logger) o.logger = &logger_;
    auto e = Engine::Open(std::move(o));
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(*e);
  }
  uint64_t StartOk(const std::string& alter) {
    MigrationRequest req;
    req.alter_sql = alter;
    req.default_schema = "mig_hard";
    auto id = engine_->Start(req);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }
  MigrationProgress WaitLeaves(uint64_t id, MigrationState from,
                               std::chrono::seconds timeout = std::chrono::seconds(60)) {
    WaitFor([&] { return engine_->Progress(id)->state != from; }, timeout);
    return *engine_->Progress(id);
  }
  void Drain(uint64_t id) {
    auto s = engine_->WriteSentinel();
    ASSERT_TRUE(s.ok());
    Status st = engine_->WaitApplied(id, *s, std::chrono::milliseconds(60000));
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  Logger logger_{LogLevel::kWarn};
  std::unique_ptr<TestConn> conn_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(MigrationHardCase, UncommittedDeleteIsNotResurrectedByTheCopy) {
  conn_->MustExec("CREATE TABLE mig_hard.t (id INT PRIMARY KEY, v VARCHAR(10)) ENGINE=InnoDB");
  conn_->MustExec("INSERT INTO mig_hard.t SELECT seq, 'v' FROM mig_hard.seq_1_to_100");
  auto deleter = TestConn::Open(test::TestServer(), "mig_hard");
  deleter->MustExec("BEGIN");
  deleter->MustExec("DELETE FROM t WHERE id = 50");
  OpenEngine();
  uint64_t id = StartOk("ALTER TABLE t ADD COLUMN w INT");
  // The copy waits on the row lock; the delete commits while it waits.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(engine_->Progress(id)->state, MigrationState::kCopying);
  deleter->MustExec("COMMIT");
  EXPECT_EQ(WaitLeaves(id, MigrationState::kCopying).state, MigrationState::kStaged);
  Drain(id);
  EXPECT_EQ(conn_->Scalar("SELECT COUNT(*) FROM mig_hard._t_new WHERE id = 50"), std::optional<std::string>("0"));
  EXPECT_EQ(conn_->Scalar("SELECT COUNT(*) FROM mig_hard._t_new"), std::optional<std::string>("99"));
}

// The copy's locking read never waits for an application transaction, so it
// is never in a deadlock the application could lose: a transaction holding a
// row the copy needs goes on locking more rows of the same range, each
// statement promptly, and commits; the copy goes around it.
TEST_F(MigrationHardCase, CopyNeverMakesAnApplicationTransactionWaitOrDeadlock) {
  conn_->MustExec("CREATE TABLE mig_hard.t (id INT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB");
  conn_->MustExec("INSERT INTO mig_hard.t SELECT seq, 0 FROM mig_hard.seq_1_to_20000");
  auto app = TestConn::Open(test::TestServer(), "mig_hard");
  app->MustExec("SET SESSION innodb_lock_wait_timeout = 5");
  app->MustExec("BEGIN");
  app->MustExec("UPDATE t SET v = 1 WHERE id = 10000");
  EngineOptions o = SmallChunkOptions("_sealgate_hard", nullptr);
  o.initial_chunk_rows = 5000;  // chunks that span the held row and the rows locked next
  o.max_chunk_rows = 20000;
  o.min_chunk_rows = 1000;
  OpenEngine(std::move(o));
  uint64_t id = StartOk("ALTER TABLE t ADD COLUMN w INT");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the copy meets row 10000
  for (const char* sql : {"UPDATE t SET v = 2 WHERE id BETWEEN 9000 AND 9999",
                          "UPDATE t SET v = 3 WHERE id BETWEEN 1 AND 200",
                          "UPDATE t SET v = 4 WHERE id BETWEEN 10001 AND 11000"}) {
    auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(app->Exec(sql)) << sql << ": " << app->last_error();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1)) << sql;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(engine_->Progress(id)->state, MigrationState::kCopying);  // not past the held row
  ASSERT_TRUE(app->Exec("COMMIT")) << app->last_error();
  EXPECT_EQ(WaitLeaves(id, MigrationState::kCopying).state, MigrationState::kStaged);
  Drain(id);
  EXPECT_EQ(Dump(*conn_, "SELECT id, v FROM mig_hard.t ORDER BY id"),
            Dump(*conn_, "SELECT id, v FROM mig_hard._t_new ORDER BY id"));
  EXPECT_EQ(conn_->Scalar("SELECT COUNT(*) FROM mig_hard._t_new WHERE v = 2"), std::optional<std::string>("1000"));
}

TEST_F(MigrationHardCase, CopyWaitsOutAPreparedXaTransactionAndRetries) {
  conn_->MustExec("CREATE TABLE mig_hard.t (id INT PRIMARY KEY, v VARCHAR(10)) ENGINE=InnoDB");
  conn_->MustExec("INSERT INTO mig_hard.t SELECT seq, 'v' FROM mig_hard.seq_1_to_100");
  auto xa = TestConn::Open(test::TestServer(), "mig_hard");
  xa->MustExec("XA START 'copyblock'");
  xa->MustExec("DELETE FROM t WHERE id = 50");
  xa->MustExec("XA END 'copyblock'");
  xa->MustExec("XA PREPARE 'copyblock'");
  EngineOptions o = SmallChunkOptions("_sealgate_hard", nullptr);
  o.copy_lock_wait = std::chrono::seconds(1);
  OpenEngine(o);
  uint64_t id = StartOk("ALTER TABLE t ADD COLUMN w INT");
  std::this_thread::sleep_for(std::chrono::milliseconds(3000));  // several lock wait timeouts
  EXPECT_EQ(engine_->Progress(id)->state, MigrationState::kCopying) << engine_->Progress(id)->last_error;
  xa->MustExec("XA COMMIT 'copyblock'");
  EXPECT_EQ(WaitLeaves(id, MigrationState::kCopying).state, MigrationState::kStaged);
  Drain(id);
  EXPECT_EQ(conn_->Scalar("SELECT COUNT(*) FROM mig_hard._t_new"), std::optional<std::string>("99"));
  EXPECT_EQ(conn_->Scalar("SELECT COUNT(*) FROM mig_hard._t_new WHERE id = 50"), std::optional<std::string>("0"));
}

TEST_F(MigrationHardCase, DuplicateInExistingDataFailsTheCopyNamingTheValue) {
  conn_->MustExec("CREATE TABLE mig_hard.t (id INT PRIMARY KEY, email VARCHAR(50)) ENGINE=InnoDB");
  conn_->MustExec("INSERT INTO mig_hard.t SELECT seq, CONCAT('u', seq, '@x') FROM mig_hard.seq_1_to_1000");
  conn_->MustExec("UPDATE mig_hard.t SET email = 'twice@x' WHERE id IN (10, 900)");
  OpenEngine();
  uint64_t id = StartOk("ALTER TABLE t ADD UNIQUE KEY uq_email (email)");
  auto p = WaitLeaves(id, MigrationState::kCopying);
  ASSERT_EQ(p.state, MigrationState::kFailed);
  EXPECT_NE(p.last_error.find("twice@x"), std::string::npos) << p.last_error;
  EXPECT_NE(p.last_error.find("uq_email"), std::string::npos) << p.last_error;
  // The server's own error, as the ALTER run directly gets it.
  EXPECT_EQ(p.server_errno, 1062u);
  EXPECT_EQ(p.server_sqlstate, "23000");
  // Nothing was swallowed: both rows are still in the original.
  EXPECT_EQ(conn_->Scalar("SELECT COUNT(*) FROM mig_hard.t WHERE email = 'twice@x'"), std::optional<std::string>("2"));
  EXPECT_TRUE(engine_->Cancel(id).ok());
}

TEST_F(MigrationHardCase, DuplicateArrivingWhileStagedFailsNamingKeyAndValues) {
  conn_->MustExec("CREATE TABLE mig_hard.t (id INT PRIMARY KEY, email VARCHAR(50)) ENGINE=InnoDB");
  conn_->MustExec("INSERT INTO mig_hard.t SELECT seq, CONCAT('u', seq, '@x') FROM mig_hard.seq_1_to_1000");
  OpenEngine();
  uint64_t id = StartOk("ALTER TABLE t ADD UNIQUE KEY uq_email (email)");
  ASSERT_EQ(WaitLeaves(id, MigrationState::kCopying).state, MigrationState::kStaged);
  conn_->MustExec("INSERT INTO mig_hard.t VALUES (5000, 'u7@x')");  // legal on the original
  auto p = WaitLeaves(id, MigrationState::kStaged);
  ASSERT_EQ(p.state, MigrationState::kFailed);
  EXPECT_NE(p.last_error.find("u7@x"), std::string::npos) << p.last_error;
  EXPECT_NE(p.last_error.find("uq_email"), std::string::npos) << p.last_error;
  EXPECT_NE(p.last_error.find("id=5000"), std::string::npos) << p.last_error;
  EXPECT_EQ(p.server_errno, 0u);  // sealgate's own failure: the ALTER itself met no such row
  // The shadow keeps its rows (nothing replaced away).
  EXPECT_EQ(conn_->Scalar("SELECT COUNT(*) FROM mig_hard._t_new"), std::optional<std::string>("1000"));
}

TEST_F(MigrationHardCase, TruncateFailsTheMigration) {
  conn_->MustExec("CREATE TABLE mig_hard.t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB");
  conn_->MustExec("INSERT INTO mig_hard.t SELECT seq, seq FROM mig_hard.seq_1_to_500");
  OpenEngine();
  uint64_t id = StartOk("ALTER TABLE t ADD COLUMN w INT");
  ASSERT_EQ(WaitLeaves(id, MigrationState::kCopying).state, MigrationState::kStaged);
  conn_->MustExec("TRUNCATE TABLE mig_hard.t");
  auto p = WaitLeaves(id, MigrationState::kStaged);
  ASSERT_EQ(p.state, MigrationState::kFailed);
  EXPECT_NE(p.last_error.find("TRUNCATE"), std::string::npos) << p.last_error;
  EXPECT_NE(p.last_error.find("Cancel the deploy"), std::string::npos) << p.last_error;
}

TEST_F(MigrationHardCase, DirectAlterOfTheOriginalFailsTheMigration) {
  conn_->MustExec("CREATE TABLE mig_hard.t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB");
  conn_->MustExec("INSERT INTO mig_hard.t SELECT seq, seq FROM mig_hard.seq_1_to_500");
  OpenEngine();
  uint64_t id = StartOk("ALTER TABLE t ADD COLUMN w INT");
  ASSERT_EQ(WaitLeaves(id, MigrationState::kCopying).state, MigrationState::kStaged);
  conn_->MustExec("ALTER TABLE mig_hard.t ADD COLUMN sneaky INT");
  auto p = WaitLeaves(id, MigrationState::kStaged);
  ASSERT_EQ(p.state, MigrationState::kFailed);
  EXPECT_NE(p.last_error.find("sneaky"), std::string::npos) << p.last_error;
}

TEST_F(MigrationHardCase, PartitionTruncateFailsTheMigration) {
  conn_->MustExec("CREATE TABLE mig_hard.p (id INT PRIMARY KEY, v INT) ENGINE=InnoDB "
                  "PARTITION BY RANGE (id) (PARTITION p0 VALUES LESS THAN (500), PARTITION p1 VALUES LESS THAN MAXVALUE)");
  conn_->MustExec("INSERT INTO mig_hard.p SELECT seq, seq FROM mig_hard.seq_1_to_1000");
  OpenEngine();
  uint64_t id = StartOk("ALTER TABLE p ADD COLUMN w INT");
  ASSERT_EQ(WaitLeaves(id, MigrationState::kCopying).state, MigrationState::kStaged);
  conn_->MustExec("ALTER TABLE mig_hard.p TRUNCATE PARTITION p0");  // deletes rows without row events
  auto p = WaitLeaves(id, MigrationState::kStaged);
  ASSERT_EQ(p.state, MigrationState::kFailed);
  EXPECT_NE(p.last_error.find("TRUNCATE PARTITION"), std::string::npos) << p.last_error;
}

TEST_F(MigrationHardCase, ShadowNamesAvoidCollisionsAndStayWithin64Characters) {
  const std::string long_name(60, 'x');
  conn_->MustExec("CREATE TABLE mig_hard." + long_name + " (id INT PRIMARY KEY) ENGINE=InnoDB");
  conn_->MustExec("CREATE TABLE mig_hard.t (id INT PRIMARY KEY) ENGINE=InnoDB");
  conn_->MustExec("CREATE TABLE mig_hard._t_new (unrelated INT)");  // someone else's table
  OpenEngine();
  MigrationRequest dry;
  dry.alter_sql = "ALTER TABLE t ADD COLUMN w INT";
  dry.default_schema = "mig_hard";
  auto report = engine_->Inspect(dry);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->key.name, "PRIMARY");
  uint64_t a = StartOk("ALTER TABLE t ADD COLUMN w INT");
  uint64_t b = StartOk("ALTER TABLE " + long_name + " ADD COLUMN w INT");
  EXPECT_EQ(engine_->Names(a)->shadow, "_t_new2");
  std::string shadow = engine_->Names(b)->shadow;
  EXPECT_LE(shadow.size(), 64u);
  EXPECT_EQ(shadow.front(), '_');
  EXPECT_EQ(WaitLeaves(b, MigrationState::kCopying).state, MigrationState::kStaged);
  EXPECT_TRUE(engine_->Cancel(a).ok());
  EXPECT_EQ(conn_->Scalar("SELECT COUNT(*) FROM mig_hard._t_new"), std::optional<std::string>("0"));  // untouched
}

TEST_F(MigrationHardCase, SecondEngineOnTheSameMetadataSchemaIsRefused) {
  OpenEngine();
  auto second = Engine::Open(SmallChunkOptions("_sealgate_hard", nullptr));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(second.status().mysql_errno(), error::kDeployNotOwner);
  EXPECT_NE(second.status().message().find("does not own the deploys of metadata schema `_sealgate_hard`"),
            std::string::npos)
      << second.status().message();
  engine_.reset();
  auto again = Engine::Open(SmallChunkOptions("_sealgate_hard", nullptr));
  EXPECT_TRUE(again.ok()) << again.status().ToString();
}

TEST_F(MigrationHardCase, MetadataOfAnOlderSealgateGetsTheNewerColumns) {
  OpenEngine();
  engine_.reset();
  conn_->MustExec("ALTER TABLE _sealgate_hard.migrations DROP COLUMN role, DROP COLUMN lease_epoch");
  OpenEngine();
  conn_->MustExec("CREATE TABLE mig_hard.t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB");
  conn_->MustExec("INSERT INTO mig_hard.t SELECT seq, seq FROM mig_hard.seq_1_to_100");
  EXPECT_EQ(conn_->Scalar("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '_sealgate_hard' AND "
                          "TABLE_NAME = 'migrations' AND COLUMN_NAME IN ('role', 'lease_epoch')"),
            std::optional<std::string>("2"));
  uint64_t id = StartOk("ALTER TABLE t ADD COLUMN w INT");
  EXPECT_EQ(WaitLeaves(id, MigrationState::kCopying).state, MigrationState::kStaged);
}

TEST_F(MigrationHardCase, CompositeStringKeyUnderWriters) {
  conn_->MustExec("CREATE TABLE mig_hard.k (region VARCHAR(20) NOT NULL, n INT NOT NULL, v VARCHAR(40) NULL, "
                  "PRIMARY KEY (region, n)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci");
  conn_->MustExec("INSERT INTO mig_hard.k SELECT ELT(1 + seq % 5, 'alpha', 'Beta', '\xC3\xA9t\xC3\xA9', "
                  "'\xF0\x9F\x98\x80', 'zz'), seq, CONCAT('v', seq) FROM mig_hard.seq_1_to_3000");
  OpenEngine();
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    TestConn c;
    ASSERT_TRUE(c.Connect(test::TestServer(), "mig_hard"));
    std::mt19937 rng(7);
    const char* regions[] = {"alpha", "Beta", "\xC3\xA9t\xC3\xA9", "\xF0\x9F\x98\x80", "zz", "mid"};
    while (!stop) {
      std::string r = regions[rng() % 6];
      std::string n = std::to_string(rng() % 4000);
      switch (rng() % 4) {
        case 0: c.Exec("INSERT IGNORE INTO k VALUES ('" + r + "', " + n + ", 'w')"); break;
        case 1: c.Exec("DELETE FROM k WHERE region = '" + r + "' AND n = " + n); break;
        case 2: c.Exec("UPDATE k SET v = CONCAT(v, '+') WHERE region = '" + r + "' AND n = " + n); break;
        default: c.Exec("UPDATE IGNORE k SET region = '" + std::string(regions[rng() % 6]) + "' WHERE region = '" + r +
                        "' AND n = " + n);
      }
    }
  });
  uint64_t id = StartOk("ALTER TABLE k ADD COLUMN w INT DEFAULT 3, MODIFY v VARCHAR(80) NULL");
  auto p = WaitLeaves(id, MigrationState::kCopying);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  stop = true;
  writer.join();
  ASSERT_EQ(p.state, MigrationState::kStaged) << p.last_error;
  Drain(id);
  auto original = Dump(*conn_, "SELECT region, n, v, 3 FROM mig_hard.k ORDER BY region, n");
  auto shadow = Dump(*conn_, "SELECT region, n, v, w FROM mig_hard._k_new ORDER BY region, n");
  EXPECT_EQ(original, shadow);
  EXPECT_GT(original.size(), 1000u);
}

// The stream decodes the rows of followed tables only: not the copy's own
// inserts into the shadow, not unrelated tables. A table starts being
// followed when its migration starts, before its first chunk, so writes that
// race the copy are not lost.
TEST_F(MigrationHardCase, OnlyFollowedTablesAreDecodedAndANewMigrationGetsItsRows) {
  conn_->MustExec("CREATE TABLE mig_hard.a (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB");
  conn_->MustExec("CREATE TABLE mig_hard.b (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB");
  conn_->MustExec("INSERT INTO mig_hard.a SELECT seq, CONCAT('a', seq) FROM mig_hard.seq_1_to_2000");
  conn_->MustExec("INSERT INTO mig_hard.b SELECT seq, CONCAT('b', seq) FROM mig_hard.seq_1_to_2000");
  OpenEngine();
  uint64_t a = StartOk("ALTER TABLE a ADD COLUMN w INT DEFAULT 1");
  ASSERT_EQ(WaitLeaves(a, MigrationState::kCopying).state, MigrationState::kStaged);
  uint64_t skipped_after_copy = engine_->BinlogStats().rows_events_skipped;
  EXPECT_GE(skipped_after_copy, 5u);  // at least one rows event per chunk of at most 400 rows

  std::atomic<bool> stop{false};
  std::atomic<int> writes{0};
  std::thread writer([&] {
    TestConn c;
    ASSERT_TRUE(c.Connect(test::TestServer(), "mig_hard"));
    std::mt19937 rng(11);
    while (!stop) {
      std::string id = std::to_string(1 + rng() % 2500);
      switch (rng() % 3) {
        case 0: c.Exec("INSERT IGNORE INTO b VALUES (" + id + ", 'new')"); break;
        case 1: c.Exec("DELETE FROM b WHERE id = " + id); break;
        default: c.Exec("UPDATE b SET v = CONCAT(v, '+') WHERE id = " + id);
      }
      ++writes;
    }
  });
  ASSERT_TRUE(WaitFor([&] { return writes > 200; }, std::chrono::seconds(30)));
  ASSERT_TRUE(WaitFor([&] { return engine_->BinlogStats().rows_events_skipped > skipped_after_copy + 100; },
                      std::chrono::seconds(30)));
  uint64_t b = StartOk("ALTER TABLE b ADD COLUMN w INT DEFAULT 2");
  auto p = WaitLeaves(b, MigrationState::kCopying);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stop = true;
  writer.join();
  ASSERT_EQ(p.state, MigrationState::kStaged) << p.last_error;
  Drain(b);
  EXPECT_EQ(Dump(*conn_, "SELECT id, v, 2 FROM mig_hard.b ORDER BY id"),
            Dump(*conn_, "SELECT id, v, w FROM mig_hard._b_new ORDER BY id"));
}

// Binlog work goes first, but a backlog must not stop the copy (writers as
// fast as the applier kept it from ever copying again): while the applier
// works off what piled up during a pause, chunks are still copied between
// its batches, not only once the backlog is gone.
TEST_F(MigrationHardCase, CopyAdvancesWhileTheApplierWorksOffABacklog) {
  conn_->MustExec("CREATE TABLE mig_hard.t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB");
  conn_->MustExec("INSERT INTO mig_hard.t SELECT seq, 0 FROM mig_hard.seq_1_to_20000");
  OpenEngine();
  uint64_t id = StartOk("ALTER TABLE t ADD COLUMN w INT");
  ASSERT_TRUE(WaitFor([&] { return engine_->Progress(id)->rows_copied >= 200; }, std::chrono::seconds(30)));
  ASSERT_TRUE(engine_->Pause(id).ok());
  // 3000 transactions on copied rows, each to be applied to the shadow.
  conn_->MustExec("BEGIN NOT ATOMIC FOR i IN 1..3000 DO UPDATE mig_hard.t SET v = v + 1 WHERE id = 1 + i % 100; "
                  "END FOR; END");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  uint64_t copied = engine_->Progress(id)->rows_copied;
  ASSERT_TRUE(engine_->Resume(id).ok());
  MigrationProgress first;
  ASSERT_TRUE(WaitFor(
      [&] {
        first = *engine_->Progress(id);
        return first.rows_copied > copied;
      },
      std::chrono::seconds(60)));
  EXPECT_GE(first.lag.count(), 1000) << "the copy waited for the backlog to be applied";
  EXPECT_EQ(WaitLeaves(id, MigrationState::kCopying).state, MigrationState::kStaged);
  Drain(id);
  EXPECT_EQ(Dump(*conn_, "SELECT id, v FROM mig_hard.t ORDER BY id"),
            Dump(*conn_, "SELECT id, v FROM mig_hard._t_new ORDER BY id"));
}

// Unique values that travel between rows while the copy runs are never
// duplicates in the original; a chunk copied ahead of the applier may still
// collide with a row the applier has not caught up on. That must not fail.
TEST_F(MigrationHardCase, UniqueValuesSwappedDuringCopyAreNotDuplicates) {
  conn_->MustExec("CREATE TABLE mig_hard.t (id INT PRIMARY KEY, u INT NULL) ENGINE=InnoDB");
  conn_->MustExec("INSERT INTO mig_hard.t SELECT seq, seq FROM mig_hard.seq_1_to_10000");
  OpenEngine();
  std::atomic<bool> stop{false};
  std::atomic<int> swaps{0};
  std::vector<std::thread> swappers;
  for (int n = 0; n < 2; ++n) {
    swappers.emplace_back([&, n] {
      TestConn c;
      ASSERT_TRUE(c.Connect(test::TestServer(), "mig_hard"));
      std::mt19937 rng(99 + n);
      while (!stop) {
        int a = 1 + int(rng() % 10000), b = 1 + int(rng() % 10000);
        if (a == b) continue;
        if (a > b) std::swap(a, b);  // both swappers lock in key order: they never deadlock each other
        std::string sa = std::to_string(a), sb = std::to_string(b);
        c.Exec("BEGIN");
        auto x = c.Scalar("SELECT u FROM t WHERE id = " + sa + " FOR UPDATE");
        auto y = c.Scalar("SELECT u FROM t WHERE id = " + sb + " FOR UPDATE");
        bool ok = c.Exec("UPDATE t SET u = NULL WHERE id IN (" + sa + ", " + sb + ")") &&
                  c.Exec("UPDATE t SET u = " + y.value_or("NULL") + " WHERE id = " + sa) &&
                  c.Exec("UPDATE t SET u = " + x.value_or("NULL") + " WHERE id = " + sb);
        c.Exec(ok ? "COMMIT" : "ROLLBACK");
        if (ok) ++swaps;
      }
    });
  }
  uint64_t id = StartOk("ALTER TABLE t ADD UNIQUE KEY uq (u)");
  // Churn on the new unique key costs undone chunks and retries: slow, never wrong.
  auto p = WaitLeaves(id, MigrationState::kCopying, std::chrono::seconds(180));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stop = true;
  for (auto& t : swappers) t.join();
  ASSERT_EQ(p.state, MigrationState::kStaged) << p.last_error;
  EXPECT_GT(swaps.load(), 100);
  Drain(id);
  EXPECT_EQ(engine_->Progress(id)->state, MigrationState::kStaged) << engine_->Progress(id)->last_error;
  EXPECT_EQ(Dump(*conn_, "SELECT id, u FROM mig_hard.t ORDER BY id"),
            Dump(*conn_, "SELECT id, u FROM mig_hard._t_new ORDER BY id"));
}

// One stream, several migrations: copies run one at a time (one slot) while
// staged migrations keep applying.
TEST_F(MigrationHardCase, CopiesAreScheduledWhileStagedMigrationsKeepTailing) {
  for (int i = 1; i <= 3; ++i) {
    std::string t = "mig_hard.t" + std::to_string(i);
    conn_->MustExec("CREATE TABLE " + t + " (id INT PRIMARY KEY, v INT) ENGINE=InnoDB");
    conn_->MustExec("INSERT INTO " + t + " SELECT seq, seq FROM mig_hard.seq_1_to_8000");
  }
  EngineOptions o = SmallChunkOptions("_sealgate_hard", nullptr);
  o.max_concurrent_copies = 1;
  OpenEngine(o);
  std::vector<uint64_t> ids;
  for (int i = 1; i <= 3; ++i) {
    ids.push_back(StartOk("ALTER TABLE t" + std::to_string(i) + " ADD COLUMN w INT"));
    // Each copy rests 5x each chunk's time: long enough to be seen copying
    // (an unthrottled copy of 8,000 rows is over between two looks).
    ASSERT_TRUE(engine_->SetCopyThrottle(ids.back(), 5).ok());
  }
  int max_running = 0;
  bool tail_checked = false;
  ASSERT_TRUE(WaitFor([&] {
    int running = 0, staged = 0;
    for (const auto& p : engine_->ListProgress()) {
      running += p.copy_running;
      staged += p.state == MigrationState::kStaged;
    }
    max_running = std::max(max_running, running);
    if (staged >= 1 && staged < 3 && !tail_checked) {
      // The first staged migration applies while another one copies.
      for (uint64_t id : ids) {
        if (engine_->Progress(id)->state != MigrationState::kStaged) continue;
        auto names = engine_->Names(id);
        conn_->MustExec("INSERT INTO mig_hard." + names->original + " VALUES (100000, 1)");
        auto s = engine_->WriteSentinel();
        EXPECT_TRUE(engine_->WaitApplied(id, *s, std::chrono::milliseconds(10000)).ok());
        EXPECT_EQ(conn_->Scalar("SELECT COUNT(*) FROM mig_hard." + names->shadow + " WHERE id = 100000"),
                  std::optional<std::string>("1"));
        tail_checked = true;
      }
    }
    return staged == 3;
  }, std::chrono::seconds(120)));
  EXPECT_EQ(max_running, 1);
  EXPECT_TRUE(tail_checked);
  EXPECT_EQ(engine_->ListProgress().size(), 3u);
}

TEST_F(MigrationHardCase, SentinelPauseResumeAndAutoIncrement) {
  conn_->MustExec("CREATE TABLE mig_hard.t (id INT AUTO_INCREMENT PRIMARY KEY, v INT) ENGINE=InnoDB");
  conn_->MustExec("INSERT INTO mig_hard.t (v) SELECT seq FROM mig_hard.seq_1_to_300");
  OpenEngine();
  uint64_t id = StartOk("ALTER TABLE t ADD COLUMN w INT");
  ASSERT_EQ(WaitLeaves(id, MigrationState::kCopying).state, MigrationState::kStaged);
  auto names = engine_->Names(id);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names->original, "t");
  EXPECT_EQ(names->shadow, "_t_new");

  ASSERT_TRUE(engine_->Pause(id).ok());
  conn_->MustExec("INSERT INTO mig_hard.t (v) VALUES (1000)");
  auto s = engine_->WriteSentinel();
  ASSERT_TRUE(s.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  // Paused: nothing reaches the shadow, and waiting says why instead of hanging.
  EXPECT_EQ(conn_->Scalar("SELECT COUNT(*) FROM mig_hard._t_new"), std::optional<std::string>("300"));
  EXPECT_EQ(engine_->WaitApplied(id, *s, std::chrono::milliseconds(100)).code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(engine_->Progress(id)->paused);
  EXPECT_FALSE(engine_->Progress(id)->ready);
  // Lag is measured through the binlog: paused, the heartbeats pile up unapplied.
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  EXPECT_GE(engine_->Progress(id)->lag.count(), 1000);

  ASSERT_TRUE(engine_->Resume(id).ok());
  ASSERT_TRUE(engine_->WaitApplied(id, *s, std::chrono::milliseconds(30000)).ok());
  EXPECT_EQ(conn_->Scalar("SELECT COUNT(*) FROM mig_hard._t_new"), std::optional<std::string>("301"));
  EXPECT_TRUE(WaitFor([&] { return engine_->Progress(id)->ready; }, std::chrono::seconds(10)));
  EXPECT_LT(engine_->Progress(id)->lag.count(), 1000);

  auto ai = engine_->ReadAutoIncrement("mig_hard", "t");
  ASSERT_TRUE(ai.ok());
  EXPECT_GE(*ai, 302u);  // bulk inserts reserve ids in batches
  auto shadow_ai = engine_->ReadAutoIncrement("mig_hard", "_t_new");
  ASSERT_TRUE(shadow_ai.ok());
  EXPECT_GE(*shadow_ai, 302u);  // explicit ids carried the counter along
  ASSERT_TRUE(engine_->Complete(id).ok());
  EXPECT_FALSE(engine_->Progress(id).ok());  // no longer managed; the shadow stays
  EXPECT_EQ(conn_->Scalar("SELECT COUNT(*) FROM mig_hard._t_new"), std::optional<std::string>("301"));
}

}  // namespace
}  // namespace sealgate::migration
