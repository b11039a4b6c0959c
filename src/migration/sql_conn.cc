#include "migration/sql_conn.h"

#include <mysql.h>
#include <mysqld_error.h>

namespace sealgate::migration {

SqlConn::~SqlConn() {
  if (mysql_) mysql_close(mysql_);
}

SqlConn::SqlConn(SqlConn&& other) noexcept { *this = std::move(other); }

SqlConn& SqlConn::operator=(SqlConn&& other) noexcept {
  if (this != &other) {
    if (mysql_) mysql_close(mysql_);
    mysql_ = other.mysql_;
    other.mysql_ = nullptr;
    affected_ = other.affected_;
    errno_ = other.errno_;
    sqlstate_ = std::move(other.sqlstate_);
    error_ = std::move(other.error_);
  }
  return *this;
}

StatusOr<SqlConn> SqlConn::Open(const binlog::ServerEndpoint& server, std::chrono::seconds read_timeout) {
  SqlConn c;
  c.mysql_ = mysql_init(nullptr);
  if (!c.mysql_) return Status::ResourceExhausted("mysql_init failed");
  unsigned timeout = unsigned(server.connect_timeout.count());
  mysql_options(c.mysql_, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  if (read_timeout.count() > 0) {
    unsigned io = unsigned(read_timeout.count());
    mysql_options(c.mysql_, MYSQL_OPT_READ_TIMEOUT, &io);
    mysql_options(c.mysql_, MYSQL_OPT_WRITE_TIMEOUT, &io);
  }
  mysql_options(c.mysql_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  if (!mysql_real_connect(c.mysql_, server.host.c_str(), server.user.c_str(), server.password.c_str(), nullptr,
                          unsigned(server.port), nullptr, CLIENT_MULTI_STATEMENTS)) {
    Status st = Status::Unavailable("connecting to " + server.host + ":" + std::to_string(server.port) + ": " +
                                    mysql_error(c.mysql_));
    mysql_close(c.mysql_);
    c.mysql_ = nullptr;
    return st;
  }
  // Values are compared and rendered in UTC everywhere (DESIGN.md §8).
  SEALGATE_RETURN_IF_ERROR(c.Exec("SET time_zone = '+00:00', autocommit = 1"));
  return c;
}

StatusOr<bool> TableExists(SqlConn& conn, const std::string& schema, const std::string& table) {
  auto n = conn.Scalar("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = " + conn.Quote(schema) +
                       " AND TABLE_NAME = " + conn.Quote(table));
  if (!n.ok()) return n.status();
  return n->value_or("0") != "0";
}

uint64_t SqlConn::connection_id() const { return mysql_ ? mysql_thread_id(mysql_) : 0; }

Status SqlConn::Fail(const std::string& sql) {
  errno_ = mysql_errno(mysql_);
  sqlstate_ = mysql_sqlstate(mysql_);
  error_ = mysql_error(mysql_);
  std::string shown = sql.size() > 300 ? sql.substr(0, 300) + "..." : sql;
  std::string msg = "error " + std::to_string(errno_) + ": " + error_ + " (in: " + shown + ")";
  if (errno_ == 2006 || errno_ == 2013 || errno_ == 2055) return Status::Unavailable(msg);
  return Status::Aborted(msg);
}

Status SqlConn::Exec(const std::string& sql) {
  if (!mysql_) return Status::Unavailable("not connected");
  errno_ = 0;
  sqlstate_ = "00000";
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) return Fail(sql);
  affected_ = 0;
  do {
    MYSQL_RES* res = mysql_store_result(mysql_);
    if (res) {
      mysql_free_result(res);
    } else if (mysql_field_count(mysql_) == 0) {
      affected_ = mysql_affected_rows(mysql_);
    } else {
      return Fail(sql);
    }
  } while (mysql_next_result(mysql_) == 0);
  if (mysql_errno(mysql_) != 0) return Fail(sql);
  return Status::Ok();
}

Status SqlConn::ExecBatch(const std::vector<std::string>& statements, size_t* failed) {
  if (!mysql_) return Status::Unavailable("not connected");
  constexpr size_t kPacketBytes = size_t(4) << 20;
  size_t i = 0;
  while (i < statements.size()) {
    size_t start = i;
    std::string sql;
    while (i < statements.size() && (sql.empty() || sql.size() + statements[i].size() < kPacketBytes)) {
      if (!sql.empty()) sql += ";\n";
      sql += statements[i++];
    }
    errno_ = 0;
    sqlstate_ = "00000";
    size_t current = start;
    if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
      if (failed) *failed = current;
      return Fail(statements[current]);
    }
    while (true) {
      if (MYSQL_RES* res = mysql_store_result(mysql_)) {
        mysql_free_result(res);
      } else {
        affected_ = mysql_affected_rows(mysql_);
      }
      int next = mysql_next_result(mysql_);
      if (next == -1) break;
      ++current;
      if (next > 0) {
        if (failed) *failed = current;
        return Fail(current < statements.size() ? statements[current] : sql);
      }
    }
  }
  return Status::Ok();
}

StatusOr<std::vector<SqlRow>> SqlConn::Query(const std::string& sql, std::vector<std::string>* column_names) {
  if (column_names) column_names->clear();
  if (!mysql_) return Status::Unavailable("not connected");
  errno_ = 0;
  sqlstate_ = "00000";
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) return Fail(sql);
  MYSQL_RES* res = mysql_store_result(mysql_);
  if (!res) {
    if (mysql_field_count(mysql_) != 0) return Fail(sql);
    return std::vector<SqlRow>{};
  }
  std::vector<SqlRow> rows;
  unsigned n = mysql_num_fields(res);
  if (column_names) {
    MYSQL_FIELD* fields = mysql_fetch_fields(res);
    for (unsigned i = 0; i < n; ++i) column_names->emplace_back(fields[i].name, fields[i].name_length);
  }
  while (MYSQL_ROW row = mysql_fetch_row(res)) {
    unsigned long* lengths = mysql_fetch_lengths(res);
    SqlRow r(n);
    for (unsigned i = 0; i < n; ++i) {
      if (row[i]) r[i] = std::string(row[i], lengths[i]);
    }
    rows.push_back(std::move(r));
  }
  mysql_free_result(res);
  while (mysql_next_result(mysql_) == 0) {
    if (MYSQL_RES* extra = mysql_store_result(mysql_)) mysql_free_result(extra);
  }
  return rows;
}

StatusOr<std::optional<std::string>> SqlConn::Scalar(const std::string& sql) {
  auto rows = Query(sql);
  if (!rows.ok()) return rows.status();
  if (rows->empty() || rows->front().empty()) return std::optional<std::string>();
  return rows->front()[0];
}

std::string SqlConn::Escape(const std::string& s) const {
  std::string out(s.size() * 2 + 1, '\0');
  if (mysql_) {
    out.resize(mysql_real_escape_string(mysql_, out.data(), s.data(), s.size()));
    return out;
  }
  out.clear();
  for (char ch : s) {
    if (ch == '\'' || ch == '\\') out.push_back('\\');
    out.push_back(ch);
  }
  return out;
}

std::string QuoteIdent(const std::string& name) {
  std::string out = "`";
  for (char ch : name) {
    if (ch == '`') out.push_back('`');
    out.push_back(ch);
  }
  return out + "`";
}

std::string QuoteTable(const std::string& schema, const std::string& table) {
  return schema.empty() ? QuoteIdent(table) : QuoteIdent(schema) + "." + QuoteIdent(table);
}

std::string BytesFromHex(const std::string& hex) {
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

std::string HexBytes(const std::string& bytes) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char ch : bytes) {
    out.push_back(digits[ch >> 4]);
    out.push_back(digits[ch & 15]);
  }
  return out;
}

}  // namespace sealgate::migration
