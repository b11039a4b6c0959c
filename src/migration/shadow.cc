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

namespace {

bool SameName(const std::string& a, const std::string& b) { return strcasecmp(a.c_str(), b.c_str()) == 0; }

// A walking key's ENUM column has the same members in the shadow (its key
// literals are member numbers, read on both sides).
bool SameMembers(const ColumnMeta& original, const ColumnMeta& shadow) {
  if (original.data_type != "enum" && shadow.data_type != "enum") return true;
  return original.data_type == shadow.data_type && original.enum_labels == shadow.enum_labels;
}

std::string NameList(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

// The shadow's unique key that identifies, by the values of its columns in
// a row of the original, the one shadow row that row became: every column
// filled from the original (not added), walkable, and either within the
// walking key's columns or starting with them, so that the walk's key ranges
// are ranges of one of the shadow's indexes too. Keys on exactly the walking
// key's columns first. Null if none.
const TableSchema::Key* RowKey(const TableSchema& original, const TableSchema& shadow,
                               const std::vector<ProjectedColumn>& columns, const std::vector<std::string>& walk) {
  // Filled from the original; an ENUM from one with the same members (ranges
  // over it go by member number on both sides).
  auto projected = [&](const std::string& c) {
    auto p = std::find_if(columns.begin(), columns.end(), [&](const ProjectedColumn& p) { return SameName(p.name, c); });
    if (p == columns.end()) return false;
    return SameMembers(original.columns[p->source], shadow.columns[size_t(shadow.column_index(c))]);
  };
  auto in_walk = [&](const std::string& c) {
    return std::any_of(walk.begin(), walk.end(), [&](const std::string& w) { return SameName(w, c); });
  };
  const TableSchema::Key* best = nullptr;
  int best_rank = 0;
  for (const auto& uk : shadow.unique_keys) {
    bool usable = !uk.columns.empty();
    for (const auto& c : uk.columns) {
      int i = shadow.column_index(c);
      usable = usable && i >= 0 && projected(c) && KeyColumnWalkable(shadow.columns[size_t(i)]);
    }
    if (!usable) continue;
    bool within = std::all_of(uk.columns.begin(), uk.columns.end(), in_walk);
    bool starts = uk.columns.size() >= walk.size() &&
                  std::equal(walk.begin(), walk.end(), uk.columns.begin(), SameName);
    int rank = within && uk.columns.size() == walk.size() ? 3 : within ? 2 : starts ? 1 : 0;
    if (rank > best_rank) {
      best = &uk;
      best_rank = rank;
    }
  }
  return best;
}

}  // namespace

StatusOr<MigrationSpec> DescribeShadow(SqlConn& admin, const sql::AlterTable& alter, const TableSchema& original,
                                       const std::vector<TableSchema::Key>& keys, const std::string& shadow) {
  auto shadow_schema = LoadTableSchema(admin, {alter.table.schema, shadow});
  if (!shadow_schema.ok()) return shadow_schema.status();
  MigrationSpec spec;
  spec.table = alter.table;
  spec.shadow = shadow;
  spec.original = original;
  spec.target = *shadow_schema;
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
  // The walking key: the first of `keys` whose columns all reach the shadow
  // and that a unique key of the shadow follows (RowKey).
  for (const auto& key : keys) {
    std::vector<size_t> walk;
    std::vector<std::string> walk_in_shadow;
    for (const auto& k : key.columns) {
      int src = original.column_index(k);
      auto it = std::find_if(spec.columns.begin(), spec.columns.end(),
                             [&](const ProjectedColumn& p) { return int(p.source) == src; });
      if (src < 0 || it == spec.columns.end()) break;
      if (!SameMembers(original.columns[size_t(src)], shadow_schema->columns[size_t(shadow_schema->column_index(it->name))])) {
        break;
      }
      walk.push_back(size_t(src));
      walk_in_shadow.push_back(it->name);
    }
    if (walk.size() != key.columns.size()) continue;
    const TableSchema::Key* row_key = RowKey(original, *shadow_schema, spec.columns, walk_in_shadow);
    if (!row_key) continue;
    spec.key = std::move(walk);
    spec.shadow_key = std::move(walk_in_shadow);
    spec.key_index = key.name;
    spec.row_key_index = row_key->name;
    for (const auto& c : row_key->columns) {
      auto it = std::find_if(spec.columns.begin(), spec.columns.end(),
                             [&](const ProjectedColumn& p) { return SameName(p.name, c); });
      spec.row_key.push_back(it->name);
      spec.row_key_source.push_back(it->source);
    }
    return spec;
  }
  std::string example = keys.empty() ? "" : " (for example ADD UNIQUE KEY (" + NameList(keys.front().columns) + "))";
  return Refusal(error::kInspectNoUniqueKey,
                 "after the ALTER, no unique key of `" + alter.table.name +
                     "` identifies the rows a unique key of the original does: the copy walks the original by one of "
                     "its keys and must find each row in the new table by a NOT NULL unique key on those columns, on "
                     "some of them, or starting with them: keep one in this ALTER" + example +
                     ", or change keys in a separate deploy");
}

StatusOr<MigrationSpec> DescribeShadow(SqlConn& admin, const sql::AlterTable& alter, const TableSchema& original,
                                       const TableSchema::Key& key, const std::string& shadow) {
  return DescribeShadow(admin, alter, original, std::vector<TableSchema::Key>{key}, shadow);
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
  // The other way round, the row key is the walking key and the other way:
  // the new table is walked by its key that identified rows (the shadow's),
  // and a row is found in the old table by the key the copy walked.
  for (size_t i = 0; i < spec.row_key.size(); ++i) {
    inv.key.push_back(size_t(inv.original.column_index(spec.row_key[i])));
    inv.shadow_key.push_back(spec.original.columns[spec.row_key_source[i]].name);
  }
  inv.key_index = spec.row_key_index;
  for (size_t i = 0; i < spec.key.size(); ++i) {
    inv.row_key.push_back(spec.original.columns[spec.key[i]].name);
    inv.row_key_source.push_back(size_t(inv.original.column_index(spec.shadow_key[i])));
  }
  inv.row_key_index = spec.key_index;
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
  auto spec = DescribeShadow(admin, alter, report.schema, report.keys, shadow);
  if (!spec.ok()) {
    (void)admin.Exec("DROP TABLE IF EXISTS " + target);
    return spec.status();
  }
  spec->rows_estimated = report.estimated_rows;
  return spec;
}

}  // namespace sealgate::migration
