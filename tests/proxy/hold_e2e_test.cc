// End-to-end: the write hold of a seal, on an in-process proxy in front of the
// real server. Clients see latency, never an error; sessions inside a
// transaction or holding locks are never held nor waited for.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "proxy/server.h"
#include "support/test_conn.h"

namespace sealgate::test {
namespace {

using namespace std::chrono_literals;

class HoldTest : public ::testing::Test {
 protected:
  void SetUp() override {
    proxy::Config config;
    config.listen = {"127.0.0.1", FreePort()};
    config.upstream = {"127.0.0.1", TestServer().port};
    config.threads = 2;
    server_ = std::make_unique<proxy::Server>(config, &logger_);
    ASSERT_TRUE(server_->Start().ok());
    address_ = ServerAddress{"127.0.0.1", config.listen.port, TestServer().user, TestServer().password};
    auto admin = TestConn::Open(TestServer());
    admin->MustExec("CREATE DATABASE IF NOT EXISTS hold_e2e");
    admin->MustExec("CREATE OR REPLACE TABLE hold_e2e.t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB");
  }
  void TearDown() override {
    server_->Shutdown();
    server_.reset();
  }
  std::unique_ptr<TestConn> Client() { return TestConn::Open(address_, "hold_e2e"); }

  Logger logger_{LogLevel::kWarn};
  std::unique_ptr<proxy::Server> server_;
  ServerAddress address_;
};

TEST_F(HoldTest, IdleSessionsAreHeldUntilTheHoldEnds) {
  auto a = Client();
  auto b = Client();
  auto& gate = server_->hold_gate();
  gate.Begin();
  ASSERT_TRUE(gate.WaitApplied(2s));
  auto started = std::chrono::steady_clock::now();
  auto write = std::async(std::launch::async, [&] { return a->Exec("INSERT INTO t VALUES (1, 1)"); });
  EXPECT_EQ(write.wait_for(300ms), std::future_status::timeout) << "statement was not held";
  // Nothing reached the server while held.
  EXPECT_EQ(TestConn::Open(TestServer())->Scalar("SELECT COUNT(*) FROM hold_e2e.t"), "0");
  gate.End();
  EXPECT_TRUE(write.get()) << a->last_error();
  EXPECT_GE(std::chrono::steady_clock::now() - started, 300ms);
  EXPECT_EQ(b->Scalar("SELECT v FROM t WHERE id = 1"), "1");
}

TEST_F(HoldTest, SessionsInsideATransactionAreNeitherHeldNorWaitedFor) {
  auto tx = Client();
  tx->MustExec("SET autocommit = 0");
  EXPECT_EQ(tx->Scalar("SELECT COUNT(*) FROM t"), "0");  // idle inside a transaction, as DB-API pools are
  auto& gate = server_->hold_gate();
  gate.Begin();
  ASSERT_TRUE(gate.WaitApplied(2s)) << "the hold waited for a session inside a transaction";
  auto inside = std::async(std::launch::async, [&] { return tx->Exec("INSERT INTO t VALUES (2, 2)"); });
  ASSERT_EQ(inside.wait_for(2s), std::future_status::ready) << "a statement inside a transaction was held";
  EXPECT_TRUE(inside.get());
  EXPECT_TRUE(tx->Exec("COMMIT"));
  // Once committed it is at a statement boundary again (autocommit=0 opens
  // the next transaction only with the next statement): that one is held.
  auto after = std::async(std::launch::async, [&] { return tx->Scalar("SELECT v FROM t WHERE id = 2"); });
  EXPECT_EQ(after.wait_for(200ms), std::future_status::timeout);
  gate.End();
  EXPECT_EQ(after.get(), "2");
}

TEST_F(HoldTest, HoldsAreCounted) {
  auto a = Client();
  auto& gate = server_->hold_gate();
  gate.Begin();
  gate.Begin();
  ASSERT_TRUE(gate.WaitApplied(2s));
  gate.End();  // one hold is still on
  EXPECT_TRUE(gate.active());
  auto write = std::async(std::launch::async, [&] { return a->Exec("INSERT INTO t VALUES (5, 5)"); });
  EXPECT_EQ(write.wait_for(200ms), std::future_status::timeout) << "the first End() released the other hold";
  gate.End();
  EXPECT_FALSE(gate.active());
  EXPECT_TRUE(write.get()) << a->last_error();
  gate.End();  // an extra End() is harmless
  EXPECT_FALSE(gate.active());
}

TEST_F(HoldTest, PipelinedAndConcurrentWritersLoseNothing) {
  std::atomic<bool> stop{false};
  std::atomic<int> acknowledged{0}, errors{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 6; ++w) {
    writers.emplace_back([&, w] {
      TestConn c;
      if (!c.Connect(address_, "hold_e2e")) {
        ++errors;
        return;
      }
      for (int i = 0; !stop; ++i) {
        int id = 1000 + w * 100000 + i;
        if (c.Exec("INSERT INTO t VALUES (" + std::to_string(id) + ", " + std::to_string(w) + ")")) ++acknowledged;
        else ++errors;
      }
    });
  }
  auto& gate = server_->hold_gate();
  for (int round = 0; round < 5; ++round) {
    std::this_thread::sleep_for(50ms);
    gate.Begin();
    ASSERT_TRUE(gate.WaitApplied(5s));
    std::this_thread::sleep_for(30ms);
    gate.End();
  }
  stop = true;
  for (auto& t : writers) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_GT(acknowledged.load(), 0);
  EXPECT_EQ(TestConn::Open(TestServer())->Scalar("SELECT COUNT(*) FROM hold_e2e.t WHERE id >= 1000"),
            std::to_string(acknowledged.load()));
}

TEST_F(HoldTest, SessionsHoldingLocksAreNotHeld) {
  // Migration tools (sqitch) lock their bookkeeping tables while an ALTER runs;
  // Rails takes GET_LOCK around its migrations.
  TestConn::Open(TestServer())->MustExec("CREATE OR REPLACE TABLE hold_e2e.registry (id INT PRIMARY KEY)");
  auto tool = Client();
  tool->MustExec("LOCK TABLES registry WRITE");
  auto leader = Client();
  EXPECT_EQ(leader->Scalar("SELECT GET_LOCK('leader', 0)"), "1");
  auto& gate = server_->hold_gate();
  gate.Begin();
  ASSERT_TRUE(gate.WaitApplied(2s));
  auto write = std::async(std::launch::async, [&] { return tool->Exec("INSERT INTO registry VALUES (1)"); });
  EXPECT_EQ(write.wait_for(2s), std::future_status::ready) << "a session holding its own locks was held";
  EXPECT_TRUE(write.get()) << tool->last_error();
  auto release = std::async(std::launch::async, [&] { return leader->Scalar("SELECT RELEASE_LOCK('leader')"); });
  EXPECT_EQ(release.wait_for(2s), std::future_status::ready);
  EXPECT_EQ(release.get(), "1");
  tool->MustExec("UNLOCK TABLES");
  gate.End();
}

}  // namespace
}  // namespace sealgate::test
