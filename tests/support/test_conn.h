// TestConn: a small RAII wrapper over a MariaDB Connector/C connection for
// tests. Failures are reported as gtest failures (ADD_FAILURE), never thrown.
#pragma once

#include <mysql.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/test_env.h"

namespace sealgate::test {

using Row = std::vector<std::optional<std::string>>;

class TestConn {
 public:
  TestConn() = default;
  ~TestConn();
  TestConn(const TestConn&) = delete;
  TestConn& operator=(const TestConn&) = delete;

  // Connects over TCP; returns false (and records mysql_error in last_error()) on failure.
  bool Connect(const ServerAddress& addr, const std::string& database = "");
  // Connects, failing the current test if it cannot.
  static std::unique_ptr<TestConn> Open(const ServerAddress& addr, const std::string& database = "");

  // Runs a statement (all result sets are consumed). Returns false on error.
  bool Exec(const std::string& sql);
  // Runs a statement and fails the test on error.
  void MustExec(const std::string& sql);
  // Runs a query and returns all rows of its first result set (NULL -> nullopt).
  std::vector<Row> Query(const std::string& sql);
  // First column of the first row, or nullopt if no row / NULL.
  std::optional<std::string> Scalar(const std::string& sql);

  unsigned last_errno() const { return last_errno_; }
  const std::string& last_error() const { return last_error_; }
  MYSQL* handle() { return mysql_; }

 private:
  void RecordError();
  MYSQL* mysql_ = nullptr;
  unsigned last_errno_ = 0;
  std::string last_error_;
};

}  // namespace sealgate::test
