#include "proxy/prepared_ddl.h"

#include <gtest/gtest.h>

namespace sealgate::proxy {
namespace {

TEST(PreparedDdlTest, StatementIdsFollowTheServersAnswersInOrder) {
  PreparedDdl p;
  p.OnBinaryPrepareSent(std::string("ALTER TABLE t ADD c INT"));
  p.OnBinaryPrepareSent(std::nullopt);  // a SELECT
  p.OnBinaryPrepareSent(std::string("ALTER TABLE u ADD c INT"));
  EXPECT_TRUE(p.binary_pending());
  p.OnBinaryPrepareDone(true, 7);
  p.OnBinaryPrepareDone(true, 8);
  p.OnBinaryPrepareDone(false, 0);  // refused by the server: nothing to run
  EXPECT_FALSE(p.binary_pending());
  ASSERT_NE(p.FindBinary(7), nullptr);
  EXPECT_EQ(*p.FindBinary(7), "ALTER TABLE t ADD c INT");
  EXPECT_EQ(p.FindBinary(8), nullptr);
  EXPECT_EQ(p.FindBinary(0xffffffffu), nullptr) << "-1 is the last one prepared: the SELECT";
  p.OnBinaryPrepareSent(std::string("ALTER TABLE v ADD c INT"));
  p.OnBinaryPrepareDone(true, 9);
  ASSERT_NE(p.FindBinary(0xffffffffu), nullptr);
  EXPECT_EQ(*p.FindBinary(0xffffffffu), "ALTER TABLE v ADD c INT");
  p.OnBinaryClose(7);
  EXPECT_EQ(p.FindBinary(7), nullptr);
  // An id the server hands out again for another statement is that one.
  p.OnBinaryPrepareSent(std::nullopt);
  p.OnBinaryPrepareDone(true, 9);
  EXPECT_EQ(p.FindBinary(9), nullptr);
  p.Clear();
  EXPECT_EQ(p.FindBinary(0xffffffffu), nullptr);
}

TEST(PreparedDdlTest, NamesFollowPrepareAndDeallocateInOrder) {
  PreparedDdl p;
  p.OnSqlPrepareSent("S", std::string("ALTER TABLE t ADD c INT"));
  EXPECT_TRUE(p.sql_pending());
  EXPECT_EQ(p.FindSql("s"), nullptr) << "known once the server answered";
  p.OnSqlDone(true);
  ASSERT_NE(p.FindSql("s"), nullptr) << "names compare case-insensitively";
  // DEALLOCATE, then PREPARE again, both in flight: applied in order.
  p.OnSqlDeallocateSent("s");
  p.OnSqlPrepareSent("s", std::string("ALTER TABLE u ADD c INT"));
  p.OnSqlDone(true);
  EXPECT_EQ(p.FindSql("s"), nullptr);
  p.OnSqlDone(true);
  ASSERT_NE(p.FindSql("s"), nullptr);
  EXPECT_EQ(*p.FindSql("s"), "ALTER TABLE u ADD c INT");
  // Prepared again as something else, or a failed PREPARE: forgotten.
  p.OnSqlPrepareSent("s", std::nullopt);
  p.OnSqlDone(true);
  EXPECT_EQ(p.FindSql("s"), nullptr);
  p.OnSqlPrepareSent("s", std::string("ALTER TABLE t ADD d INT"));
  p.OnSqlDone(false);
  EXPECT_EQ(p.FindSql("s"), nullptr);
  p.OnSqlPrepareSent("x", std::string("ALTER TABLE t ADD d INT"));
  p.OnSqlDone(true);
  EXPECT_TRUE(p.has_names());
  p.ForgetNames();
  EXPECT_EQ(p.FindSql("x"), nullptr);
}

}  // namespace
}  // namespace sealgate::proxy
