#include "migration/inspector.h"

#include <strings.h>

#include "sql/errors.h"

namespace sealgate::migration {

Status Refusal(uint16_t err, std::string message) {
  return Status::FailedPrecondition(std::move(message)).WithMysqlError(err, error::kSqlstateGeneral);
}

namespace {

// Whether user@host holds `privilege` on the table, globally, on its
// database or on the table — itself or through a role granted to it,
// directly or through other roles (MariaDB's mysql.roles_mapping). A role
// counts whether or not it is active in some session: its grantee may SET
// ROLE at any time, so it decides what the user may do.
StatusOr<bool> HasPrivilege(SqlConn& c, const std::string& user, const std::string& host,
                            const std::optional<std::string>& account_host, const sql::TableName& table,
                            const std::string& privilege) {
  std::string u = c.Quote(user), h = c.Quote(host), column = privilege + "_priv";
  auto count = [&](const std::string& grantee) {
    return "(SELECT COUNT(*) FROM mysql.user WHERE " + grantee + " AND " + column +
           " = 'Y') + (SELECT COUNT(*) FROM mysql.db WHERE " + grantee + " AND " + c.Quote(table.schema) +
           " LIKE Db AND " + column + " = 'Y') + (SELECT COUNT(*) FROM mysql.tables_priv WHERE " + grantee +
           " AND Db = " + c.Quote(table.schema) + " AND Table_name = " + c.Quote(table.name) + " AND FIND_IN_SET(" +
           c.Quote(privilege) + ", Table_priv))";
  };
  std::string self = "User = " + u + " AND " + (account_host ? "Host = " + c.Quote(*account_host) : h + " LIKE Host");
  std::string with_roles =
      "WITH RECURSIVE granted(role) AS (SELECT Role FROM mysql.roles_mapping WHERE " + self +
      " AND Host <> '' UNION SELECT m.Role FROM mysql.roles_mapping m JOIN granted ON m.User = granted.role AND "
      "m.Host = '') SELECT " +
      count("((" + self + ") OR (Host = '' AND User IN (SELECT role FROM granted)))");
  auto n = c.Scalar(with_roles);
  if (!n.ok() && c.server_errno() == 1146) n = c.Scalar("SELECT " + count(self));  // a server without roles_mapping
  if (!n.ok()) return n.status().Annotate("reading grant tables");
  return n->value_or("0") != "0";
}

}  // namespace

Status GrantTablePrivilegeCheck::Check(const sql::TableName& table, const std::string& privilege) {
  auto has = HasPrivilege(*admin_, user_, host_, account_host_, table, privilege);
  if (!has.ok()) return has.status();
  if (*has) return Status::Ok();
  std::string command = privilege;
  for (char& ch : command) ch = char(toupper(static_cast<unsigned char>(ch)));
  return Status::PermissionDenied(command + " command denied to user '" + user_ + "'@'" + host_ + "' for table '" +
                                  table.name + "'")
      .WithMysqlError(1142, "42000");
}

Status GrantTablePrivilegeCheck::CheckAlter(const sql::TableName& table) {
  auto has = HasPrivilege(*admin_, user_, host_, account_host_, table, "Alter");
  if (!has.ok()) return has.status();
  if (*has) return Status::Ok();
  return Status::PermissionDenied("ALTER command denied to user '" + user_ + "'@'" + host_ + "' for table " +
                                  QuoteTable(table.schema, table.name) +
                                  ": GRANT ALTER ON the table (or its database) to this user, or deploy as a user "
                                  "who has it")
      .WithMysqlError(error::kInspectAlterPrivilege, error::kSqlstateSyntax);
}

namespace {

Status CheckServer(SqlConn& c, const InspectOptions& options, InspectReport* report) {
  auto rows = c.Query(
      "SELECT @@global.log_bin, @@global.binlog_format, @@global.binlog_row_image, "
      "@@global.binlog_expire_logs_seconds");
  if (!rows.ok()) return rows.status();
  const SqlRow& r = rows->at(0);
  if (r[0].value_or("0") != "1") {
    return Refusal(error::kInspectBinlogOff,
                   "binary logging is off: restart the server with --log-bin so changes can be staged");
  }
  if (r[1].value_or("") != "ROW") {
    return Refusal(error::kInspectBinlogFormat, "binlog_format is " + r[1].value_or("?") +
                                                    ": run SET GLOBAL binlog_format=ROW (and reconnect writers) "
                                                    "before deploying");
  }
  if (r[2].value_or("") != "FULL") {
    return Refusal(error::kInspectBinlogRowImage, "binlog_row_image is " + r[2].value_or("?") +
                                                      ": run SET GLOBAL binlog_row_image=FULL before deploying");
  }
  report->binlog_retention_seconds = std::stoull(r[3].value_or("0"));
  auto need = uint64_t(options.min_binlog_retention.count());
  if (report->binlog_retention_seconds != 0 && report->binlog_retention_seconds < need) {
    return Refusal(error::kInspectBinlogRetention,
                   "binlogs expire after " + std::to_string(report->binlog_retention_seconds) +
                       " s but staging needs at least " + std::to_string(need) +
                       " s: raise binlog_expire_logs_seconds (or 0 to keep them)");
  }
  return Status::Ok();
}

Status CheckTable(SqlConn& c, const sql::AlterTable& alter, const sql::TableName& t, const InspectOptions& options,
                  InspectReport* report) {
  std::string where = "TABLE_SCHEMA = " + c.Quote(t.schema) + " AND TABLE_NAME = " + c.Quote(t.name);
  auto info = c.Query("SELECT ENGINE, TABLE_TYPE, IFNULL(TABLE_ROWS, 0), IFNULL(DATA_LENGTH, 0) + "
                      "IFNULL(INDEX_LENGTH, 0) FROM information_schema.TABLES WHERE " + where);
  if (!info.ok()) return info.status();
  std::string name = QuoteTable(t.schema, t.name);
  if (info->empty()) return Refusal(error::kInspectTable, "table " + name + " does not exist");
  const SqlRow& r = info->front();
  if (r[1].value_or("") != "BASE TABLE" || strcasecmp(r[0].value_or("").c_str(), "InnoDB") != 0) {
    return Refusal(error::kInspectTable, name + " is not an InnoDB base table: only InnoDB tables can be staged");
  }
  report->estimated_rows = std::stoull(r[2].value_or("0"));
  report->estimated_bytes = std::stoull(r[3].value_or("0"));
  // Foreign keys stay with the table across the swap (the deploy puts them
  // back right after the RENAME), as long as the ALTER leaves their columns
  // and indexes alone and no key changes rows by itself.
  auto fks = c.Query(
      "SELECT rc.CONSTRAINT_NAME, rc.TABLE_NAME, rc.REFERENCED_TABLE_NAME, rc.DELETE_RULE, rc.UPDATE_RULE, "
      "k.COLUMN_NAME, k.REFERENCED_COLUMN_NAME, (rc.CONSTRAINT_SCHEMA = " + c.Quote(t.schema) +
      " AND rc.TABLE_NAME = " + c.Quote(t.name) + "), rc.UNIQUE_CONSTRAINT_SCHEMA "
      "FROM information_schema.REFERENTIAL_CONSTRAINTS rc "
      "JOIN information_schema.KEY_COLUMN_USAGE k ON k.CONSTRAINT_SCHEMA = rc.CONSTRAINT_SCHEMA "
      "AND k.CONSTRAINT_NAME = rc.CONSTRAINT_NAME AND k.TABLE_NAME = rc.TABLE_NAME AND k.REFERENCED_TABLE_NAME "
      "IS NOT NULL WHERE (rc.CONSTRAINT_SCHEMA = " + c.Quote(t.schema) + " AND rc.TABLE_NAME = " + c.Quote(t.name) +
      ") OR (rc.UNIQUE_CONSTRAINT_SCHEMA = " + c.Quote(t.schema) + " AND rc.REFERENCED_TABLE_NAME = " +
      c.Quote(t.name) + ")");
  if (!fks.ok()) return fks.status();
  const std::string kKeepsKeys =
      "; outside a deploy block sealgate runs a plain ALTER of a small table (ddl.direct_max_rows) on the server "
      "under its hold, and adds or drops foreign keys without a copy; otherwise add the comment "
      "/*sealgate:passthrough*/ to have the server run the statement as written (not online)";
  std::vector<std::string> key_columns;  // this table's columns that a key uses, either way
  for (const SqlRow& k : *fks) {
    const bool own = k[7].value_or("0") == "1";
    const std::string key = "`" + k[0].value_or("") + "` of " + k[1].value_or("");
    // A cascading key's actions are repeated on the shadow at the parent's
    // rows event — unless they are not one level deep: a key of the table to
    // itself, or a parent whose own rows cascade (neither is in the binlog).
    for (int rule : {3, 4}) {
      const std::string r = k[rule].value_or("RESTRICT");
      if (!own || r == "RESTRICT" || r == "NO ACTION") continue;
      std::string why;
      if (r == "SET DEFAULT") why = "which the copy does not follow";
      if (k[1].value_or("") == k[2].value_or("")) why = "on the table itself: its cascades go on in more than one step";
      if (why.empty()) {
        auto deeper = c.Scalar("SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE "
                               "CONSTRAINT_SCHEMA = " + c.Quote(k[8].value_or("")) + " AND TABLE_NAME = " +
                               c.Quote(k[2].value_or("")) + " AND (DELETE_RULE NOT IN ('RESTRICT', 'NO ACTION') OR "
                               "UPDATE_RULE NOT IN ('RESTRICT', 'NO ACTION'))");
        if (!deeper.ok()) return deeper.status();
        if (deeper->value_or("0") != "0") {
          why = "whose parent " + k[2].value_or("") + " has cascading keys of its own: cascades in more than one "
                "step are not in the binlog";
        }
      }
      if (!why.empty()) {
        return Refusal(error::kInspectForeignKey, name + " has the foreign key " + key + " with " +
                                                      (rule == 3 ? "ON DELETE " : "ON UPDATE ") + r + ", " + why +
                                                      kKeepsKeys);
      }
    }
    key_columns.push_back(own ? k[5].value_or("") : k[6].value_or(""));
    if (own && k[1].value_or("") == k[2].value_or("")) key_columns.push_back(k[6].value_or(""));  // self-reference
  }
  if (!fks->empty()) {
    for (const auto& s : alter.specs) {
      bool touches = s.kind == sql::AlterSpecKind::kDropIndex || s.kind == sql::AlterSpecKind::kDropPrimaryKey ||
                     s.kind == sql::AlterSpecKind::kRenameIndex || s.kind == sql::AlterSpecKind::kConvertCharset ||
                     s.kind == sql::AlterSpecKind::kPartitioning || s.foreign_key;
      if (s.kind == sql::AlterSpecKind::kDropColumn || s.kind == sql::AlterSpecKind::kChangeColumn ||
          s.kind == sql::AlterSpecKind::kModifyColumn || s.kind == sql::AlterSpecKind::kRenameColumn) {
        for (const auto& col : key_columns) touches = touches || strcasecmp(col.c_str(), s.column.c_str()) == 0;
      }
      if (touches) {
        return Refusal(error::kInspectForeignKey,
                       name + " has foreign keys in or out, and `" + s.text +
                           "` changes a column or an index they use (or the keys themselves): a table copy keeps "
                           "foreign keys only when the ALTER leaves them alone" + kKeepsKeys);
      }
    }
  }
  if (options.triggers_moved) return Status::Ok();
  auto trg = c.Scalar("SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = " +
                      c.Quote(t.schema) + " AND EVENT_OBJECT_TABLE = " + c.Quote(t.name) + " LIMIT 1");
  if (!trg.ok()) return trg.status();
  if (trg->has_value()) {
    return Refusal(error::kInspectTrigger, name + " has trigger " + **trg +
                                               ": drop its triggers before deploying (recreate them after the seal)");
  }
  return Status::Ok();
}

// The ALTER drops the key's index (its columns may stay, and another key
// of the shadow may still identify the rows by them).
bool IndexDropped(const sql::AlterTable& alter, const TableSchema::Key& key) {
  for (const auto& s : alter.specs) {
    if (s.kind == sql::AlterSpecKind::kDropPrimaryKey && key.name == "PRIMARY") return true;
    if (s.kind == sql::AlterSpecKind::kDropIndex && strcasecmp(s.index_name.c_str(), key.name.c_str()) == 0) {
      return true;
    }
  }
  return false;
}

// The ALTER drops one of the key's columns: the shadow cannot be told which row is which by it.
bool ColumnsDropped(const sql::AlterTable& alter, const TableSchema::Key& key) {
  for (const auto& s : alter.specs) {
    if (s.kind == sql::AlterSpecKind::kDropColumn) {
      for (const auto& col : key.columns) {
        if (strcasecmp(col.c_str(), s.column.c_str()) == 0) return true;
      }
    }
  }
  return false;
}

}  // namespace

bool KeyColumnWalkable(const ColumnMeta& c) {
  static const char* kinds[] = {"tinyint", "smallint", "mediumint", "int",    "bigint",  "decimal", "year",
                                "date",    "datetime", "timestamp", "time",   "char",    "varchar", "binary",
                                "varbinary", "enum"};
  for (const char* k : kinds) {
    if (strcasecmp(c.data_type.c_str(), k) == 0) return true;
  }
  return false;
}

namespace {

// The first key column the copy cannot walk, or null.
const ColumnMeta* Unchunkable(const TableSchema& schema, const TableSchema::Key& key) {
  for (const auto& name : key.columns) {
    int i = schema.column_index(name);
    if (i >= 0 && !KeyColumnWalkable(schema.columns[size_t(i)])) return &schema.columns[size_t(i)];
  }
  return nullptr;
}

}  // namespace

StatusOr<InspectReport> Inspect(SqlConn& admin, const sql::AlterTable& alter, const InspectOptions& options,
                                PrivilegeCheck* privileges) {
  InspectReport report;
  if (privileges) SEALGATE_RETURN_IF_ERROR(privileges->CheckAlter(alter.table));
  SEALGATE_RETURN_IF_ERROR(CheckServer(admin, options, &report));
  SEALGATE_RETURN_IF_ERROR(CheckTable(admin, alter, alter.table, options, &report));
  auto schema = LoadTableSchema(admin, alter.table);
  if (!schema.ok()) return schema.status();
  report.schema = std::move(*schema);
  // The keys the copy may walk, in order: those the ALTER keeps, then those
  // whose index it drops but whose columns stay (the shadow's own keys then
  // decide: DescribeShadow).
  std::vector<TableSchema::Key> kept, reindexed;
  const TableSchema::Key* unwalkable = nullptr;  // the first surviving key with a column of that kind
  const ColumnMeta* unwalkable_column = nullptr;
  for (const auto& k : report.schema.unique_keys) {
    if (ColumnsDropped(alter, k)) continue;
    if (const ColumnMeta* c = Unchunkable(report.schema, k)) {
      if (!unwalkable) {
        unwalkable = &k;
        unwalkable_column = c;
      }
      continue;
    }
    (IndexDropped(alter, k) ? reindexed : kept).push_back(k);
  }
  report.keys = kept;
  report.keys.insert(report.keys.end(), reindexed.begin(), reindexed.end());
  const TableSchema::Key* chosen = report.keys.empty() ? nullptr : &report.keys.front();
  if (!chosen && unwalkable) {
    return Refusal(error::kInspectNoUniqueKey,
                   QuoteTable(alter.table.schema, alter.table.name) + " has no key the copy can walk: key " +
                       QuoteIdent(unwalkable->name) + " has column " + QuoteIdent(unwalkable_column->name) +
                       " of type " + unwalkable_column->column_type +
                       ", and SET, BIT, FLOAT, DOUBLE, TEXT/BLOB and UUID/INET key columns do not compare "
                       "as their index sorts. Add a PRIMARY KEY or NOT NULL UNIQUE key on integer, DECIMAL, "
                       "string or date/time columns first (as its own deploy), then deploy this ALTER");
  }
  if (!chosen) {
    return Refusal(error::kInspectNoUniqueKey,
                   QuoteTable(alter.table.schema, alter.table.name) +
                       " has no PRIMARY KEY or NOT NULL UNIQUE key whose columns the ALTER keeps: add a primary key first "
                       "(as its own deploy), or keep one in this ALTER");
  }
  report.key = *chosen;
  if (options.available_bytes && report.estimated_bytes + report.estimated_bytes / 5 > *options.available_bytes) {
    return Refusal(error::kInspectFreeSpace,
                   "the shadow table needs about " + std::to_string(report.estimated_bytes) + " bytes (+20%) but only " +
                       std::to_string(*options.available_bytes) + " are free: free disk space first");
  }
  return report;
}

}  // namespace sealgate::migration
