#include "migration/session_settings.h"

#include <algorithm>
#include <functional>

#include "common/utf8.h"

namespace sealgate::migration {
namespace {

// Applied in this order (collation_connection after character_set_client:
// it sets the connection's character set too).
constexpr const char* kApplied[] = {"sql_mode",  "default_storage_engine",          "character_set_client",
                                    "collation_connection", "time_zone", "explicit_defaults_for_timestamp"};
constexpr size_t kAppliedCount = sizeof(kApplied) / sizeof(kApplied[0]);

bool Plain(const std::string& v) {
  if (v.empty()) return true;
  for (char ch : v) {
    auto c = static_cast<unsigned char>(ch);
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == ',' ||
              c == '+' || c == '-' || c == ':' || c == '/' || c == '.';
    if (!ok) return false;
  }
  return true;
}

bool Numeric(const std::string& v) {
  if (v.empty()) return false;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

std::string SessionSettings::SelectList() {
  std::string s;
  for (const char* name : kApplied) s += std::string(s.empty() ? "" : ", ") + "@@SESSION." + name;
  return s + ", @@SESSION.foreign_key_checks";
}

size_t SessionSettings::ColumnCount() { return kAppliedCount + 1; }

std::optional<SessionSettings> SessionSettings::FromRow(const std::vector<std::optional<std::string>>& row) {
  if (row.size() != ColumnCount()) return std::nullopt;
  SessionSettings s;
  for (size_t i = 0; i < kAppliedCount; ++i) {
    if (!row[i] || !Plain(*row[i])) return std::nullopt;
    s.values.emplace_back(kApplied[i], *row[i]);
  }
  const auto& fkc = row[kAppliedCount];
  if (!fkc || !Numeric(*fkc)) return std::nullopt;
  s.foreign_key_checks = *fkc != "0";
  return s;
}

StatusOr<SessionSettings> SessionSettings::Read(SqlConn& conn) {
  auto rows = conn.Query("SELECT " + SelectList());
  if (!rows.ok()) return rows.status();
  if (rows->size() != 1) return Status::Internal("reading session settings: no row");
  auto s = FromRow(rows->front());
  if (!s) return Status::Internal("reading session settings: a value sealgate cannot set again");
  return *s;
}

std::string SessionSettings::AssignmentSql() const {
  std::string sql;
  for (const auto& [name, value] : values) {
    sql += std::string(sql.empty() ? "SET SESSION " : ", ") + name + " = " +
           (Numeric(value) ? value : "'" + value + "'");
  }
  return sql;
}

bool IsUtf8Charset(const std::string& charset) {
  return charset == "utf8mb4" || charset == "utf8mb3" || charset == "utf8";
}

StatusOr<std::string> SessionSettings::TextAsUtf8(SqlConn& conn, const std::string& text) {
  auto client = std::find_if(values.begin(), values.end(), [](const auto& v) { return v.first == "character_set_client"; });
  if (IsAscii(text) || client == values.end() || IsUtf8Charset(client->second)) return text;
  const std::string& cs = client->second;
  // `cs` is a plain word (FromRow checked it), the server's own name for it.
  auto converted = conn.Scalar("SELECT CONVERT(_" + cs + " X'" + HexBytes(text) + "' USING utf8mb4)");
  if (!converted.ok()) return converted.status();
  if (!converted->has_value()) return Status::InvalidArgument("the statement's text is not valid " + cs);
  client->second = "utf8mb4";
  return **converted;
}

Status WithSessionSettings(SqlConn& conn, const std::optional<SessionSettings>& settings,
                           const std::function<Status()>& body) {
  if (!settings || settings->values.empty()) return body();
  auto own = SessionSettings::Read(conn);
  if (!own.ok()) return own.status();
  SEALGATE_RETURN_IF_ERROR(conn.Exec(settings->AssignmentSql()));
  Status done = body();
  Status back = conn.Exec(own->AssignmentSql());
  return done.ok() ? back : done;
}

}  // namespace sealgate::migration
