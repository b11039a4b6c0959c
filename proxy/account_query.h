// AccountQuery: what sealgate reads on the client's own connection just
// before it answers one of the client's statements itself, in one SELECT:
// the account the server authenticated the session as (CURRENT_USER(), for
// privilege checks), and when asked the session settings that give DDL its
// meaning (migration::SessionSettings::SelectList()) and how often the client
// wants progress reports (@@SESSION.progress_report_time).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sealgate::proxy {

struct AccountQuery {
  bool settings = false;
  bool progress = false;

  std::string Sql() const;

  struct Answer {
    std::optional<std::string> account_host;  // Host of CURRENT_USER()
    std::optional<std::vector<std::optional<std::string>>> settings;
    std::optional<double> progress_seconds;   // 0: the client wants no progress reports
  };
  // Reads the server's whole response (framing included); what it cannot
  // read stays unset (an ERR, an anonymous account without '@', ...).
  Answer Read(std::string_view response) const;
};

}  // namespace sealgate::proxy
