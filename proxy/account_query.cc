#include "proxy/account_query.h"

#include <cstdlib>

#include "migration/session_settings.h"
#include "protocol/messages.h"

namespace sealgate::proxy {

std::string AccountQuery::Sql() const {
  std::string sql = "SELECT CURRENT_USER()";
  if (settings) sql += ", " + migration::SessionSettings::SelectList();
  if (progress) sql += ", @@SESSION.progress_report_time";
  return sql;
}

AccountQuery::Answer AccountQuery::Read(std::string_view response) const {
  Answer out;
  auto row = protocol::FirstTextRow(response);
  const size_t want = 1 + (settings ? migration::SessionSettings::ColumnCount() : 0) + (progress ? 1 : 0);
  if (!row || row->size() != want) return out;
  // "user@host": the host is after the last '@'.
  const auto& account = row->front();
  size_t at = account ? account->rfind('@') : std::string::npos;
  if (at != std::string::npos) out.account_host = account->substr(at + 1);
  size_t next = 1;
  if (settings) {
    out.settings.emplace(row->begin() + 1, row->begin() + 1 + migration::SessionSettings::ColumnCount());
    next += migration::SessionSettings::ColumnCount();
  }
  if (progress && (*row)[next]) {
    char* end = nullptr;
    double seconds = std::strtod((*row)[next]->c_str(), &end);
    if (end && *end == '\0' && seconds >= 0) out.progress_seconds = seconds;
  }
  return out;
}

}  // namespace sealgate::proxy
