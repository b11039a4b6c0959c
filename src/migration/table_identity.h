// The server's own identity of a table: InnoDB's table id. A RENAME and an
// in-place or instant ALTER keep it; a table created anew (also under a name
// another table had) gets a new one, and ids are never reused. A migration
// records the id of the table it writes into (its shadow, or a follower's
// kept table) and never writes into, resumes on, or drops a table of that
// name with another id: nothing can apply into another migration's shadow.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/status.h"
#include "migration/sql_conn.h"

namespace sealgate::migration {

// The InnoDB table id of `schema`.`table`; nullopt when there is no such
// InnoDB table. Reads information_schema.INNODB_SYS_TABLES (PROCESS privilege).
StatusOr<std::optional<uint64_t>> InnodbTableId(SqlConn& conn, const std::string& schema, const std::string& table);

// Ok when the table named `schema`.`table`, whose id is `now` (nullopt: no
// such table), is the table with id `bound` (or when nothing was recorded:
// metadata of an older sealgate). Otherwise FailedPrecondition saying what
// stands under that name.
Status BoundMismatch(const std::string& schema, const std::string& table, std::optional<uint64_t> bound,
                     std::optional<uint64_t> now);
// BoundMismatch with the table's id read through `conn` (when one was recorded).
Status CheckBoundTable(SqlConn& conn, const std::string& schema, const std::string& table,
                       std::optional<uint64_t> bound);

}  // namespace sealgate::migration
