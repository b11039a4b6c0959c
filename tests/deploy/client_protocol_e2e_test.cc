// End-to-end: what a client's protocol adds to a statement sealgate answers
// itself — DDL sent as a prepared statement (COM_STMT_PREPARE/EXECUTE, SQL
// PREPARE/EXECUTE, EXECUTE IMMEDIATE) runs as the text statement does, and
// MariaDB progress reports (the server's, relayed, and sealgate's own while a
// COMMIT DEPLOY waits) reach a client that asked for them.
#include <gtest/gtest.h>
#include <mysql.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "deploy/deploy_test_util.h"
#include "protocol/messages.h"
#include "protocol/wire.h"
#include "support/raw_client.h"

namespace sealgate::test {
namespace {

using namespace std::chrono_literals;

constexpr uint64_t kProgressCapability = 1ull << 32;  // MARIADB_CLIENT_PROGRESS

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class ClientProtocolTest : public DeployTest {
 protected:
  std::string ColumnType(const std::string& table, const std::string& column) {
    return Direct()
        ->Scalar("SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='" + db_ +
                 "' AND TABLE_NAME='" + table + "' AND COLUMN_NAME='" + column + "'")
        .value_or("");
  }
  size_t Seals() { return Count(proxy_.log(), " sealed tables="); }

  // A raw client logged in through the proxy (or directly) that takes
  // progress reports every second.
  std::unique_ptr<RawClient> ProgressClient(int port) {
    auto c = std::make_unique<RawClient>();
    EXPECT_TRUE(c->Connect(port));
    EXPECT_TRUE(c->Login(TestServer().user, TestServer().password, db_, kProgressCapability)) << c->error();
    EXPECT_TRUE(c->server_capabilities() & kProgressCapability) << "progress reports not offered";
    std::string out;
    RawClient::Frame(&out, 0, std::string("\x03") + "SET progress_report_time = 1");
    EXPECT_TRUE(c->SendRaw(out));
    EXPECT_EQ(c->ReadQueryResponse(), "OK");
    return c;
  }

  struct Answer {
    std::vector<protocol::ProgressReport> progress;
    std::string last;   // the packet that ended the answer
    bool sequence_ok = true;  // every packet's sequence id the one after the last
  };
  // Sends a COM_QUERY and reads progress reports up to the first other packet.
  // `on_progress` runs after each report.
  Answer QueryWithProgress(RawClient& c, const std::string& sql,
                           const std::function<void(const protocol::ProgressReport&)>& on_progress = {}) {
    std::string out;
    RawClient::Frame(&out, 0, "\x03" + sql);
    EXPECT_TRUE(c.SendRaw(out));
    Answer a;
    uint8_t expected = 1;
    for (;;) {
      std::string p;
      uint8_t seq = 0;
      if (!c.ReadPacket(&p, &seq, 120000)) {
        ADD_FAILURE() << "no answer to " << sql;
        return a;
      }
      a.sequence_ok = a.sequence_ok && seq == expected;
      ++expected;
      if (!protocol::IsProgressReport(p)) {
        a.last = p;
        return a;
      }
      auto report = protocol::ParseProgressReport(p);
      EXPECT_TRUE(report.ok()) << report.status().ToString();
      if (!report.ok()) continue;
      a.progress.push_back(*report);
      if (on_progress) on_progress(*report);
    }
  }
};

TEST_F(ClientProtocolTest, APreparedAlterIsStagedOnlineAsTheTextOneIs) {
  Fill("t", 2000);
  Writers writers;
  writers.Run(proxy_.address(), db_, {"t"}, 1000000);
  auto c = Via();
  size_t seals = Seals();

  // COM_STMT_PREPARE + COM_STMT_EXECUTE (Connector/C's prepared statements).
  MYSQL_STMT* stmt = mysql_stmt_init(c->handle());
  ASSERT_NE(stmt, nullptr);
  const std::string alter = "ALTER TABLE t MODIFY c BIGINT NULL";
  ASSERT_EQ(mysql_stmt_prepare(stmt, alter.data(), alter.size()), 0) << mysql_stmt_error(stmt);
  EXPECT_EQ(mysql_stmt_param_count(stmt), 0u);
  ASSERT_EQ(mysql_stmt_execute(stmt), 0) << mysql_stmt_error(stmt);
  EXPECT_EQ(ColumnType("t", "c"), "bigint(20)");
  EXPECT_EQ(Seals(), seals + 1) << "the prepared ALTER was not staged and sealed online\n" << proxy_.log();
  EXPECT_TRUE(TableExists("~t_old"));
  mysql_stmt_close(stmt);

  // A prepared statement that is not DDL is the server's as before.
  stmt = mysql_stmt_init(c->handle());
  const std::string select = "SELECT COUNT(*) FROM t WHERE id <= 2000";
  ASSERT_EQ(mysql_stmt_prepare(stmt, select.data(), select.size()), 0) << mysql_stmt_error(stmt);
  ASSERT_EQ(mysql_stmt_execute(stmt), 0) << mysql_stmt_error(stmt);
  long long count = 0;
  MYSQL_BIND out{};
  out.buffer_type = MYSQL_TYPE_LONGLONG;
  out.buffer = &count;
  ASSERT_EQ(mysql_stmt_bind_result(stmt, &out), 0);
  ASSERT_EQ(mysql_stmt_fetch(stmt), 0);
  EXPECT_EQ(count, 2000);
  mysql_stmt_close(stmt);

  // SQL PREPARE ... FROM 'ALTER ...'; EXECUTE; DEALLOCATE.
  ASSERT_TRUE(c->Exec("PREPARE widen FROM 'ALTER TABLE t MODIFY a BIGINT NOT NULL'")) << c->last_error();
  EXPECT_EQ(ColumnType("t", "a"), "int(11)") << "preparing must not run it";
  ASSERT_TRUE(c->Exec("EXECUTE widen")) << c->last_error();
  EXPECT_EQ(ColumnType("t", "a"), "bigint(20)");
  EXPECT_EQ(Seals(), seals + 2) << proxy_.log();
  ASSERT_TRUE(c->Exec("DEALLOCATE PREPARE widen")) << c->last_error();
  EXPECT_FALSE(c->Exec("EXECUTE widen"));
  EXPECT_EQ(c->last_errno(), 1243u) << c->last_error();  // the server's: unknown prepared statement

  // A name prepared again with another statement is that statement.
  ASSERT_TRUE(c->Exec("PREPARE again FROM 'ALTER TABLE t MODIFY b VARCHAR(50) CHARACTER SET latin1 NULL'"));
  ASSERT_TRUE(c->Exec("PREPARE again FROM 'SELECT 42'")) << c->last_error();
  EXPECT_EQ(c->Scalar("EXECUTE again"), "42");
  EXPECT_EQ(Seals(), seals + 2);

  // Held DDL cannot share a packet with other statements (the PREPARE's
  // answer is not known when the EXECUTE would be forwarded).
  for (const char* multi : {"PREPARE p2 FROM 'ALTER TABLE t MODIFY c BIGINT NULL'; EXECUTE p2",
                            "EXECUTE IMMEDIATE 'ALTER TABLE t MODIFY c BIGINT NULL'; SELECT 1"}) {
    EXPECT_FALSE(c->Exec(multi)) << multi;
    EXPECT_EQ(c->last_errno(), 7768u) << multi << ": " << c->last_error();
  }
  EXPECT_EQ(ColumnType("t", "c"), "bigint(20)");
  EXPECT_EQ(Seals(), seals + 2);
  // Prepare and execute in one go (statement id -1: the last one prepared).
  stmt = mysql_stmt_init(c->handle());
  const std::string direct_alter = "ALTER TABLE t MODIFY c INT NULL";
  ASSERT_EQ(mariadb_stmt_execute_direct(stmt, direct_alter.data(), direct_alter.size()), 0) << mysql_stmt_error(stmt);
  mysql_stmt_close(stmt);
  EXPECT_EQ(ColumnType("t", "c"), "int(11)");
  EXPECT_EQ(Seals(), seals + 3) << "the directly executed ALTER was not staged online\n" << proxy_.log();

  // EXECUTE IMMEDIATE 'ALTER ...'.
  ASSERT_TRUE(c->Exec("EXECUTE IMMEDIATE 'ALTER TABLE t MODIFY c BIGINT NULL'")) << c->last_error();
  EXPECT_EQ(ColumnType("t", "c"), "bigint(20)");
  EXPECT_EQ(Seals(), seals + 4) << proxy_.log();

  // A prepared ALTER the server refuses keeps the server's error.
  stmt = mysql_stmt_init(c->handle());
  const std::string bad = "ALTER TABLE no_such_table ADD COLUMN x INT";
  if (mysql_stmt_prepare(stmt, bad.data(), bad.size()) == 0) {
    EXPECT_NE(mysql_stmt_execute(stmt), 0);
    EXPECT_EQ(mysql_stmt_errno(stmt), 1146u) << mysql_stmt_error(stmt);
  } else {
    EXPECT_EQ(mysql_stmt_errno(stmt), 1146u) << mysql_stmt_error(stmt);
  }
  mysql_stmt_close(stmt);
  EXPECT_EQ(c->Scalar("SELECT 1"), "1");

  writers.Join();
  EXPECT_EQ(writers.errors.load(), 0);
  EXPECT_EQ(writers.Missing(*Direct(), "t", 1000000), "") << "acknowledged writes missing";
}

TEST_F(ClientProtocolTest, ACommitDeployThatWaitsSendsProgressReports) {
  Fill("t", 60000);
  RestartProxyWithSlowCopy();
  const std::string name = "progress_" + db_;
  auto c = Via();
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN z INT NOT NULL DEFAULT 5")) << c->last_error();
  ASSERT_TRUE(c->Exec("END DEPLOY")) << c->last_error();
  ASSERT_TRUE(c->Exec("ALTER DEPLOY '" + name + "' PAUSE")) << c->last_error();

  auto raw = ProgressClient(proxy_.port());
  // Two reports of the paused copy, then the copy goes on and the seal follows.
  bool resumed = false;
  int seen = 0;
  Answer a = QueryWithProgress(*raw, "COMMIT DEPLOY '" + name + "'", [&](const protocol::ProgressReport&) {
    if (++seen == 2) {
      EXPECT_TRUE(c->Exec("ALTER DEPLOY '" + name + "' RESUME")) << c->last_error();
      resumed = true;
    }
  });
  ASSERT_FALSE(a.last.empty());
  EXPECT_EQ(static_cast<uint8_t>(a.last[0]), 0x00) << "COMMIT DEPLOY did not end with OK: " << a.last.substr(3);
  EXPECT_TRUE(a.sequence_ok) << "the answer's sequence ids do not go on from the progress reports'";
  ASSERT_GE(a.progress.size(), 2u);
  EXPECT_EQ(a.progress[0].stage, 1);
  EXPECT_EQ(a.progress[0].max_stage, 3);
  EXPECT_EQ(a.progress[0].stage_name, "copying rows");
  EXPECT_GE(a.progress[0].percent, 0.0);
  EXPECT_LT(a.progress[0].percent, 100.0);
  for (size_t i = 1; i < a.progress.size(); ++i) {
    EXPECT_GE(a.progress[i].stage, a.progress[i - 1].stage) << "stages go forward";
    EXPECT_LE(a.progress[i].stage, 3);
  }
  EXPECT_TRUE(resumed);
  EXPECT_EQ(Columns("t").back(), "z");
  // The session goes on.
  std::string out;
  RawClient::Frame(&out, 0, std::string("\x03") + "DO 1");
  ASSERT_TRUE(raw->SendRaw(out));
  EXPECT_EQ(raw->ReadQueryResponse(), "OK");
  // A client that did not ask gets none: the plain answer alone (seq 1).
  RawClient plain;
  ASSERT_TRUE(plain.Connect(proxy_.port()));
  ASSERT_TRUE(plain.Login(TestServer().user, TestServer().password, db_)) << plain.error();
  ASSERT_TRUE(c->Exec("FINALIZE DEPLOY '" + name + "'")) << c->last_error();
  ASSERT_TRUE(c->Exec("BEGIN DEPLOY '" + name + "_2'"));
  ASSERT_TRUE(c->Exec("ALTER TABLE t ADD COLUMN y INT NOT NULL DEFAULT 6")) << c->last_error();
  ASSERT_TRUE(c->Exec("END DEPLOY")) << c->last_error();
  Answer b = QueryWithProgress(plain, "COMMIT DEPLOY '" + name + "_2'");
  EXPECT_TRUE(b.progress.empty());
  ASSERT_FALSE(b.last.empty());
  EXPECT_EQ(static_cast<uint8_t>(b.last[0]), 0x00) << b.last.substr(3);
  EXPECT_TRUE(b.sequence_ok);
}

TEST_F(ClientProtocolTest, TheServersProgressReportsAreRelayed) {
  // A copying ALTER the server runs itself (the passthrough hint), long
  // enough for reports every second: through sealgate as directly.
  auto admin = Direct();
  for (const char* table : {"big_direct", "big_proxy"}) {
    admin->MustExec(std::string("CREATE TABLE ") + table +
                    " (id INT PRIMARY KEY, a INT NOT NULL, pad CHAR(200) NOT NULL) ENGINE=InnoDB");
    admin->MustExec(std::string("INSERT INTO ") + table + " SELECT seq, seq, REPEAT('x', 200) FROM seq_1_to_300000");
  }
  auto direct = ProgressClient(TestServer().port);
  Answer d = QueryWithProgress(*direct, "ALTER TABLE big_direct FORCE, ALGORITHM=COPY");
  ASSERT_FALSE(d.last.empty());
  EXPECT_EQ(static_cast<uint8_t>(d.last[0]), 0x00) << d.last.substr(3);
  auto via = ProgressClient(proxy_.port());
  Answer p = QueryWithProgress(*via, "ALTER TABLE big_proxy FORCE, ALGORITHM=COPY /*sealgate:passthrough*/");
  ASSERT_FALSE(p.last.empty());
  EXPECT_EQ(static_cast<uint8_t>(p.last[0]), 0x00) << p.last.substr(3);
  EXPECT_TRUE(p.sequence_ok);
  std::cout << "server progress reports: directly " << d.progress.size() << ", through sealgate "
            << p.progress.size() << "\n";
  // The ALTER takes seconds: directly the client gets reports, and through sealgate it must too.
  ASSERT_FALSE(d.progress.empty()) << "the ALTER ended before the server reported progress: make its table larger";
  EXPECT_FALSE(p.progress.empty()) << "the server's reports did not reach the client";
  for (const auto& r : p.progress) {
    EXPECT_GE(r.stage, 1);
    EXPECT_LE(r.percent, 100.0);
  }
  std::string out;
  RawClient::Frame(&out, 0, std::string("\x03") + "DO 1");
  ASSERT_TRUE(via->SendRaw(out));
  EXPECT_EQ(via->ReadQueryResponse(), "OK");
  EXPECT_EQ(proxy_.log().find("unexpected response from upstream"), std::string::npos) << proxy_.log();
}

}  // namespace
}  // namespace sealgate::test
