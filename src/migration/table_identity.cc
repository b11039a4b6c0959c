#include "migration/table_identity.h"

#include <cstdlib>

namespace sealgate::migration {

StatusOr<std::optional<uint64_t>> InnodbTableId(SqlConn& conn, const std::string& schema, const std::string& table) {
  // INNODB_SYS_TABLES names a table "database/table" in the server's file
  // name encoding (`~` is "@007e"), which CONVERT(... USING filename) gives.
  auto id = conn.Scalar("SELECT TABLE_ID FROM information_schema.INNODB_SYS_TABLES WHERE NAME = CONCAT(CAST(CONVERT(" +
                        conn.Quote(schema) + " USING filename) AS BINARY), '/', CAST(CONVERT(" + conn.Quote(table) +
                        " USING filename) AS BINARY))");
  if (!id.ok()) return id.status().Annotate("reading the table id of " + QuoteTable(schema, table));
  if (!*id) return std::optional<uint64_t>();
  return std::optional<uint64_t>(std::strtoull((*id)->c_str(), nullptr, 10));
}

Status BoundMismatch(const std::string& schema, const std::string& table, std::optional<uint64_t> bound,
                     std::optional<uint64_t> now) {
  if (!bound || now == bound) return Status::Ok();
  return Status::FailedPrecondition(QuoteTable(schema, table) + " is not the table this migration created (InnoDB " +
                                    "table id " + std::to_string(*bound) + "; " +
                                    (now ? "now " + std::to_string(*now) + ": another table has its name"
                                         : std::string("no such table now")) +
                                    "): it is never written to, resumed on or dropped by this migration");
}

Status CheckBoundTable(SqlConn& conn, const std::string& schema, const std::string& table,
                       std::optional<uint64_t> bound) {
  if (!bound) return Status::Ok();
  auto now = InnodbTableId(conn, schema, table);
  if (!now.ok()) return now.status();
  return BoundMismatch(schema, table, bound, *now);
}

}  // namespace sealgate::migration
