// Kill-and-resume: the engine object is destroyed mid-copy (and while
// staged under writers) and a new one opened on the same metadata schema
// resumes from the checkpoint without re-copying what was copied.
#include <gtest/gtest.h>

#include "migration/engine.h"
#include "migration_test_util.h"

namespace sealgate::migration {
namespace {

using namespace sealgate::migration::testing;
using test::TestConn;

// Holds the copy while `closed` is set.
class GateThrottler : public Throttler {
 public:
  std::string Reason() override { return closed ? "gate closed" : ""; }
  std::atomic<bool> closed{false};
};

class MigrationResume : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_ = TestConn::Open(test::TestServer());
    conn_->MustExec("DROP DATABASE IF EXISTS mig_res");
    conn_->MustExec("DROP DATABASE IF EXISTS _sealgate_res");
    conn_->MustExec("CREATE DATABASE mig_res CHARACTER SET utf8mb4");
    conn_->MustExec("CREATE TABLE mig_res.t (id INT NOT NULL PRIMARY KEY, a VARCHAR(100) NULL, b INT NULL, "
                    "c MEDIUMTEXT NULL, d DATETIME(6) NULL, e ENUM('x','y','z') NULL) ENGINE=InnoDB");
    conn_->MustExec("INSERT INTO mig_res.t SELECT seq, CONCAT('r', seq), seq, NULL, NULL, 'y' "
                    "FROM mig_res.seq_1_to_20000");
  }
  void TearDown() override {
    conn_->Exec("DROP DATABASE IF EXISTS mig_res");
    conn_->Exec("DROP DATABASE IF EXISTS _sealgate_res");
  }
  std::unique_ptr<Engine> Open(std::shared_ptr<Throttler> throttler = nullptr) {
    EngineOptions o = SmallChunkOptions("_sealgate_res", &logger_);
    o.throttler = std::move(throttler);
    auto e = Engine::Open(std::move(o));
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? std::move(*e) : nullptr;
  }
  void ExpectShadowEqualsOriginal() {
    auto original = Dump(*conn_, "SELECT id, a, b, c, d, e FROM mig_res.t ORDER BY id");
    auto shadow = Dump(*conn_, "SELECT id, a, b, c, d, e FROM mig_res._t_new ORDER BY id");
    ASSERT_EQ(original.size(), shadow.size());
    for (size_t i = 0; i < original.size(); ++i) ASSERT_EQ(original[i], shadow[i]) << "row " << i;
  }
  // Starts ALTER TABLE t <alter>; 0 (and a failure recorded) when refused.
  uint64_t StartAlter(Engine& e, const std::string& alter) {
    MigrationRequest req;
    req.alter_sql = "ALTER TABLE t " + alter;
    req.default_schema = "mig_res";
    auto id = e.Start(req);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }
  // Starts it slowed (each chunk rests 10x its time: the gate, asked about
  // every 100 ms, closes well before the copy ends) and closes the gate once
  // 3,000 rows are copied.
  uint64_t StartAndCloseMidCopy(Engine& e, GateThrottler& gate, const std::string& alter) {
    uint64_t id = StartAlter(e, alter);
    EXPECT_TRUE(e.SetCopyThrottle(id, 10).ok());
    EXPECT_TRUE(WaitFor([&] { return e.Progress(id)->rows_copied >= 3000; }, std::chrono::seconds(60)));
    gate.closed = true;
    return id;
  }
  void WaitStaged(Engine& e, uint64_t id) {
    ASSERT_TRUE(WaitFor([&] { return e.Progress(id)->state != MigrationState::kCopying; }, std::chrono::seconds(120)));
    ASSERT_EQ(e.Progress(id)->state, MigrationState::kStaged) << e.Progress(id)->last_error;
  }
  void Drain(Engine& e, uint64_t id) {
    auto s = e.WriteSentinel();
    ASSERT_TRUE(s.ok());
    Status st = e.WaitApplied(id, *s, std::chrono::milliseconds(60000));
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  Logger logger_{LogLevel::kWarn};
  std::unique_ptr<TestConn> conn_;
};

TEST_F(MigrationResume, MidCopyWithoutRecopying) {
  auto gate = std::make_shared<GateThrottler>();
  auto engine = Open(gate);
  ASSERT_TRUE(engine);
  uint64_t id = StartAndCloseMidCopy(*engine, *gate, "ADD COLUMN f INT");
  ASSERT_FALSE(HasFailure());
  uint64_t before = 0;
  ASSERT_TRUE(WaitFor([&] {
    uint64_t now = engine->Progress(id)->rows_copied;
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    before = engine->Progress(id)->rows_copied;
    return now == before;
  }, std::chrono::seconds(30)));
  ASSERT_EQ(engine->Progress(id)->state, MigrationState::kCopying);
  ASSERT_LT(before, 15000u);
  auto mid = *engine->Progress(id);
  EXPECT_GT(mid.percent, 0.0);
  EXPECT_LT(mid.percent, 100.0);
  EXPECT_TRUE(mid.eta.has_value());
  EXPECT_FALSE(mid.ready);
  EXPECT_NEAR(double(mid.rows_estimated), 20000.0, 4000.0);  // an InnoDB estimate
  engine.reset();  // the "kill": threads stop, nothing is cleaned up
  // A probe in the copied range of the shadow: a re-copy would overwrite it.
  conn_->MustExec("UPDATE mig_res._t_new SET f = 777 WHERE id = 150");

  // Writes while no engine runs, in copied and uncopied ranges, one moving a
  // row from the copied range into the uncopied one and one back.
  conn_->MustExec("DELETE FROM mig_res.t WHERE id <= 100");
  conn_->MustExec("UPDATE mig_res.t SET a = 'changed', c = REPEAT('\xF0\x9F\x98\x80', 100) WHERE id BETWEEN 200 AND 300");
  conn_->MustExec("UPDATE mig_res.t SET id = 40000 WHERE id = 400");
  conn_->MustExec("UPDATE mig_res.t SET id = 400 WHERE id = 19000");
  conn_->MustExec("DELETE FROM mig_res.t WHERE id BETWEEN 15000 AND 15099");
  conn_->MustExec("INSERT INTO mig_res.t (id, a) SELECT seq, 'late' FROM mig_res.seq_30001_to_30100");

  engine = Open();
  ASSERT_TRUE(engine);
  auto all = engine->ListProgress();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].id, id);
  EXPECT_GE(all[0].rows_copied, before);
  ASSERT_TRUE(WaitFor([&] { return engine->Progress(id)->state != MigrationState::kCopying; }, std::chrono::seconds(60)));
  ASSERT_EQ(engine->Progress(id)->state, MigrationState::kStaged) << engine->Progress(id)->last_error;
  Drain(*engine, id);
  ExpectShadowEqualsOriginal();
  // The copied range was not copied again.
  EXPECT_EQ(conn_->Scalar("SELECT f FROM mig_res._t_new WHERE id = 150"), std::optional<std::string>("777"));
  EXPECT_LE(engine->Progress(id)->rows_copied, 20000u + 100u + 1u);
}

// The shadow's plain secondary indexes are left out while the copy runs and
// built before it is staged; a restart in between keeps that going.
TEST_F(MigrationResume, SecondaryIndexesAreBuiltAfterTheCopyAcrossARestart) {
  conn_->MustExec("ALTER TABLE mig_res.t ADD INDEX by_d (d), ADD INDEX by_c (c(20), b), ADD FULLTEXT ft (a)");
  const std::string alter = "ADD INDEX by_a (a), ADD UNIQUE KEY uq_b (b), DROP INDEX by_d";
  auto gate = std::make_shared<GateThrottler>();
  auto engine = Open(gate);
  ASSERT_TRUE(engine);
  uint64_t id = StartAndCloseMidCopy(*engine, *gate, alter);
  ASSERT_FALSE(HasFailure());
  const std::string indexes = "SELECT INDEX_NAME, NON_UNIQUE, INDEX_TYPE, SEQ_IN_INDEX, COLUMN_NAME, SUB_PART "
                              "FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = 'mig_res' AND TABLE_NAME = ";
  // Mid-copy: unique and FULLTEXT indexes are there, the plain ones are not.
  EXPECT_EQ(Dump(*conn_, "SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = "
                         "'mig_res' AND TABLE_NAME = '_t_new' ORDER BY INDEX_NAME"),
            (std::vector<std::string>{"ft\x1f", "PRIMARY\x1f", "uq_b\x1f"}));
  engine.reset();

  engine = Open();
  ASSERT_TRUE(engine);
  ASSERT_TRUE(WaitFor([&] { return engine->Progress(id)->state != MigrationState::kCopying; }, std::chrono::seconds(60)));
  ASSERT_EQ(engine->Progress(id)->state, MigrationState::kStaged) << engine->Progress(id)->last_error;
  Drain(*engine, id);
  ExpectShadowEqualsOriginal();
  // The same indexes as the ALTER gives the table itself.
  conn_->MustExec("CREATE TABLE mig_res.ref LIKE mig_res.t");
  conn_->MustExec("ALTER TABLE mig_res.ref " + alter);
  std::string order = " ORDER BY INDEX_NAME, SEQ_IN_INDEX";
  EXPECT_EQ(Dump(*conn_, indexes + "'_t_new'" + order), Dump(*conn_, indexes + "'ref'" + order));
}

TEST_F(MigrationResume, WhileStagedUnderWriters) {
  auto engine = Open();
  ASSERT_TRUE(engine);
  RandomWriters writers("mig_res", 2, 25000);
  uint64_t id = StartAlter(*engine, "MODIFY b BIGINT NULL");
  WaitStaged(*engine, id);
  ASSERT_FALSE(HasFailure());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  engine.reset();
  std::this_thread::sleep_for(std::chrono::seconds(1));  // writers keep writing meanwhile
  engine = Open();
  ASSERT_TRUE(engine);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  writers.Stop();
  Drain(*engine, id);
  EXPECT_EQ(engine->Progress(id)->state, MigrationState::kStaged) << engine->Progress(id)->last_error;
  ExpectShadowEqualsOriginal();
}

// The checksum's consistent points (per chunk, a snapshot of the original at
// a binlog position and the shadow held at exactly that position) hold under
// writers: no false difference, and a real one is still found and named.
TEST_F(MigrationResume, ChecksumUnderWritersMatchesAndStillFindsADifference) {
  auto engine = Open();
  ASSERT_TRUE(engine);
  RandomWriters writers("mig_res", 2, 25000);
  uint64_t id = StartAlter(*engine, "MODIFY b BIGINT NULL");
  WaitStaged(*engine, id);
  ASSERT_FALSE(HasFailure());
  for (int i = 0; i < 3; ++i) {
    uint64_t ops = writers.ops();
    auto sum = engine->Checksum(id);
    ASSERT_TRUE(sum.ok()) << sum.status().ToString();
    EXPECT_TRUE(sum->match) << sum->mismatch;
    EXPECT_GT(sum->rows, 10000u);
    EXPECT_GT(writers.ops(), ops);  // the writers wrote while it ran
  }
  conn_->MustExec("INSERT INTO mig_res._t_new (id, a) VALUES (40000, 'only in the shadow')");  // writers stay below 25000
  auto bad = engine->Checksum(id);
  ASSERT_TRUE(bad.ok()) << bad.status().ToString();
  EXPECT_FALSE(bad->match);
  EXPECT_NE(bad->mismatch.find("end]"), std::string::npos) << bad->mismatch;  // the last range
  writers.Stop();
  EXPECT_EQ(engine->Progress(id)->state, MigrationState::kStaged) << engine->Progress(id)->last_error;
}

TEST_F(MigrationResume, PurgedBinlogPositionRestartsTheCopy) {
  auto engine = Open();
  ASSERT_TRUE(engine);
  uint64_t id = StartAlter(*engine, "ADD COLUMN f INT");
  WaitStaged(*engine, id);
  ASSERT_FALSE(HasFailure());
  engine.reset();
  conn_->MustExec("UPDATE mig_res.t SET a = 'while down' WHERE id <= 500");
  conn_->MustExec("DELETE FROM mig_res.t WHERE id BETWEEN 600 AND 700");
  conn_->MustExec("FLUSH BINARY LOGS");
  auto file = conn_->Query("SHOW MASTER STATUS");
  ASSERT_FALSE(file.empty());
  // A dump thread of the old engine may still hold the file for a moment.
  ASSERT_TRUE(WaitFor([&] {
    conn_->MustExec("PURGE BINARY LOGS TO '" + file[0][0].value_or("") + "'");
    return conn_->Query("SHOW BINARY LOGS").size() == 1;
  }, std::chrono::seconds(20)));

  engine = Open();
  ASSERT_TRUE(engine);
  ASSERT_TRUE(WaitFor([&] { return engine->Progress(id)->last_error.find("purged") != std::string::npos; },
                      std::chrono::seconds(30)))
      << engine->Progress(id)->last_error;
  ASSERT_TRUE(WaitFor([&] { return engine->Progress(id)->state == MigrationState::kStaged; }, std::chrono::seconds(60)))
      << engine->Progress(id)->last_error;
  Drain(*engine, id);
  ExpectShadowEqualsOriginal();
}

// The server restarts under a staged migration: the stream reconnects, the
// writer (whose connection died) is replaced from its checkpoint, and the
// shadow catches up with writes made before and after the restart.
TEST(MigrationServerRestart, StagedMigrationResumesAfterTheServerComesBack) {
  std::string dir = test::ScratchDir() + "/mig-restart";
  int port = test::FreePort();
  std::string script = test::SourceDir() + "/scripts/mariadb.sh";
  std::string start = script + " start " + dir + " " + std::to_string(port) + " 9 >/dev/null";
  std::string stop = script + " stop " + dir + " >/dev/null";
  ASSERT_EQ(system(start.c_str()), 0);
  struct StopAtExit {  // a failed assertion must not leave the server running
    std::string cmd;
    ~StopAtExit() { (void)system(cmd.c_str()); }
  } stop_at_exit{stop};
  test::ServerAddress addr{"127.0.0.1", port, "sealgate", "sealgate"};
  auto conn = TestConn::Open(addr);
  conn->MustExec("DROP DATABASE IF EXISTS r");
  conn->MustExec("CREATE DATABASE r CHARACTER SET utf8mb4");
  conn->MustExec("CREATE TABLE r.t (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB");
  conn->MustExec("INSERT INTO r.t SELECT seq, 'v' FROM r.seq_1_to_2000");
  Logger logger(LogLevel::kWarn);
  EngineOptions o = SmallChunkOptions("_sealgate", &logger);
  o.server = Endpoint(addr);
  auto engine = Engine::Open(o);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  MigrationRequest req;
  req.alter_sql = "ALTER TABLE r.t ADD COLUMN w INT";
  auto id = (*engine)->Start(req);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  ASSERT_TRUE(WaitFor([&] { return (*engine)->Progress(*id)->state == MigrationState::kStaged; }, std::chrono::seconds(60)));
  conn->MustExec("UPDATE r.t SET v = 'before' WHERE id <= 10");
  std::optional<std::string> epoch = conn->Scalar("SELECT epoch FROM _sealgate.lease");
  conn.reset();
  ASSERT_EQ(system(stop.c_str()), 0);
  ASSERT_EQ(system(start.c_str()), 0);
  conn = TestConn::Open(addr);
  conn->MustExec("UPDATE r.t SET v = 'after' WHERE id BETWEEN 5 AND 20");
  conn->MustExec("DELETE FROM r.t WHERE id > 1990");
  // Back to staged and caught up: a sentinel written now gets applied.
  ASSERT_TRUE(WaitFor([&] {
    auto s = (*engine)->WriteSentinel();
    return s.ok() && (*engine)->WaitApplied(*id, *s, std::chrono::milliseconds(500)).ok();
  }, std::chrono::seconds(60))) << (*engine)->Progress(*id)->last_error;
  EXPECT_EQ((*engine)->Progress(*id)->state, MigrationState::kStaged);
  EXPECT_EQ(Dump(*conn, "SELECT id, v FROM r.t ORDER BY id"), Dump(*conn, "SELECT id, v FROM r._t_new ORDER BY id"));
  // The lease connection died with the server and was taken back, same epoch.
  EXPECT_EQ(conn->Scalar("SELECT epoch FROM _sealgate.lease"), epoch);
  EXPECT_FALSE((*engine)->lease_lost());
  engine->reset();
  conn.reset();
  EXPECT_EQ(system(stop.c_str()), 0);
}

}  // namespace
}  // namespace sealgate::migration
