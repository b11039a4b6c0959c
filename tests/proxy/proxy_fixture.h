// A sealgate in front of the shared test MariaDB, one per test suite.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "support/proxy_process.h"
#include "support/test_conn.h"

namespace sealgate::test {

class ProxyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    proxy_ = new ProxyProcess;
    ASSERT_TRUE(proxy_->Start({})) << "sealgate did not start:\n" << proxy_->log();
  }
  static void TearDownTestSuite() {
    delete proxy_;
    proxy_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(proxy_, nullptr);
    ASSERT_TRUE(proxy_->running()) << proxy_->log();
  }
  // A client connected through the proxy.
  std::unique_ptr<TestConn> ViaProxy(const std::string& db = "") { return TestConn::Open(proxy_->address(), db); }
  // A client connected directly to the server.
  std::unique_ptr<TestConn> Direct(const std::string& db = "") { return TestConn::Open(TestServer(), db); }

  static ProxyProcess* proxy_;
};

inline ProxyProcess* ProxyTest::proxy_ = nullptr;

}  // namespace sealgate::test
