// Reconnects against a private MariaDB (never the shared one): a server
// restart and dropped connections mid-stream lose and repeat nothing; a
// purged start position is a typed error.
#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>

#include "binlog/binlog_stream.h"
#include "support/test_conn.h"
#include "support/test_env.h"

namespace sealgate::binlog {
namespace {

using sealgate::test::TestConn;

class PrivateServer {
 public:
  PrivateServer() : dir_(test::ScratchDir() + "/binlog-reconnect-" + std::to_string(::getpid())), port_(test::FreePort()) {}
  ~PrivateServer() {
    Stop();
    std::system(("rm -rf '" + dir_ + "'").c_str());
  }
  bool Start() {
    std::string cmd = test::SourceDir() + "/scripts/mariadb.sh start '" + dir_ + "' " + std::to_string(port_) + " 7 >/dev/null";
    return std::system(cmd.c_str()) == 0;
  }
  void Stop() { std::system((test::SourceDir() + "/scripts/mariadb.sh stop '" + dir_ + "' >/dev/null").c_str()); }
  test::ServerAddress Address() const { return {"127.0.0.1", port_, "sealgate", "sealgate"}; }
  ServerEndpoint Endpoint() const {
    ServerEndpoint e;
    e.port = port_;
    e.user = "sealgate";
    e.password = "sealgate";
    return e;
  }

 private:
  std::string dir_;
  int port_;
};

class ReconnectE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new PrivateServer();
    ASSERT_TRUE(server_->Start());
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static PrivateServer* server_;
};
PrivateServer* ReconnectE2E::server_ = nullptr;

BinlogPosition CurrentPosition(TestConn& c) {
  BinlogPosition p;
  p.gtid_state = c.Scalar("SELECT @@global.gtid_binlog_pos").value_or("");
  return p;
}

Logger* TestLogger() {
  static Logger logger(LogLevel::kInfo);
  return &logger;
}

StreamOptions Options(const PrivateServer& s, uint32_t id) {
  StreamOptions o;
  o.logger = TestLogger();
  o.server = s.Endpoint();
  o.server_id = id;
  o.heartbeat = std::chrono::milliseconds(300);
  o.reconnect_min = std::chrono::milliseconds(50);
  o.reconnect_max = std::chrono::milliseconds(500);
  return o;
}

// Reads inserted ids until `last` is seen; fails on a gap or repeat.
void ExpectIdsExactlyOnce(Subscription& sub, int last) {
  int expect = 1;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (expect <= last && std::chrono::steady_clock::now() < deadline) {
    auto next = sub.Next(std::chrono::milliseconds(200));
    ASSERT_TRUE(next.ok()) << next.status().ToString();
    if (!*next) continue;
    for (auto& ev : (*next)->rows) {
      for (auto& row : ev->after) {
        ASSERT_EQ(row[0].i, expect) << "lost or repeated id";
        ++expect;
      }
    }
  }
  EXPECT_EQ(expect, last + 1);
  auto extra = sub.Next(std::chrono::milliseconds(700));
  ASSERT_TRUE(extra.ok());
  EXPECT_FALSE(extra->has_value()) << "a transaction was delivered twice";
}

TEST_F(ReconnectE2E, ServerRestartMidStreamLosesAndRepeatsNothing) {
  auto conn = TestConn::Open(server_->Address());
  conn->MustExec("DROP DATABASE IF EXISTS rc");
  conn->MustExec("CREATE DATABASE rc");
  conn->MustExec("CREATE TABLE rc.t (id INT PRIMARY KEY, v VARCHAR(20))");
  StreamOptions o = Options(*server_, 801);
  o.start = CurrentPosition(*conn);
  BinlogStream stream(o);
  auto sub = stream.Subscribe({{{"rc", "t"}}, false});
  ASSERT_TRUE(stream.Start().ok());
  int id = 0;
  for (int k = 0; k < 50; ++k, ++id) conn->MustExec("INSERT INTO rc.t VALUES (" + std::to_string(id + 1) + ", 'before')");
  // Multi-statement transactions so a drop can fall inside one.
  conn->MustExec("BEGIN");
  for (int k = 0; k < 5; ++k, ++id) conn->MustExec("INSERT INTO rc.t VALUES (" + std::to_string(id + 1) + ", 'txn')");
  conn->MustExec("COMMIT");
  conn.reset();
  server_->Stop();
  ASSERT_TRUE(server_->Start());
  conn = TestConn::Open(server_->Address());
  for (int k = 0; k < 50; ++k, ++id) conn->MustExec("INSERT INTO rc.t VALUES (" + std::to_string(id + 1) + ", 'after')");
  ExpectIdsExactlyOnce(*sub, id);
  EXPECT_GE(stream.stats().reconnects, 1u);
  stream.Stop();
}

TEST_F(ReconnectE2E, DroppedConnectionsWhileWritingLoseAndRepeatNothing) {
  auto conn = TestConn::Open(server_->Address());
  conn->MustExec("DROP DATABASE IF EXISTS rd");
  conn->MustExec("CREATE DATABASE rd");
  conn->MustExec("CREATE TABLE rd.t (id INT PRIMARY KEY, pad VARCHAR(200))");
  StreamOptions o = Options(*server_, 802);
  o.start = CurrentPosition(*conn);
  BinlogStream stream(o);
  auto sub = stream.Subscribe({{{"rd", "t"}}, false});
  ASSERT_TRUE(stream.Start().ok());
  std::atomic<bool> done{false};
  std::thread chaos([&] {
    while (!done) {
      std::this_thread::sleep_for(std::chrono::milliseconds(37));
      stream.InterruptConnection();
    }
  });
  int id = 0;
  for (int t = 0; t < 100; ++t) {
    conn->MustExec("BEGIN");
    for (int k = 0; k < 3; ++k, ++id) conn->MustExec("INSERT INTO rd.t VALUES (" + std::to_string(id + 1) + ", REPEAT('x', 200))");
    conn->MustExec("COMMIT");
  }
  ExpectIdsExactlyOnce(*sub, id);
  done = true;
  chaos.join();
  EXPECT_GE(stream.stats().reconnects, 3u);
  stream.Stop();
}

TEST_F(ReconnectE2E, PurgedPositionIsATypedError) {
  auto conn = TestConn::Open(server_->Address());
  auto first = conn->Query("SHOW BINARY LOGS");
  ASSERT_FALSE(first.empty());
  std::string oldest = *first[0][0];
  // MariaDB keeps a binlog until InnoDB's binlog checkpoint has moved past
  // it, so the purge may need a few rounds.
  bool purged = false;
  for (int attempt = 0; attempt < 50 && !purged; ++attempt) {
    conn->MustExec("FLUSH BINARY LOGS");
    auto master = conn->Query("SHOW MASTER STATUS");
    conn->MustExec("PURGE BINARY LOGS TO '" + *master[0][0] + "'");
    purged = *conn->Query("SHOW BINARY LOGS")[0][0] != oldest;
    if (!purged) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_TRUE(purged);
  StreamOptions o = Options(*server_, 803);
  o.start.file = oldest;
  o.start.offset = 4;
  BinlogStream stream(o);
  auto sub = stream.Subscribe({});
  ASSERT_TRUE(stream.Start().ok());
  auto next = sub->Next(std::chrono::seconds(20));
  ASSERT_FALSE(next.ok()) << (*next ? (*next)->position.ToString() : "timeout");
  EXPECT_TRUE(IsPositionLost(next.status())) << next.status().ToString();
  EXPECT_EQ(next.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(IsPositionLost(stream.status()));
  stream.Stop();
}

// log_bin_compress is a global setting, so it is exercised on the private
// server: compressed query and rows events decode like plain ones.
TEST_F(ReconnectE2E, CompressedEventsFromTheServer) {
  auto conn = TestConn::Open(server_->Address());
  conn->MustExec("DROP DATABASE IF EXISTS cz");
  conn->MustExec("CREATE DATABASE cz");
  conn->MustExec("CREATE TABLE cz.t (id INT PRIMARY KEY, v TEXT)");
  conn->MustExec("SET GLOBAL log_bin_compress = ON, GLOBAL log_bin_compress_min_len = 10");
  auto writer = TestConn::Open(server_->Address());  // a new session sees the global
  StreamOptions o = Options(*server_, 804);
  o.start = CurrentPosition(*writer);
  o.start.file = *writer->Query("SHOW MASTER STATUS")[0][0];  // for SHOW BINLOG EVENTS below
  BinlogStream stream(o);
  auto sub = stream.Subscribe({{{"cz", "t"}}, false});
  ASSERT_TRUE(stream.Start().ok());
  writer->MustExec("INSERT INTO cz.t VALUES (1, REPEAT('compress me ', 500))");
  writer->MustExec("UPDATE cz.t SET v = REPEAT('again ', 300) WHERE id = 1");
  writer->MustExec("ALTER TABLE cz.t ADD COLUMN w INT /* a statement long enough to be compressed */");
  std::vector<Transaction> got;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (got.size() < 3 && std::chrono::steady_clock::now() < deadline) {
    auto next = sub->Next(std::chrono::milliseconds(200));
    ASSERT_TRUE(next.ok()) << next.status().ToString();
    if (*next) got.push_back(std::move(**next));
  }
  conn->MustExec("SET GLOBAL log_bin_compress = OFF");
  int compressed = 0;  // the server really wrote compressed events
  for (auto& row : conn->Query("SHOW BINLOG EVENTS IN '" + o.start.file + "'")) {
    if (row[2] && row[2]->find("compressed") != std::string::npos) ++compressed;
  }
  EXPECT_GE(compressed, 3);
  ASSERT_EQ(got.size(), 3u);
  std::string want1, want2;
  for (int k = 0; k < 500; ++k) want1 += "compress me ";
  for (int k = 0; k < 300; ++k) want2 += "again ";
  EXPECT_EQ(got[0].rows[0]->after[0][1].bytes, want1);
  EXPECT_EQ(got[1].rows[0]->before[0][1].bytes, want1);
  EXPECT_EQ(got[1].rows[0]->after[0][1].bytes, want2);
  ASSERT_EQ(got[2].statements.size(), 1u);
  EXPECT_NE(got[2].statements[0]->statement.find("ADD COLUMN w"), std::string::npos);
  stream.Stop();
}

}  // namespace
}  // namespace sealgate::binlog
