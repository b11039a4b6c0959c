#include "support/test_conn.h"

#include <gtest/gtest.h>

#include <memory>

namespace sealgate::test {

TestConn::~TestConn() {
  if (mysql_) mysql_close(mysql_);
}

bool TestConn::Connect(const ServerAddress& addr, const std::string& database) {
  mysql_ = mysql_init(nullptr);
  unsigned timeout = 30;
  mysql_optionsv(mysql_, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  my_bool no_ssl = 0;
  mysql_optionsv(mysql_, MYSQL_OPT_SSL_ENFORCE, &no_ssl);
  if (!mysql_real_connect(mysql_, addr.host.c_str(), addr.user.c_str(), addr.password.c_str(),
                          database.empty() ? nullptr : database.c_str(), addr.port, nullptr,
                          CLIENT_MULTI_STATEMENTS | CLIENT_MULTI_RESULTS)) {
    RecordError();
    return false;
  }
  return true;
}

std::unique_ptr<TestConn> TestConn::Open(const ServerAddress& addr, const std::string& database) {
  auto conn = std::make_unique<TestConn>();
  if (!conn->Connect(addr, database)) {
    ADD_FAILURE() << "connect to " << addr.host << ":" << addr.port << " as " << addr.user << ": "
                  << conn->last_error();
  }
  return conn;
}

void TestConn::RecordError() {
  last_errno_ = mysql_errno(mysql_);
  last_error_ = mysql_error(mysql_);
}

bool TestConn::Exec(const std::string& sql) {
  last_errno_ = 0;
  last_error_.clear();
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
    RecordError();
    return false;
  }
  for (;;) {
    MYSQL_RES* res = mysql_store_result(mysql_);
    if (res) mysql_free_result(res);
    int next = mysql_next_result(mysql_);
    if (next > 0) {
      RecordError();
      return false;
    }
    if (next < 0) break;
  }
  return true;
}

void TestConn::MustExec(const std::string& sql) {
  if (!Exec(sql)) ADD_FAILURE() << "statement failed: " << sql << "\n  error " << last_errno_ << ": " << last_error_;
}

std::vector<Row> TestConn::Query(const std::string& sql) {
  std::vector<Row> rows;
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
    RecordError();
    ADD_FAILURE() << "query failed: " << sql << "\n  error " << last_errno_ << ": " << last_error_;
    return rows;
  }
  MYSQL_RES* res = mysql_store_result(mysql_);
  if (res) {
    unsigned n = mysql_num_fields(res);
    while (MYSQL_ROW r = mysql_fetch_row(res)) {
      unsigned long* lengths = mysql_fetch_lengths(res);
      Row row;
      for (unsigned i = 0; i < n; ++i) {
        if (r[i]) row.emplace_back(std::string(r[i], lengths[i]));
        else row.emplace_back(std::nullopt);
      }
      rows.push_back(std::move(row));
    }
    mysql_free_result(res);
  }
  while (mysql_next_result(mysql_) == 0) {
    MYSQL_RES* extra = mysql_store_result(mysql_);
    if (extra) mysql_free_result(extra);
  }
  return rows;
}

std::optional<std::string> TestConn::Scalar(const std::string& sql) {
  auto rows = Query(sql);
  if (rows.empty() || rows[0].empty()) return std::nullopt;
  return rows[0][0];
}

}  // namespace sealgate::test
