// ServerColumnCatalog: column names, signedness, collations and ENUM/SET
// labels from information_schema, for table maps that carry none (MariaDB's
// default binlog_row_metadata=NO_LOG). Use it as StreamOptions::column_lookup.
//
// It describes the table as it is *now*; events logged before a later ALTER
// may not match it (the stream re-reads a table after any statement that
// names it). Owns one connection, opened on first use and reopened after
// errors. Not thread-safe: the stream calls it from its reader thread only.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "binlog/binlog_stream.h"

namespace sealgate::binlog {

class ServerColumnCatalog {
 public:
  explicit ServerColumnCatalog(ServerEndpoint server) : server_(std::move(server)) {}
  ~ServerColumnCatalog();
  ServerColumnCatalog(const ServerColumnCatalog&) = delete;
  ServerColumnCatalog& operator=(const ServerColumnCatalog&) = delete;

  // nullopt if the table does not exist or the server cannot be reached.
  std::optional<std::vector<ColumnInfo>> Lookup(const std::string& schema, const std::string& table);

 private:
  ServerEndpoint server_;
  MYSQL* mysql_ = nullptr;
};

// "enum('a','b''c')" / "set(...)" -> labels; empty for other column types.
std::vector<std::string> ParseEnumLabels(const std::string& column_type);

}  // namespace sealgate::binlog
