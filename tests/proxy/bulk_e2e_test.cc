// End-to-end: MariaDB's bulk execution (COM_STMT_BULK_EXECUTE) through
// sealgate, driven by Connector/C's array binding (STMT_ATTR_ARRAY_SIZE).
// The proxy forwards the command and follows its response (OK, ERR, or the
// rows of INSERT ... RETURNING); the session stays in step afterwards.
#include <gtest/gtest.h>
#include <mysql.h>

#include <string>
#include <vector>

#include "proxy_fixture.h"

namespace sealgate::test {
namespace {

class BulkTest : public ProxyTest {
 protected:
  static void SetUpTestSuite() {
    ProxyTest::SetUpTestSuite();
    TestConn::Open(TestServer())->MustExec("CREATE DATABASE IF NOT EXISTS bulk_e2e");
  }

  // Column-wise arrays of one INT and one VARCHAR parameter; a NULL id
  // (indicator) lets AUTO_INCREMENT choose.
  struct Rows {
    std::vector<int> ids;
    std::vector<char> id_indicators;
    std::vector<std::string> names;
    std::vector<char*> name_ptrs;
    std::vector<unsigned long> name_lengths;
    MYSQL_BIND bind[2];

    explicit Rows(int n, int first_id, bool null_ids = false) {
      for (int i = 0; i < n; ++i) {
        ids.push_back(first_id + i);
        id_indicators.push_back(null_ids ? STMT_INDICATOR_NULL : STMT_INDICATOR_NONE);
        names.push_back("row " + std::to_string(first_id + i) + " \xF0\x9F\x98\x80");
      }
      for (auto& s : names) {
        name_ptrs.push_back(s.data());
        name_lengths.push_back(s.size());
      }
      memset(bind, 0, sizeof bind);
      bind[0].buffer_type = MYSQL_TYPE_LONG;
      bind[0].buffer = ids.data();
      bind[0].u.indicator = id_indicators.data();
      bind[1].buffer_type = MYSQL_TYPE_STRING;
      bind[1].buffer = name_ptrs.data();
      bind[1].length = name_lengths.data();
    }
  };

  // Prepares `sql` (two parameters) and executes it once for all of `rows`.
  // Returns mysql_stmt_execute's result; the statement is left open in *out.
  static int ExecuteArray(MYSQL* mysql, const char* sql, Rows& rows, MYSQL_STMT** out) {
    MYSQL_STMT* st = mysql_stmt_init(mysql);
    *out = st;
    if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0) return -1;
    unsigned int size = static_cast<unsigned int>(rows.ids.size());
    mysql_stmt_attr_set(st, STMT_ATTR_ARRAY_SIZE, &size);
    if (mysql_stmt_bind_param(st, rows.bind) != 0) return -1;
    return mysql_stmt_execute(st);
  }

  // A statement sealgate answers itself: it waits until the proxy has seen the
  // end of every response before, so it answers only if the bulk one ended.
  static void ExpectProxyInStep(TestConn& c) {
    EXPECT_TRUE(c.Exec("SHOW DEPLOYS")) << c.last_error();
    EXPECT_EQ(c.Scalar("SELECT 7"), "7");
  }
};

TEST_F(BulkTest, ServerOffersBulkThroughTheProxy) {
  auto c = ViaProxy("bulk_e2e");
  unsigned long ext = 0;
  ASSERT_EQ(mariadb_get_infov(c->handle(), MARIADB_CONNECTION_EXTENDED_SERVER_CAPABILITIES, &ext), 0);
  EXPECT_TRUE(ext & (MARIADB_CLIENT_STMT_BULK_OPERATIONS >> 32));
}

TEST_F(BulkTest, ArrayInsertWritesEveryRowInOneCommand) {
  auto c = ViaProxy("bulk_e2e");
  c->MustExec("CREATE OR REPLACE TABLE ins (id INT PRIMARY KEY, name VARCHAR(40) CHARACTER SET utf8mb4)");
  c->MustExec("SET NAMES utf8mb4");
  Rows rows(1000, 1);
  MYSQL_STMT* st = nullptr;
  ASSERT_EQ(ExecuteArray(c->handle(), "INSERT INTO ins VALUES (?, ?)", rows, &st), 0) << mysql_stmt_error(st);
  EXPECT_EQ(mysql_stmt_affected_rows(st), 1000u);
  // The same statement again, other rows: bulk executes are not one-shot.
  Rows more(10, 1001);
  ASSERT_EQ(mysql_stmt_bind_param(st, more.bind), 0);
  unsigned int size = 10;
  mysql_stmt_attr_set(st, STMT_ATTR_ARRAY_SIZE, &size);
  ASSERT_EQ(mysql_stmt_execute(st), 0) << mysql_stmt_error(st);
  mysql_stmt_close(st);
  EXPECT_EQ(c->Scalar("SELECT COUNT(*) FROM ins"), "1010");
  EXPECT_EQ(c->Scalar("SELECT name FROM ins WHERE id = 500"), "row 500 \xF0\x9F\x98\x80");
  ExpectProxyInStep(*c);
}

TEST_F(BulkTest, InsertReturningSendsARowPerParameterSet) {
  auto c = ViaProxy("bulk_e2e");
  c->MustExec("CREATE OR REPLACE TABLE ret (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40) CHARACTER SET utf8mb4)");
  c->MustExec("SET NAMES utf8mb4");
  Rows rows(25, 0, /*null_ids=*/true);
  MYSQL_STMT* st = nullptr;
  ASSERT_EQ(ExecuteArray(c->handle(), "INSERT INTO ret VALUES (?, ?) RETURNING id, name", rows, &st), 0)
      << mysql_stmt_error(st);
  ASSERT_EQ(mysql_stmt_field_count(st), 2u);
  int id = 0;
  char name[64];
  unsigned long name_len = 0;
  MYSQL_BIND r[2];
  memset(r, 0, sizeof r);
  r[0].buffer_type = MYSQL_TYPE_LONG;
  r[0].buffer = &id;
  r[1].buffer_type = MYSQL_TYPE_STRING;
  r[1].buffer = name;
  r[1].buffer_length = sizeof name;
  r[1].length = &name_len;
  ASSERT_EQ(mysql_stmt_bind_result(st, r), 0);
  std::vector<int> ids;
  while (mysql_stmt_fetch(st) == 0) ids.push_back(id);
  ASSERT_EQ(ids.size(), 25u);
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(ids[i], static_cast<int>(i) + 1);
  EXPECT_EQ(std::string(name, name_len), "row 24 \xF0\x9F\x98\x80");
  mysql_stmt_close(st);
  ExpectProxyInStep(*c);
}

TEST_F(BulkTest, DuplicateKeyFailsTheArrayAndTheSessionGoesOn) {
  auto c = ViaProxy("bulk_e2e");
  c->MustExec("CREATE OR REPLACE TABLE dup (id INT PRIMARY KEY, name VARCHAR(40) CHARACTER SET utf8mb4) ENGINE=InnoDB");
  c->MustExec("INSERT INTO dup VALUES (5, 'taken')");
  Rows rows(10, 1);
  MYSQL_STMT* st = nullptr;
  EXPECT_NE(ExecuteArray(c->handle(), "INSERT INTO dup VALUES (?, ?)", rows, &st), 0);
  EXPECT_EQ(mysql_stmt_errno(st), 1062u) << mysql_stmt_error(st);
  EXPECT_STREQ(mysql_stmt_sqlstate(st), "23000");
  mysql_stmt_close(st);
  EXPECT_EQ(c->Scalar("SELECT COUNT(*) FROM dup"), "1");
  ExpectProxyInStep(*c);
}

TEST_F(BulkTest, ArrayInsertInsideATransactionRollsBack) {
  auto c = ViaProxy("bulk_e2e");
  c->MustExec("CREATE OR REPLACE TABLE trx (id INT PRIMARY KEY, name VARCHAR(40) CHARACTER SET utf8mb4) ENGINE=InnoDB");
  c->MustExec("BEGIN");
  Rows rows(50, 1);
  MYSQL_STMT* st = nullptr;
  ASSERT_EQ(ExecuteArray(c->handle(), "INSERT INTO trx VALUES (?, ?)", rows, &st), 0) << mysql_stmt_error(st);
  mysql_stmt_close(st);
  EXPECT_EQ(c->Scalar("SELECT @@in_transaction"), "1");
  EXPECT_EQ(Direct("bulk_e2e")->Scalar("SELECT COUNT(*) FROM trx"), "0");
  c->MustExec("ROLLBACK");
  EXPECT_EQ(c->Scalar("SELECT COUNT(*) FROM trx"), "0");
  ExpectProxyInStep(*c);
}

}  // namespace
}  // namespace sealgate::test
