// Values applied from the binlog land exactly as the copy puts them:
// charset conversion from the old column's charset, ENUM/SET by label,
// TIMESTAMP under any session time zone, generated columns skipped, XA
// transactions; and a checksum mismatch names the key range.
#include <gtest/gtest.h>

#include "migration/engine.h"
#include "migration_test_util.h"

namespace sealgate::migration {
namespace {

using namespace sealgate::migration::testing;
using test::TestConn;

class MigrationValues : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_ = TestConn::Open(test::TestServer());
    conn_->MustExec("DROP DATABASE IF EXISTS mig_val");
    conn_->MustExec("DROP DATABASE IF EXISTS _sealgate_val");
    conn_->MustExec("CREATE DATABASE mig_val CHARACTER SET utf8mb4");
    auto e = Engine::Open(SmallChunkOptions("_sealgate_val", nullptr));
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(*e);
  }
  void TearDown() override {
    engine_.reset();
    conn_->Exec("DROP DATABASE IF EXISTS mig_val");
    conn_->Exec("DROP DATABASE IF EXISTS _sealgate_val");
  }
  uint64_t Staged(const std::string& alter) {
    MigrationRequest req;
    req.alter_sql = alter;
    req.default_schema = "mig_val";
    auto id = engine_->Start(req);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    if (!id.ok()) return 0;
    EXPECT_TRUE(WaitFor([&] { return engine_->Progress(*id)->state != MigrationState::kCopying; }, std::chrono::seconds(60)));
    EXPECT_EQ(engine_->Progress(*id)->state, MigrationState::kStaged) << engine_->Progress(*id)->last_error;
    return *id;
  }
  void Drain(uint64_t id) {
    auto s = engine_->WriteSentinel();
    ASSERT_TRUE(s.ok());
    Status st = engine_->WaitApplied(id, *s, std::chrono::milliseconds(30000));
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  std::unique_ptr<TestConn> conn_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(MigrationValues, CharsetEnumSetTimestampAsTheCopyWouldStoreThem) {
  conn_->MustExec("CREATE TABLE mig_val.t (id INT PRIMARY KEY, l VARCHAR(20) CHARACTER SET latin1, "
                  "e ENUM('a','b','c'), s SET('x','y','z'), ts TIMESTAMP(3) NULL DEFAULT NULL) ENGINE=InnoDB");
  conn_->MustExec("INSERT INTO mig_val.t VALUES (1, 'caf\xC3\xA9', 'b', 'x,z', '2021-06-01 10:00:00.123')");
  uint64_t id = Staged("ALTER TABLE t MODIFY l VARCHAR(20) CHARACTER SET utf8mb4, "
                       "MODIFY e ENUM('c','b','a','d'), MODIFY s SET('z','y','x','w')");
  auto w = TestConn::Open(test::TestServer(), "mig_val");
  w->MustExec("SET time_zone = '-07:00'");
  w->MustExec("INSERT INTO t VALUES (2, '\xC3\xBC\xC3\xA9\xC3\xB1', 'a', 'y,z', '2021-06-01 03:00:00.456')");
  w->MustExec("UPDATE t SET l = 'na\xC3\xAFve', e = 'c', s = '' WHERE id = 1");
  Drain(id);
  auto original = Dump(*conn_, "SELECT id, CONVERT(l USING utf8mb4), CAST(e AS CHAR), CONCAT(FIND_IN_SET('x', s) > 0, FIND_IN_SET('y', s) > 0, FIND_IN_SET('z', s) > 0), ts FROM mig_val.t ORDER BY id");
  auto shadow = Dump(*conn_, "SELECT id, l, CAST(e AS CHAR), CONCAT(FIND_IN_SET('x', s) > 0, FIND_IN_SET('y', s) > 0, FIND_IN_SET('z', s) > 0), ts FROM mig_val._t_new ORDER BY id");
  EXPECT_EQ(original, shadow);  // SET members by label (the shadow lists them in its own order)
  EXPECT_EQ(conn_->Scalar("SELECT HEX(l) FROM mig_val._t_new WHERE id = 2"), std::optional<std::string>("C3BCC3A9C3B1"));
}

TEST_F(MigrationValues, GeneratedColumnsAreLeftToTheServer) {
  conn_->MustExec("CREATE TABLE mig_val.g (id INT PRIMARY KEY, a INT, v INT AS (a * 2) VIRTUAL, "
                  "st INT AS (a + 1) STORED) ENGINE=InnoDB");
  conn_->MustExec("INSERT INTO mig_val.g (id, a) VALUES (1, 10), (2, 20)");
  uint64_t id = Staged("ALTER TABLE g ADD COLUMN z INT DEFAULT 0");
  conn_->MustExec("INSERT INTO mig_val.g (id, a) VALUES (3, 30)");
  conn_->MustExec("UPDATE mig_val.g SET a = 11 WHERE id = 1");
  Drain(id);
  EXPECT_EQ(Dump(*conn_, "SELECT id, a, v, st FROM mig_val.g ORDER BY id"),
            Dump(*conn_, "SELECT id, a, v, st FROM mig_val._g_new ORDER BY id"));
}

TEST_F(MigrationValues, XaTransactionsAreAppliedAtCommitOnly) {
  conn_->MustExec("CREATE TABLE mig_val.x (id INT PRIMARY KEY, v INT) ENGINE=InnoDB");
  conn_->MustExec("INSERT INTO mig_val.x VALUES (1, 1)");
  uint64_t id = Staged("ALTER TABLE x ADD COLUMN w INT");
  auto a = TestConn::Open(test::TestServer(), "mig_val");
  a->MustExec("XA START 'mig1'");
  a->MustExec("INSERT INTO x VALUES (2, 2)");
  a->MustExec("XA END 'mig1'");
  a->MustExec("XA PREPARE 'mig1'");
  auto b = TestConn::Open(test::TestServer(), "mig_val");
  b->MustExec("XA START 'mig2'");
  b->MustExec("INSERT INTO x VALUES (3, 3)");
  b->MustExec("XA END 'mig2'");
  b->MustExec("XA PREPARE 'mig2'");
  Drain(id);
  EXPECT_EQ(conn_->Scalar("SELECT COUNT(*) FROM mig_val._x_new"), std::optional<std::string>("1"));
  a->MustExec("XA COMMIT 'mig1'");
  b->MustExec("XA ROLLBACK 'mig2'");
  Drain(id);
  EXPECT_EQ(Dump(*conn_, "SELECT id, v FROM mig_val.x ORDER BY id"),
            Dump(*conn_, "SELECT id, v FROM mig_val._x_new ORDER BY id"));
}

TEST_F(MigrationValues, ChecksumNamesTheDifferingKeyRange) {
  conn_->MustExec("CREATE TABLE mig_val.c (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB");
  conn_->MustExec("INSERT INTO mig_val.c SELECT seq, CONCAT('v', seq) FROM mig_val.seq_1_to_5000");
  uint64_t id = Staged("ALTER TABLE c ADD COLUMN w INT");
  auto ok = engine_->Checksum(id);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE(ok->match);
  EXPECT_EQ(ok->rows, 5000u);
  conn_->MustExec("UPDATE mig_val._c_new SET v = 'tampered' WHERE id = 4321");  // behind the applier's back
  auto bad = engine_->Checksum(id);
  ASSERT_TRUE(bad.ok()) << bad.status().ToString();
  EXPECT_FALSE(bad->match);
  EXPECT_NE(bad->mismatch.find("4000"), std::string::npos) << bad->mismatch;  // range (4000, 5000]
  EXPECT_NE(bad->mismatch.find("different values"), std::string::npos) << bad->mismatch;
}

// The checksum compares the original's values as the copy stores them in the
// shadow: a column whose type the ALTER changes is not a difference; a row
// changed behind the applier's back still is.
struct TypeChange {
  const char* name;
  const char* column;  // definition of `v` in the original
  const char* values;  // rows (id, v); id 1 is never NULL
  const char* alter;
  const char* tamper;  // SET clause that changes id 1 in the shadow
};

TEST_F(MigrationValues, ChecksumFollowsColumnTypeChangesAndStillSeesRealDifferences) {
  const TypeChange cases[] = {
      {"int_bigint", "v INT NULL", "(1, -5), (2, 0), (3, 2147483647), (4, NULL)", "MODIFY v BIGINT NULL", "v = v + 1"},
      {"varchar_wider", "v VARCHAR(10) NULL", "(1, 'abc'), (2, ''), (3, 'sp  '), (4, '\xC3\xA9\xF0\x9F\x98\x80'), (5, NULL)",
       "MODIFY v VARCHAR(20) NULL", "v = CONCAT(v, 'x')"},
      {"latin1_utf8mb4", "v VARCHAR(10) CHARACTER SET latin1 NULL", "(1, 'caf\xC3\xA9'), (2, '\xC3\x84'), (3, NULL)",
       "MODIFY v VARCHAR(10) CHARACTER SET utf8mb4 NULL", "v = 'cafe'"},
      {"utf8mb4_latin1", "v VARCHAR(10) CHARACTER SET utf8mb4 NULL", "(1, 'caf\xC3\xA9'), (2, 'plain')",
       "MODIFY v VARCHAR(10) CHARACTER SET latin1 NULL", "v = 'cafe'"},
      {"collation", "v VARCHAR(10) COLLATE utf8mb4_general_ci NULL", "(1, 'Abc'), (2, 'abc')",
       "MODIFY v VARCHAR(10) COLLATE utf8mb4_bin NULL", "v = 'ABC'"},
      {"decimal_scale", "v DECIMAL(8,2) NULL", "(1, 1.50), (2, -0.01), (3, 999999.99)", "MODIFY v DECIMAL(12,4) NULL",
       "v = v + 0.0001"},
      {"int_decimal", "v INT NULL", "(1, 7), (2, -3)", "MODIFY v DECIMAL(12,2) NULL", "v = v + 0.01"},
      {"decimal_int", "v DECIMAL(8,2) NULL", "(1, 7.49), (2, -3.5), (3, 2.5)", "MODIFY v INT NULL", "v = v + 1"},
      {"datetime_fsp", "v DATETIME NULL", "(1, '2024-02-29 12:34:56'), (2, '1000-01-01 00:00:00')",
       "MODIFY v DATETIME(6) NULL", "v = v + INTERVAL 1 MICROSECOND"},
      {"time_fsp", "v TIME NULL", "(1, '-838:59:59'), (2, '12:00:01')", "MODIFY v TIME(3) NULL",
       "v = ADDTIME(v, '00:00:00.001')"},
      {"timestamp_datetime", "v TIMESTAMP NULL", "(1, '2024-03-31 01:30:00'), (2, NULL)", "MODIFY v DATETIME(2) NULL",
       "v = v + INTERVAL 1 SECOND"},
      {"float_double", "v FLOAT NULL", "(1, 1.1), (2, -3.25e10), (3, 0)", "MODIFY v DOUBLE NULL", "v = v * 2"},
      {"int_varchar", "v INT NULL", "(1, 42), (2, -7)", "MODIFY v VARCHAR(20) NULL", "v = CONCAT(v, '0')"},
      {"varchar_char", "v VARCHAR(10) NULL", "(1, 'a  '), (2, 'b'), (3, '')", "MODIFY v CHAR(10) NULL",
       "v = CONCAT(v, 'x')"},
      {"varbinary_binary", "v VARBINARY(6) NULL", "(1, X'0102'), (2, X'')", "MODIFY v BINARY(6) NULL",
       "v = X'FFFFFFFFFFFF'"},
      {"latin1_varbinary", "v VARCHAR(10) CHARACTER SET latin1 NULL", "(1, 'caf\xC3\xA9'), (2, 'x')",
       "MODIFY v VARBINARY(20) NULL", "v = X'636166C3'"},
      {"enum_reordered", "v ENUM('a','b','c') NULL", "(1, 'a'), (2, 'c')", "MODIFY v ENUM('c','b','a') NULL",
       "v = 'b'"},
  };
  for (const TypeChange& c : cases) {
    SCOPED_TRACE(c.name);
    std::string table = std::string("mig_val.") + c.name;
    conn_->MustExec("CREATE TABLE " + table + " (id INT PRIMARY KEY, " + c.column + ") ENGINE=InnoDB");
    conn_->MustExec("INSERT INTO " + table + " VALUES " + c.values);
    uint64_t id = Staged(std::string("ALTER TABLE ") + c.name + " " + c.alter);
    ASSERT_NE(id, 0u);
    auto same = engine_->Checksum(id);
    ASSERT_TRUE(same.ok()) << same.status().ToString();
    EXPECT_TRUE(same->match) << same->mismatch;
    conn_->MustExec(std::string("UPDATE mig_val._") + c.name + "_new SET " + c.tamper + " WHERE id = 1");
    auto differs = engine_->Checksum(id);
    ASSERT_TRUE(differs.ok()) << differs.status().ToString();
    EXPECT_FALSE(differs->match);
    EXPECT_TRUE(engine_->Cancel(id).ok());
  }
}

TEST_F(MigrationValues, ChecksumSeesNullsEmptyStringsAndValuesShiftedAcrossColumns) {
  // Rows whose checksum input would read the same if NULLs were skipped, or
  // if a value holding the separator byte could lend it to its neighbour.
  conn_->MustExec("CREATE TABLE mig_val.shift (id INT PRIMARY KEY, a VARCHAR(10) NULL, b VARCHAR(10) NULL, "
                  "n INT NULL) ENGINE=InnoDB");
  conn_->MustExec("INSERT INTO mig_val.shift VALUES (1, 'x', NULL, 1), (2, '', 'y', NULL), (3, CONCAT('p', 0x1f, 'q'), "
                  "'r', 3), (4, 'N', 'z', 4)");
  uint64_t id = Staged("ALTER TABLE shift ADD COLUMN extra INT NOT NULL DEFAULT 0");
  ASSERT_NE(id, 0u);
  auto same = engine_->Checksum(id);
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_TRUE(same->match) << same->mismatch;
  struct Tamper {
    const char* name;
    const char* set;
    const char* restore;
  };
  const Tamper tampers[] = {
      {"NULL moved to the other column", "a = NULL, b = 'x' WHERE id = 1", "a = 'x', b = NULL WHERE id = 1"},
      {"empty string as NULL", "a = NULL WHERE id = 2", "a = '' WHERE id = 2"},
      {"NULL number as zero", "n = 0 WHERE id = 2", "n = NULL WHERE id = 2"},
      {"separator lent to the next column", "a = 'p', b = CONCAT('q', 0x1f, 'r') WHERE id = 3",
       "a = CONCAT('p', 0x1f, 'q'), b = 'r' WHERE id = 3"},
      {"'N' as NULL", "a = NULL WHERE id = 4", "a = 'N' WHERE id = 4"},
  };
  for (const Tamper& t : tampers) {
    SCOPED_TRACE(t.name);
    conn_->MustExec(std::string("UPDATE mig_val._shift_new SET ") + t.set);
    auto differs = engine_->Checksum(id);
    ASSERT_TRUE(differs.ok()) << differs.status().ToString();
    EXPECT_FALSE(differs->match);
    conn_->MustExec(std::string("UPDATE mig_val._shift_new SET ") + t.restore);
    auto again = engine_->Checksum(id);
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_TRUE(again->match) << again->mismatch;
  }
  EXPECT_TRUE(engine_->Cancel(id).ok());
}

}  // namespace
}  // namespace sealgate::migration
