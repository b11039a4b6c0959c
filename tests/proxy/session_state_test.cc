#include "proxy/session_state.h"

#include <gtest/gtest.h>

namespace sealgate::proxy {
namespace {

TEST(SessionStateTest, LockTablesHeldUntilUnlock) {
  SessionState s;
  s.OnQueryDone(s.OnQuerySent("LOCK TABLES t WRITE"), true);
  EXPECT_TRUE(s.holds_table_locks());
  s.OnQueryDone(s.OnQuerySent("SELECT * FROM t"), true);
  EXPECT_TRUE(s.holds_table_locks());
  s.OnQueryDone(s.OnQuerySent("unlock tables"), true);
  EXPECT_FALSE(s.holds_table_locks());
}

TEST(SessionStateTest, FailedLockHoldsNothing) {
  SessionState s;
  s.OnQueryDone(s.OnQuerySent("LOCK TABLES missing READ"), false);
  EXPECT_FALSE(s.holds_table_locks());
}

TEST(SessionStateTest, StartTransactionReleasesTableLocks) {
  SessionState s;
  s.OnQueryDone(s.OnQuerySent("/* app */ LOCK TABLE a READ, b WRITE"), true);
  s.OnQueryDone(s.OnQuerySent("START TRANSACTION"), true);
  EXPECT_FALSE(s.holds_table_locks());
}

TEST(SessionStateTest, FlushWithReadLockCountsAsLocks) {
  SessionState s;
  s.OnQueryDone(s.OnQuerySent("FLUSH TABLES WITH READ LOCK"), true);
  EXPECT_TRUE(s.holds_session_locks());
}

TEST(SessionStateTest, MultiStatementLastWins) {
  SessionState s;
  s.OnQueryDone(s.OnQuerySent("LOCK TABLES t WRITE; INSERT INTO t VALUES (1); UNLOCK TABLES"), true);
  EXPECT_FALSE(s.holds_table_locks());
  s.OnQueryDone(s.OnQuerySent("UNLOCK TABLES; LOCK TABLES t READ"), true);
  EXPECT_TRUE(s.holds_table_locks());
}

TEST(SessionStateTest, HandlersAndUserLocks) {
  SessionState s;
  s.OnQueryDone(s.OnQuerySent("HANDLER t OPEN"), true);
  EXPECT_TRUE(s.holds_handlers());
  s.OnQueryDone(s.OnQuerySent("HANDLER t CLOSE"), true);
  EXPECT_FALSE(s.holds_handlers());
  s.OnQueryDone(s.OnQuerySent("SELECT GET_LOCK('job', 10)"), true);
  EXPECT_TRUE(s.holds_user_locks());
  s.OnQueryDone(s.OnQuerySent("SELECT RELEASE_LOCK('job')"), true);
  EXPECT_FALSE(s.holds_user_locks());
}

TEST(SessionStateTest, TemporaryTablesOfTheSession) {
  SessionState s;
  s.OnQueryDone(s.OnQuerySent("CREATE TEMPORARY TABLE tmp (id INT)", "app"), true);
  s.OnQueryDone(s.OnQuerySent("USE other; CREATE TEMPORARY TABLE IF NOT EXISTS `x y` LIKE app.t", "app"), true);
  // One that fails makes no table.
  s.OnQueryDone(s.OnQuerySent("CREATE TEMPORARY TABLE failed (id INT, id INT)", "app"), false);
  EXPECT_FALSE(s.MayHaveTemporaryTable("app", "failed"));
  EXPECT_TRUE(s.MayHaveTemporaryTable("app", "tmp"));
  EXPECT_TRUE(s.MayHaveTemporaryTable("other", "x y"));
  EXPECT_FALSE(s.MayHaveTemporaryTable("other", "tmp"));
  s.OnQuerySent("CREATE TABLE base (id INT)", "app");
  EXPECT_FALSE(s.MayHaveTemporaryTable("app", "base"));
  s.OnQuerySent("DROP TABLE IF EXISTS app.tmp, nothing", "other");
  EXPECT_FALSE(s.MayHaveTemporaryTable("app", "tmp"));
  EXPECT_TRUE(s.MayHaveTemporaryTable("other", "x y"));
  s.OnSessionReset();
  EXPECT_FALSE(s.MayHaveTemporaryTable("other", "x y"));
}

TEST(SessionStateTest, PlainDmlHasNoEffects) {
  SessionState s;
  EXPECT_EQ(s.OnQuerySent("SELECT c FROM sbtest1 WHERE id=42"), 0u);
  EXPECT_EQ(s.OnQuerySent("UPDATE t SET note='lock tables' WHERE id=1"), 0u);
}

TEST(SessionStateTest, ResetForgetsEverything) {
  SessionState s;
  s.OnQueryDone(s.OnQuerySent("LOCK TABLES t WRITE"), true);
  s.OnQueryDone(s.OnQuerySent("SELECT GET_LOCK('x', 1)"), true);
  s.OnSessionReset();
  EXPECT_FALSE(s.holds_session_locks());
}

}  // namespace
}  // namespace sealgate::proxy
