// End-to-end: a real client library (MariaDB Connector/C) through sealgate to
// the real server. Everything must behave exactly as it does directly.
#include <gtest/gtest.h>
#include <mysql.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <thread>

#include "proxy_fixture.h"

namespace sealgate::test {
namespace {

class RelayTest : public ProxyTest {
 protected:
  static void SetUpTestSuite() {
    ProxyTest::SetUpTestSuite();
    auto admin = TestConn::Open(TestServer());
    admin->MustExec("CREATE DATABASE IF NOT EXISTS relay_e2e");
    admin->MustExec("SET GLOBAL max_allowed_packet = 64*1024*1024");
  }
};

TEST_F(RelayTest, QueriesAndServerVersion) {
  auto c = ViaProxy("relay_e2e");
  ASSERT_EQ(c->last_errno(), 0u) << c->last_error();
  c->MustExec("CREATE OR REPLACE TABLE basic (id INT PRIMARY KEY, v VARCHAR(20))");
  c->MustExec("INSERT INTO basic VALUES (1,'one'),(2,NULL),(3,'')");
  auto rows = c->Query("SELECT id, v FROM basic ORDER BY id");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0][1], "one");
  EXPECT_EQ(rows[1][1], std::nullopt);
  EXPECT_EQ(rows[2][1], "");
  EXPECT_EQ(c->Scalar("SELECT VERSION()"), Direct()->Scalar("SELECT VERSION()"));
}

TEST_F(RelayTest, FourByteUtf8RoundTrips) {
  auto c = ViaProxy("relay_e2e");
  c->MustExec("SET NAMES utf8mb4");
  c->MustExec("CREATE OR REPLACE TABLE utf (id INT PRIMARY KEY, v VARCHAR(20)) CHARSET utf8mb4");
  c->MustExec("INSERT INTO utf VALUES (1, '\xF0\x9F\x98\x80 caf\xC3\xA9')");
  EXPECT_EQ(c->Scalar("SELECT v FROM utf WHERE id=1"), "\xF0\x9F\x98\x80 caf\xC3\xA9");
}

TEST_F(RelayTest, TransactionsAreTheClientsOwn) {
  auto a = ViaProxy("relay_e2e");
  auto b = ViaProxy("relay_e2e");
  a->MustExec("CREATE OR REPLACE TABLE tx (id INT PRIMARY KEY) ENGINE=InnoDB");
  a->MustExec("BEGIN");
  a->MustExec("INSERT INTO tx VALUES (1)");
  EXPECT_EQ(a->Scalar("SELECT @@in_transaction"), "1");
  EXPECT_EQ(b->Scalar("SELECT COUNT(*) FROM tx"), "0");
  a->MustExec("ROLLBACK");
  EXPECT_EQ(a->Scalar("SELECT COUNT(*) FROM tx"), "0");
  a->MustExec("BEGIN");
  a->MustExec("INSERT INTO tx VALUES (2)");
  a->MustExec("COMMIT");
  EXPECT_EQ(b->Scalar("SELECT COUNT(*) FROM tx"), "1");
  // Session state (user variables, temporary tables) stays with its session.
  a->MustExec("SET @mine = 42");
  a->MustExec("CREATE TEMPORARY TABLE tmp (x INT)");
  EXPECT_EQ(a->Scalar("SELECT @mine"), "42");
  EXPECT_EQ(b->Scalar("SELECT @mine"), std::nullopt);
  EXPECT_FALSE(b->Exec("SELECT * FROM tmp"));
  EXPECT_EQ(b->last_errno(), 1146u);
}

TEST_F(RelayTest, ServerErrorsPassThroughIntact) {
  auto via = ViaProxy("relay_e2e");
  auto direct = Direct("relay_e2e");
  EXPECT_FALSE(via->Exec("SELECT * FROM no_such_table"));
  EXPECT_FALSE(direct->Exec("SELECT * FROM no_such_table"));
  EXPECT_EQ(via->last_errno(), 1146u);
  EXPECT_EQ(via->last_error(), direct->last_error());
  EXPECT_EQ(std::string(mysql_sqlstate(via->handle())), "42S02");
  EXPECT_FALSE(via->Exec("SELEC 1"));
  EXPECT_EQ(via->last_errno(), 1064u);
  // The session goes on after an error.
  EXPECT_EQ(via->Scalar("SELECT 7"), "7");
}

TEST_F(RelayTest, WrongPasswordGetsTheServersAccessDenied) {
  TestConn c;
  EXPECT_FALSE(c.Connect(proxy_->address("sealgate", "not-the-password")));
  EXPECT_EQ(c.last_errno(), 1045u);
  EXPECT_NE(c.last_error().find("Access denied"), std::string::npos) << c.last_error();
}

TEST_F(RelayTest, Ed25519UserAuthenticatesThroughAuthSwitch) {
  auto admin = Direct();
  admin->Exec("INSTALL SONAME 'auth_ed25519'");  // may already be installed
  admin->MustExec("CREATE OR REPLACE USER 'edu'@'127.0.0.1' IDENTIFIED VIA ed25519 USING PASSWORD('ed-secret')");
  admin->MustExec("GRANT SELECT ON relay_e2e.* TO 'edu'@'127.0.0.1'");
  auto c = TestConn::Open(proxy_->address("edu", "ed-secret"), "relay_e2e");
  ASSERT_EQ(c->last_errno(), 0u) << c->last_error();
  EXPECT_EQ(c->Scalar("SELECT CURRENT_USER()"), "edu@127.0.0.1");
  TestConn wrong;
  EXPECT_FALSE(wrong.Connect(proxy_->address("edu", "nope")));
  EXPECT_EQ(wrong.last_errno(), 1045u);
}

TEST_F(RelayTest, NativePasswordUser) {
  auto admin = Direct();
  admin->MustExec("CREATE OR REPLACE USER 'npu'@'127.0.0.1' IDENTIFIED WITH mysql_native_password USING PASSWORD('np')");
  auto c = TestConn::Open(proxy_->address("npu", "np"));
  ASSERT_EQ(c->last_errno(), 0u) << c->last_error();
  EXPECT_EQ(c->Scalar("SELECT CURRENT_USER()"), "npu@127.0.0.1");
}

TEST_F(RelayTest, PacketsLargerThan16MiBBothWays) {
  auto c = ViaProxy("relay_e2e");
  c->MustExec("CREATE OR REPLACE TABLE big (id INT PRIMARY KEY, b LONGBLOB)");
  const size_t size = 20u << 20;  // 20 MiB: the query and the row both span two frames
  std::string value(size, 'x');
  for (size_t i = 0; i < size; i += 4099) value[i] = static_cast<char>('a' + i % 26);
  std::string sql = "INSERT INTO big VALUES (1, '" + value + "')";
  ASSERT_TRUE(c->Exec(sql)) << c->last_error();
  auto rows = c->Query("SELECT b FROM big WHERE id = 1");
  ASSERT_EQ(rows.size(), 1u);
  ASSERT_TRUE(rows[0][0].has_value());
  EXPECT_EQ(rows[0][0]->size(), size);
  EXPECT_TRUE(*rows[0][0] == value);
  EXPECT_EQ(c->Scalar("SELECT MD5(b) = MD5(REPEAT('x', 1)) FROM big"), "0");
  EXPECT_EQ(c->Scalar("SELECT 1"), "1");  // the stream is still in step
}

// Reads every result of the statement just sent; returns how many had rows.
int CountResultSets(MYSQL* m) {
  int results = 0;
  do {
    MYSQL_RES* r = mysql_store_result(m);
    if (r) {
      ++results;
      mysql_free_result(r);
    }
  } while (mysql_next_result(m) == 0);
  return results;
}

TEST_F(RelayTest, MultiStatementsAndMultipleResultSets) {
  auto c = ViaProxy("relay_e2e");
  ASSERT_EQ(mysql_real_query(c->handle(), "SELECT 1; SELECT 2, 3; DO 0; SELECT 'x'", 39), 0) << mysql_error(c->handle());
  EXPECT_EQ(CountResultSets(c->handle()), 3);
  c->MustExec("CREATE OR REPLACE PROCEDURE two_results() BEGIN SELECT 1; SELECT 2; END");
  ASSERT_EQ(mysql_query(c->handle(), "CALL two_results()"), 0);
  EXPECT_EQ(CountResultSets(c->handle()), 2);
  // An error in the middle of a multi-statement ends it; the session goes on.
  ASSERT_EQ(mysql_query(c->handle(), "SELECT 1; SELECT * FROM nope; SELECT 3"), 0);
  mysql_free_result(mysql_store_result(c->handle()));
  EXPECT_GT(mysql_next_result(c->handle()), 0);
  EXPECT_EQ(mysql_errno(c->handle()), 1146u);
  EXPECT_EQ(c->Scalar("SELECT 4"), "4");
}

TEST_F(RelayTest, PreparedStatementsBinaryProtocolAndCursor) {
  auto c = ViaProxy("relay_e2e");
  c->MustExec("CREATE OR REPLACE TABLE ps (id INT PRIMARY KEY, name VARCHAR(30), amount DECIMAL(10,2))");
  MYSQL_STMT* ins = mysql_stmt_init(c->handle());
  const char* q = "INSERT INTO ps VALUES (?, ?, ?)";
  ASSERT_EQ(mysql_stmt_prepare(ins, q, strlen(q)), 0) << mysql_stmt_error(ins);
  EXPECT_EQ(mysql_stmt_param_count(ins), 3u);
  for (int i = 1; i <= 50; ++i) {
    int id = i;
    std::string name = "name-" + std::to_string(i);
    std::string amount = std::to_string(i) + ".25";
    MYSQL_BIND b[3];
    memset(b, 0, sizeof b);
    b[0].buffer_type = MYSQL_TYPE_LONG;
    b[0].buffer = &id;
    b[1].buffer_type = MYSQL_TYPE_STRING;
    b[1].buffer = name.data();
    b[1].buffer_length = name.size();
    b[2].buffer_type = MYSQL_TYPE_NEWDECIMAL;
    b[2].buffer = amount.data();
    b[2].buffer_length = amount.size();
    ASSERT_EQ(mysql_stmt_bind_param(ins, b), 0);
    ASSERT_EQ(mysql_stmt_execute(ins), 0) << mysql_stmt_error(ins);
  }
  mysql_stmt_close(ins);

  // A read-only cursor: rows come through COM_STMT_FETCH, a few at a time.
  MYSQL_STMT* sel = mysql_stmt_init(c->handle());
  unsigned long cursor = CURSOR_TYPE_READ_ONLY, prefetch = 7;
  mysql_stmt_attr_set(sel, STMT_ATTR_CURSOR_TYPE, &cursor);
  mysql_stmt_attr_set(sel, STMT_ATTR_PREFETCH_ROWS, &prefetch);
  const char* s = "SELECT id, name FROM ps WHERE id > ? ORDER BY id";
  ASSERT_EQ(mysql_stmt_prepare(sel, s, strlen(s)), 0) << mysql_stmt_error(sel);
  int min_id = 10;
  MYSQL_BIND p;
  memset(&p, 0, sizeof p);
  p.buffer_type = MYSQL_TYPE_LONG;
  p.buffer = &min_id;
  ASSERT_EQ(mysql_stmt_bind_param(sel, &p), 0);
  ASSERT_EQ(mysql_stmt_execute(sel), 0) << mysql_stmt_error(sel);
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
  ASSERT_EQ(mysql_stmt_bind_result(sel, r), 0);
  int count = 0, last = 0;
  while (mysql_stmt_fetch(sel) == 0) {
    ++count;
    EXPECT_GT(id, last);
    last = id;
  }
  EXPECT_EQ(count, 40);
  EXPECT_EQ(std::string(name, name_len), "name-50");
  mysql_stmt_close(sel);
  // Text protocol still in step afterwards.
  EXPECT_EQ(c->Scalar("SELECT SUM(amount) FROM ps"), "1287.50");
}

// A stored program's SELECT while one of its own cursors is open: the server
// flags that result CURSOR_EXISTS, yet sends its rows at once (issue #19).
TEST_F(RelayTest, SelectWhileAStoredProgramCursorIsOpenKeepsTheSession) {
  auto c = ViaProxy("relay_e2e");
  const std::string body = "BEGIN NOT ATOMIC DECLARE v INT; DECLARE c CURSOR FOR SELECT 1; OPEN c; FETCH c INTO v; "
                           "SELECT v; CLOSE c; END";
  c->MustExec("CREATE OR REPLACE PROCEDURE cursor_select() BEGIN DECLARE v INT; DECLARE c CURSOR FOR SELECT 41; "
              "OPEN c; FETCH c INTO v; SELECT v + 1; CLOSE c; END");
  EXPECT_EQ(c->Scalar(body), "1") << c->last_error();
  EXPECT_EQ(mysql_errno(c->handle()), 0u) << mysql_error(c->handle());  // the response ended in step
  EXPECT_EQ(c->Scalar("SELECT 2"), "2") << c->last_error();
  ASSERT_EQ(mysql_query(c->handle(), "CALL cursor_select()"), 0) << mysql_error(c->handle());
  MYSQL_RES* r = mysql_store_result(c->handle());
  ASSERT_NE(r, nullptr) << mysql_error(c->handle());
  MYSQL_ROW row = mysql_fetch_row(r);
  ASSERT_NE(row, nullptr);
  EXPECT_STREQ(row[0], "42");
  mysql_free_result(r);
  while (mysql_next_result(c->handle()) == 0) mysql_free_result(mysql_store_result(c->handle()));
  EXPECT_EQ(mysql_errno(c->handle()), 0u) << mysql_error(c->handle());
  EXPECT_EQ(c->Scalar("SELECT 3"), "3") << c->last_error();

  // The same CALL by the binary protocol, no cursor asked for.
  MYSQL_STMT* call = mysql_stmt_init(c->handle());
  const char* q = "CALL cursor_select()";
  ASSERT_EQ(mysql_stmt_prepare(call, q, strlen(q)), 0) << mysql_stmt_error(call);
  ASSERT_EQ(mysql_stmt_execute(call), 0) << mysql_stmt_error(call);
  long long v = 0;
  MYSQL_BIND out;
  memset(&out, 0, sizeof out);
  out.buffer_type = MYSQL_TYPE_LONGLONG;
  out.buffer = &v;
  ASSERT_EQ(mysql_stmt_bind_result(call, &out), 0) << mysql_stmt_error(call);
  EXPECT_EQ(mysql_stmt_fetch(call), 0) << mysql_stmt_error(call);
  EXPECT_EQ(v, 42);
  while (mysql_stmt_fetch(call) == 0) {
  }
  while (mysql_stmt_next_result(call) == 0) {
  }
  mysql_stmt_close(call);
  EXPECT_EQ(c->Scalar("SELECT 4"), "4") << c->last_error();
}

// A cursor execute that fails once its column definitions are out: the
// client gets the server's error, and the session goes on (issue #19).
TEST_F(RelayTest, CursorExecuteFailingAfterItsMetadataKeepsTheSession) {
  auto c = ViaProxy("relay_e2e");
  c->MustExec("CREATE OR REPLACE TABLE ce (a INT)");
  c->MustExec("INSERT INTO ce VALUES (1), (2)");
  MYSQL_STMT* st = mysql_stmt_init(c->handle());
  unsigned long cursor = CURSOR_TYPE_READ_ONLY;
  mysql_stmt_attr_set(st, STMT_ATTR_CURSOR_TYPE, &cursor);
  const char* q = "SELECT 1 < (SELECT a FROM ce)";
  ASSERT_EQ(mysql_stmt_prepare(st, q, strlen(q)), 0) << mysql_stmt_error(st);
  EXPECT_NE(mysql_stmt_execute(st), 0);
  EXPECT_EQ(mysql_stmt_errno(st), 1242u) << mysql_stmt_error(st);
  EXPECT_STREQ(mysql_stmt_sqlstate(st), "21000");
  mysql_stmt_close(st);
  EXPECT_EQ(c->Scalar("SELECT 5"), "5") << c->last_error();
  // A cursor that opens still works on the same connection.
  MYSQL_STMT* ok = mysql_stmt_init(c->handle());
  mysql_stmt_attr_set(ok, STMT_ATTR_CURSOR_TYPE, &cursor);
  const char* q2 = "SELECT a FROM ce ORDER BY a";
  ASSERT_EQ(mysql_stmt_prepare(ok, q2, strlen(q2)), 0) << mysql_stmt_error(ok);
  ASSERT_EQ(mysql_stmt_execute(ok), 0) << mysql_stmt_error(ok);
  int rows = 0;
  while (mysql_stmt_fetch(ok) == 0) ++rows;
  EXPECT_EQ(rows, 2);
  mysql_stmt_close(ok);
  EXPECT_EQ(c->Scalar("SELECT 6"), "6") << c->last_error();
}

// MariaDB metadata caching: executes of a prepared statement leave the column
// definitions out (the server counts them in Resultset_metadata_skipped), a
// cursor execute too, and the rows still arrive; as many as directly.
TEST_F(RelayTest, PreparedStatementMetadataCachedByTheClient) {
  auto run = [](TestConn& c) -> std::optional<std::string> {
    unsigned long ext = 0;
    EXPECT_EQ(mariadb_get_infov(c.handle(), MARIADB_CONNECTION_EXTENDED_SERVER_CAPABILITIES, &ext), 0);
    EXPECT_TRUE(ext & (MARIADB_CLIENT_CACHE_METADATA >> 32)) << "metadata caching is not offered";
    c.MustExec("CREATE OR REPLACE TABLE cm (a INT, b VARCHAR(10))");
    c.MustExec("INSERT INTO cm VALUES (1, 'x'), (2, 'y')");
    c.MustExec("FLUSH STATUS");
    MYSQL_STMT* st = mysql_stmt_init(c.handle());
    const char* q = "SELECT a, b FROM cm ORDER BY a";
    EXPECT_EQ(mysql_stmt_prepare(st, q, strlen(q)), 0) << mysql_stmt_error(st);
    for (unsigned long cursor : {CURSOR_TYPE_NO_CURSOR, CURSOR_TYPE_NO_CURSOR, CURSOR_TYPE_READ_ONLY}) {
      mysql_stmt_attr_set(st, STMT_ATTR_CURSOR_TYPE, &cursor);
      EXPECT_EQ(mysql_stmt_execute(st), 0) << mysql_stmt_error(st);
      int rows = 0;
      while (mysql_stmt_fetch(st) == 0) ++rows;
      EXPECT_EQ(rows, 2);
      mysql_stmt_free_result(st);
    }
    mysql_stmt_close(st);
    return c.Scalar("SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS "
                    "WHERE VARIABLE_NAME = 'Resultset_metadata_skipped'");
  };
  auto direct = Direct("relay_e2e");
  auto skipped_directly = run(*direct);
  ASSERT_TRUE(skipped_directly && std::stoi(*skipped_directly) >= 2) << skipped_directly.value_or("NULL");
  auto c = ViaProxy("relay_e2e");
  EXPECT_EQ(run(*c), skipped_directly);
  EXPECT_TRUE(c->Exec("SHOW DEPLOYS")) << c->last_error();  // sealgate's own result set
  EXPECT_EQ(c->Scalar("SELECT 8"), "8") << c->last_error();
}

TEST_F(RelayTest, LoadDataLocalInfile) {
  std::string path = ScratchDir() + "/infile.tsv";
  {
    std::ofstream out(path);
    for (int i = 1; i <= 2000; ++i) out << i << "\trow " << i << "\n";
  }
  MYSQL* m = mysql_init(nullptr);
  unsigned on = 1;
  mysql_optionsv(m, MYSQL_OPT_LOCAL_INFILE, &on);
  auto addr = proxy_->address();
  ASSERT_TRUE(mysql_real_connect(m, addr.host.c_str(), addr.user.c_str(), addr.password.c_str(), "relay_e2e", addr.port,
                                 nullptr, 0))
      << mysql_error(m);
  ASSERT_EQ(mysql_query(m, "CREATE OR REPLACE TABLE loaded (id INT PRIMARY KEY, v VARCHAR(20))"), 0) << mysql_error(m);
  std::string load = "LOAD DATA LOCAL INFILE '" + path + "' INTO TABLE loaded";
  ASSERT_EQ(mysql_query(m, load.c_str()), 0) << mysql_error(m);
  EXPECT_EQ(mysql_affected_rows(m), 2000u);
  // A missing file: the client sends an empty data packet, the server answers with an error.
  std::string missing = "LOAD DATA LOCAL INFILE '/nonexistent/file' INTO TABLE loaded";
  EXPECT_NE(mysql_query(m, missing.c_str()), 0);
  ASSERT_EQ(mysql_query(m, "SELECT COUNT(*) FROM loaded"), 0) << mysql_error(m);
  MYSQL_RES* res = mysql_store_result(m);
  EXPECT_STREQ(mysql_fetch_row(res)[0], "2000");
  mysql_free_result(res);
  mysql_close(m);
}

TEST_F(RelayTest, ChangeUserResetConnectionAndSetOption) {
  auto admin = Direct();
  admin->MustExec("CREATE OR REPLACE USER 'cu'@'127.0.0.1' IDENTIFIED BY 'cu-pass'");
  admin->MustExec("GRANT SELECT ON relay_e2e.* TO 'cu'@'127.0.0.1'");
  auto c = ViaProxy("relay_e2e");
  c->MustExec("SET @v = 1");
  ASSERT_EQ(mysql_change_user(c->handle(), "cu", "cu-pass", "relay_e2e"), 0) << mysql_error(c->handle());
  EXPECT_EQ(c->Scalar("SELECT CURRENT_USER()"), "cu@127.0.0.1");
  EXPECT_EQ(c->Scalar("SELECT @v"), std::nullopt);
  EXPECT_NE(mysql_change_user(c->handle(), "cu", "wrong", "relay_e2e"), 0);
  EXPECT_EQ(mysql_errno(c->handle()), 1045u);

  auto d = ViaProxy("relay_e2e");
  d->MustExec("SET @w = 2");
  ASSERT_EQ(mysql_reset_connection(d->handle()), 0) << mysql_error(d->handle());
  EXPECT_EQ(d->Scalar("SELECT @w"), std::nullopt);

  ASSERT_EQ(mysql_set_server_option(d->handle(), MYSQL_OPTION_MULTI_STATEMENTS_OFF), 0) << mysql_error(d->handle());
  EXPECT_FALSE(d->Exec("SELECT 1; SELECT 2"));
  ASSERT_EQ(mysql_set_server_option(d->handle(), MYSQL_OPTION_MULTI_STATEMENTS_ON), 0) << mysql_error(d->handle());
  EXPECT_TRUE(d->Exec("SELECT 1; SELECT 2")) << d->last_error();
  EXPECT_EQ(mysql_ping(d->handle()), 0);
  EXPECT_NE(mysql_stat(d->handle()), nullptr);
  EXPECT_EQ(mysql_select_db(d->handle(), "mysql"), 0);
  EXPECT_EQ(d->Scalar("SELECT DATABASE()"), "mysql");
}

TEST_F(RelayTest, ManyConcurrentConnections) {
  auto setup = ViaProxy("relay_e2e");
  setup->MustExec("CREATE OR REPLACE TABLE conc (id INT PRIMARY KEY, n INT NOT NULL)");
  constexpr int kThreads = 64, kIterations = 30;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      TestConn c;
      if (!c.Connect(proxy_->address(), "relay_e2e")) {
        ++failures;
        return;
      }
      for (int i = 0; i < kIterations; ++i) {
        int id = t * kIterations + i;
        if (!c.Exec("INSERT INTO conc VALUES (" + std::to_string(id) + ", " + std::to_string(i) + ")")) ++failures;
        mysql_query(c.handle(), ("SELECT n FROM conc WHERE id = " + std::to_string(id)).c_str());
        MYSQL_RES* r = mysql_store_result(c.handle());
        MYSQL_ROW row = r ? mysql_fetch_row(r) : nullptr;
        if (!row || std::to_string(i) != row[0]) ++failures;
        if (r) mysql_free_result(r);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(setup->Scalar("SELECT COUNT(*) FROM conc"), std::to_string(kThreads * kIterations));
}

}  // namespace
}  // namespace sealgate::test
