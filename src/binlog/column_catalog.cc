#include "binlog/column_catalog.h"

#include <mysql.h>

#include <cstdlib>

namespace sealgate::binlog {

std::vector<std::string> ParseEnumLabels(const std::string& type) {
  std::vector<std::string> out;
  if (type.rfind("enum(", 0) != 0 && type.rfind("set(", 0) != 0) return out;
  size_t i = type.find('(') + 1;
  while (i < type.size() && type[i] == '\'') {
    std::string label;
    for (++i; i < type.size(); ++i) {
      if (type[i] == '\'' && i + 1 < type.size() && type[i + 1] == '\'') {
        label.push_back('\'');
        ++i;
      } else if (type[i] == '\\' && i + 1 < type.size()) {
        label.push_back(type[++i]);
      } else if (type[i] == '\'') {
        ++i;
        break;
      } else {
        label.push_back(type[i]);
      }
    }
    out.push_back(std::move(label));
    if (i < type.size() && type[i] == ',') ++i;
  }
  return out;
}

ServerColumnCatalog::~ServerColumnCatalog() {
  if (mysql_) mysql_close(mysql_);
}

std::optional<std::vector<ColumnInfo>> ServerColumnCatalog::Lookup(const std::string& schema,
                                                                   const std::string& table) {
  if (!mysql_) {
    mysql_ = mysql_init(nullptr);
    unsigned timeout = unsigned(server_.connect_timeout.count());
    mysql_options(mysql_, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    if (!mysql_real_connect(mysql_, server_.host.c_str(), server_.user.c_str(), server_.password.c_str(), nullptr,
                            unsigned(server_.port), nullptr, 0)) {
      mysql_close(mysql_);
      mysql_ = nullptr;
      return std::nullopt;
    }
    mysql_set_character_set(mysql_, "utf8mb4");
  }
  auto esc = [&](const std::string& s) {
    std::string out(s.size() * 2 + 1, '\0');
    out.resize(mysql_real_escape_string(mysql_, out.data(), s.data(), s.size()));
    return out;
  };
  std::string sql =
      "SELECT c.COLUMN_NAME, c.COLUMN_TYPE, IFNULL(co.ID, IF(c.DATA_TYPE IN ('binary', 'varbinary', 'tinyblob', "
      "'blob', 'mediumblob', 'longblob'), 63, 0)) FROM information_schema.COLUMNS c "
      "LEFT JOIN information_schema.COLLATIONS co ON co.COLLATION_NAME = c.COLLATION_NAME "
      "WHERE c.TABLE_SCHEMA = '" + esc(schema) + "' AND c.TABLE_NAME = '" + esc(table) +
      "' ORDER BY c.ORDINAL_POSITION";
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
    mysql_close(mysql_);
    mysql_ = nullptr;
    return std::nullopt;
  }
  MYSQL_RES* res = mysql_store_result(mysql_);
  if (!res) return std::nullopt;
  std::vector<ColumnInfo> cols;
  while (MYSQL_ROW row = mysql_fetch_row(res)) {
    ColumnInfo c;
    c.name = row[0] ? row[0] : "";
    std::string type = row[1] ? row[1] : "";
    c.is_unsigned = type.find(" unsigned") != std::string::npos;
    c.charset = row[2] ? unsigned(std::strtoul(row[2], nullptr, 10)) : 0;
    c.enum_values = ParseEnumLabels(type);
    cols.push_back(std::move(c));
  }
  mysql_free_result(res);
  if (cols.empty()) return std::nullopt;
  return cols;
}

}  // namespace sealgate::binlog
