#include "migration/shadow.h"

#include <strings.h>

#include <algorithm>
#include <functional>

#include "common/utf8.h"
#include "sql/errors.h"

namespace sealgate::migration {

StatusOr<std::string> ChooseShadowName(SqlConn& admin, const sql::TableName& table, const std::string& prefix) {
  std::string base = table.name;
  if (base.size() > 48) {
    char hash[16];
    std::snprintf(hash, sizeof hash, "%08zx", std::hash<std::string>{}(table.name) & 0xffffffffu);
    base = std::string(Utf8Prefix(base, 39)) + "_" + hash;
  }
  for (int n = 1; n < 100; ++n) {
    std::string name = prefix + base + "_new" + (n == 1 ? "" : std::to_string(n));
    auto exists = admin.Scalar("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = " +
                               admin.Quote(table.schema) + " AND TABLE_NAME = " + admin.Quote(name));
    if (!exists.ok()) return exists.status();
    if (exists->value_or("0") == "0") return name;
  }
  return Refusal(error::kMigrationTableBusy, "no free shadow table name for " + table.name +
                                                 ": drop leftover " + prefix + table.name + "_new* tables");
}

StatusOr<MigrationSpec> DescribeShadow(SqlConn& admin, const sql::AlterTable& alter, const TableSchema& original,
                                       const TableSchema::Key& key, const std::string& shadow) {
  auto shadow_schema = LoadTableSchema(admin, {alter.table.schema, shadow});
  if (!shadow_schema.ok()) return shadow_schema.status();
  MigrationSpec spec;
  spec.table = alter.table;
  spec.shadow = shadow;
  spec.original = original;
  spec.target = *shadow_schema;
  spec.key_index = key.name;
  std::vector<std::string> old_names, new_names;
  for (const auto& c : original.columns) old_names.push_back(c.name);
  for (const auto& c : shadow_schema->columns) new_names.push_back(c.name);
  auto sources = sql::ProjectColumns(alter, old_names, new_names);
  for (size_t i = 0; i < new_names.size(); ++i) {
    if (shadow_schema->columns[i].generated || !sources[i]) continue;  // computed by the server / added
    int src = original.column_index(*sources[i]);
    if (src < 0) continue;
    spec.columns.push_back({new_names[i], size_t(src)});
  }
  // The key must survive: every key column projected, and the shadow unique on exactly those.
  for (const auto& k : key.columns) {
    int src = original.column_index(k);
    auto it = std::find_if(spec.columns.begin(), spec.columns.end(),
                           [&](const ProjectedColumn& p) { return int(p.source) == src; });
    if (src < 0 || it == spec.columns.end()) break;
    spec.key.push_back(size_t(src));
    spec.shadow_key.push_back(it->name);
  }
  bool shared = spec.key.size() == key.columns.size() &&
                std::any_of(shadow_schema->unique_keys.begin(), shadow_schema->unique_keys.end(), [&](const auto& uk) {
                  if (uk.columns.size() != spec.shadow_key.size()) return false;
                  for (const auto& c : spec.shadow_key) {
                    bool found = std::any_of(uk.columns.begin(), uk.columns.end(),
                                             [&](const std::string& x) { return strcasecmp(x.c_str(), c.c_str()) == 0; });
                    if (!found) return false;
                  }
                  return true;
                });
  if (!shared) {
    return Refusal(error::kInspectNoUniqueKey,
                   "after the ALTER, `" + alter.table.name + "` would no longer be unique on (" +
                       [&] {
                         std::string s;
                         for (const auto& c : key.columns) s += (s.empty() ? "" : ", ") + c;
                         return s;
                       }() +
                       "): keep that key (and its columns) in this ALTER, or change keys in a separate deploy");
  }
  return spec;
}

MigrationSpec InverseSpec(const MigrationSpec& spec, const sql::TableName& source, const std::string& target_name) {
  MigrationSpec inv;
  inv.meta_schema = spec.meta_schema;
  inv.role = spec.role == MigrationRole::kReverse ? MigrationRole::kForward : MigrationRole::kReverse;
  inv.table = source;
  inv.shadow = target_name;
  inv.original = spec.target;
  inv.original.table = source;
  inv.target = spec.original;
  inv.target.table = {source.schema, target_name};
  for (const auto& c : spec.columns) {
    int src = inv.original.column_index(c.name);
    const ColumnMeta& back = spec.original.columns[c.source];
    if (src < 0 || back.generated || inv.original.columns[size_t(src)].generated) continue;
    inv.columns.push_back({back.name, size_t(src)});
  }
  for (size_t i = 0; i < spec.key.size(); ++i) {
    inv.key.push_back(size_t(inv.original.column_index(spec.shadow_key[i])));
    inv.shadow_key.push_back(spec.original.columns[spec.key[i]].name);
  }
  inv.key_index = spec.key_index;
  return inv;
}

StatusOr<MigrationSpec> BuildShadow(SqlConn& admin, const sql::AlterTable& alter, const InspectReport& report,
                                    const std::string& shadow, const std::optional<SessionSettings>& settings) {
  const std::string target = QuoteTable(alter.table.schema, shadow);
  Status st = admin.Exec("CREATE TABLE " + target + " LIKE " + QuoteTable(alter.table.schema, alter.table.name));
  if (!st.ok()) {
    return Status::Aborted("creating shadow table " + target + ": " + admin.server_error())
        .WithMysqlError(error::kMigrationShadowFailed, error::kSqlstateGeneral);
  }
  std::string sql = sql::RenderAlter(alter, {alter.table.schema, shadow});
  // With the client's settings: accepted, refused and meant as the server
  // would for the client directly.
  unsigned server_errno = 0;
  std::string server_sqlstate, why;
  st = WithSessionSettings(admin, settings, [&] {
    Status done = admin.Exec(sql);
    if (!done.ok()) {
      server_errno = admin.server_errno();
      server_sqlstate = admin.server_sqlstate();
      why = admin.server_error();
    }
    return done;
  });
  if (!st.ok()) {
    if (why.empty()) why = st.message();
    (void)admin.Exec("DROP TABLE IF EXISTS " + target);
    // The server's own refusal of the statement keeps its number and SQLSTATE.
    bool servers = server_errno >= 1000 && !(server_errno >= 2000 && server_errno < 3000) &&  // 2xxx: the client library's
                   server_errno <= 0xffff && !server_sqlstate.empty();
    return Status::Aborted("the ALTER failed on the shadow table: " + why + " (fix the ALTER and deploy again)")
        .WithMysqlError(servers ? static_cast<uint16_t>(server_errno) : error::kMigrationShadowFailed,
                        servers ? server_sqlstate : std::string(error::kSqlstateGeneral));
  }
  auto spec = DescribeShadow(admin, alter, report.schema, report.key, shadow);
  if (!spec.ok()) {
    (void)admin.Exec("DROP TABLE IF EXISTS " + target);
    return spec.status();
  }
  spec->rows_estimated = report.estimated_rows;
  return spec;
}

}  // namespace sealgate::migration
