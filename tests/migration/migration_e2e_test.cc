// Staged migrations against the real MariaDB: random concurrent writers
// during the copy and while staged, for several ALTER kinds; afterwards the
// shadow equals the projection of the original, row for row.
#include <gtest/gtest.h>

#include "migration/engine.h"
#include "migration_test_util.h"

namespace sealgate::migration {
namespace {

using namespace sealgate::migration::testing;
using test::TestConn;

struct AlterCase {
  std::string name;
  std::string alter;          // applied to `t`
  std::string original_cols;  // SELECT list on the original
  std::string shadow_cols;    // the same values in the shadow
};

class MigrationStagedAlter : public ::testing::TestWithParam<AlterCase> {
 protected:
  void SetUp() override {
    db_ = "mig_" + GetParam().name;
    meta_ = "_sealgate_t_" + GetParam().name;
    conn_ = TestConn::Open(test::TestServer());
    conn_->MustExec("DROP DATABASE IF EXISTS " + db_);
    conn_->MustExec("DROP DATABASE IF EXISTS " + meta_);
    conn_->MustExec("CREATE DATABASE " + db_ + " CHARACTER SET utf8mb4");
    conn_->MustExec("CREATE TABLE " + db_ + ".t (id INT NOT NULL PRIMARY KEY, a VARCHAR(100) NULL, b INT NULL, "
                    "c MEDIUMTEXT NULL, d DATETIME(6) NULL, e ENUM('x','y','z') NULL) ENGINE=InnoDB");
    conn_->MustExec("INSERT INTO " + db_ + ".t SELECT seq, CONCAT('r', seq, ' \xF0\x9F\x98\x80'), seq % 97, "
                    "IF(seq % 7 = 0, NULL, REPEAT('c', seq % 300)), '2020-01-01 00:00:00.5', "
                    "ELT(1 + seq % 3, 'x', 'y', 'z') FROM " + db_ + ".seq_1_to_6000 WHERE seq % 3 != 0");
  }
  void TearDown() override {
    engine_.reset();
    conn_->Exec("DROP DATABASE IF EXISTS " + db_);
    conn_->Exec("DROP DATABASE IF EXISTS " + meta_);
  }

  Logger logger_{LogLevel::kWarn};
  std::string db_, meta_;
  std::unique_ptr<TestConn> conn_;
  std::unique_ptr<Engine> engine_;
};

TEST_P(MigrationStagedAlter, ShadowEqualsProjectionAfterConcurrentWrites) {
  const AlterCase& c = GetParam();
  auto engine = Engine::Open(SmallChunkOptions(meta_, &logger_));
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  engine_ = std::move(*engine);

  RandomWriters writers(db_, 3, 9000);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  MigrationRequest req;
  req.alter_sql = "ALTER TABLE t " + c.alter;
  req.default_schema = db_;
  auto id = engine_->Start(req);
  ASSERT_TRUE(id.ok()) << id.status().ToString();

  // Writes during the copy...
  ASSERT_TRUE(WaitFor([&] { return engine_->Progress(*id)->state != MigrationState::kCopying; },
                      std::chrono::seconds(120)))
      << "copy did not finish: copied " << engine_->Progress(*id)->rows_copied << " applied "
      << engine_->Progress(*id)->rows_applied << " error " << engine_->Progress(*id)->last_error << " lag "
      << engine_->Progress(*id)->lag.count();
  auto p = engine_->Progress(*id);
  ASSERT_EQ(p->state, MigrationState::kStaged) << p->last_error;
  // ... and while staged.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  writers.Stop();
  EXPECT_GT(writers.ops(), 200u);

  auto sentinel = engine_->WriteSentinel();
  ASSERT_TRUE(sentinel.ok());
  Status waited = engine_->WaitApplied(*id, *sentinel, std::chrono::milliseconds(60000));
  ASSERT_TRUE(waited.ok()) << waited.ToString();
  p = engine_->Progress(*id);
  EXPECT_TRUE(p->ready) << "lag " << p->lag.count();
  EXPECT_GT(p->rows_applied, 0u);

  auto names = engine_->Names(*id);
  ASSERT_TRUE(names.ok());
  auto original = Dump(*conn_, "SELECT " + c.original_cols + " FROM " + db_ + ".t ORDER BY id");
  auto shadow = Dump(*conn_, "SELECT " + c.shadow_cols + " FROM " + db_ + ".`" + names->shadow + "` ORDER BY id");
  ASSERT_EQ(original.size(), shadow.size());
  for (size_t i = 0; i < original.size(); ++i) ASSERT_EQ(original[i], shadow[i]) << "row " << i;
  EXPECT_GT(original.size(), 1000u);

  auto sum = engine_->Checksum(*id);
  ASSERT_TRUE(sum.ok()) << sum.status().ToString();
  EXPECT_TRUE(sum->match) << sum->mismatch;

  ASSERT_TRUE(engine_->Cancel(*id).ok());
  EXPECT_EQ(conn_->Scalar("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '" + db_ +
                          "' AND TABLE_NAME = '" + names->shadow + "'"),
            std::optional<std::string>("0"));
  EXPECT_EQ(conn_->Scalar("SELECT COUNT(*) FROM " + db_ + ".t"), std::optional<std::string>(std::to_string(original.size())));
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, MigrationStagedAlter,
    ::testing::Values(
        AlterCase{"add_column", "ADD COLUMN f INT NOT NULL DEFAULT 7, ALGORITHM=COPY", "id, a, b, c, d, e, 7", "id, a, b, c, d, e, f"},
        AlterCase{"drop_column", "DROP COLUMN c", "id, a, b, d, e", "id, a, b, d, e"},
        AlterCase{"rename_column", "RENAME COLUMN a TO a2, CHANGE b b2 INT NULL", "id, a, b, c, d, e", "id, a2, b2, c, d, e"},
        AlterCase{"add_index", "ADD INDEX ab (a, b)", "id, a, b, c, d, e", "id, a, b, c, d, e"},
        AlterCase{"change_type", "MODIFY b BIGINT NULL, MODIFY a VARCHAR(200) NULL, MODIFY e ENUM('z','y','x','w') NULL",
                  "id, a, b, c, d, e", "id, a, b, c, d, e"}),
    [](const ::testing::TestParamInfo<AlterCase>& info) { return info.param.name; });

}  // namespace
}  // namespace sealgate::migration
