#include "migration/deferred_indexes.h"

#include <strings.h>

#include <chrono>

#include "sql/errors.h"

namespace sealgate::migration {
namespace {

// The identifier in backticks at `pos` (`` inside it stands for one `).
std::optional<std::string> QuotedName(const std::string& s, size_t pos) {
  if (pos >= s.size() || s[pos] != '`') return std::nullopt;
  std::string name;
  for (size_t i = pos + 1; i < s.size(); ++i) {
    if (s[i] != '`') {
      name.push_back(s[i]);
    } else if (i + 1 < s.size() && s[i + 1] == '`') {
      name.push_back('`');
      ++i;
    } else {
      return name;
    }
  }
  return std::nullopt;
}

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  for (const auto& n : names) {
    if (strcasecmp(n.c_str(), name.c_str()) == 0) return true;
  }
  return false;
}

StatusOr<std::vector<std::string>> IndexNames(SqlConn& c, const sql::TableName& t) {
  auto rows = c.Query("SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = " +
                      c.Quote(t.schema) + " AND TABLE_NAME = " + c.Quote(t.name));
  if (!rows.ok()) return rows.status();
  std::vector<std::string> out;
  for (const auto& r : *rows) out.push_back(r[0].value_or(""));
  return out;
}

std::string NameList(const std::vector<DeferredIndex>& indexes) {
  std::string s;
  for (const auto& i : indexes) s += (s.empty() ? "" : ", ") + i.name;
  return s;
}

}  // namespace

std::vector<DeferredIndex> DeferrableIndexes(const std::string& create_table) {
  std::vector<DeferredIndex> out;
  size_t start = 0;
  while (start < create_table.size()) {
    size_t end = create_table.find('\n', start);
    if (end == std::string::npos) end = create_table.size();
    std::string line = create_table.substr(start, end - start);
    start = end + 1;
    size_t i = line.find_first_not_of(' ');
    if (i == std::string::npos || line.compare(i, 5, "KEY `") != 0) continue;
    auto name = QuotedName(line, i + 4);
    if (!name) continue;
    std::string definition = line.substr(i);
    while (!definition.empty() && (definition.back() == ',' || definition.back() == ' ')) definition.pop_back();
    out.push_back({*name, definition});
  }
  return out;
}

DeferredIndexes::~DeferredIndexes() { Cancel(); }

Status DeferredIndexes::Prepare(SqlConn& conn, const std::string& meta_schema, uint64_t migration_id,
                                const sql::TableName& shadow, bool fresh, bool defer) {
  const std::string table = QuoteTable(meta_schema, "deferred_indexes");
  const std::string id = std::to_string(migration_id);
  auto rows = conn.Query("SELECT name, definition FROM " + table + " WHERE migration_id = " + id + " ORDER BY seq");
  if (!rows.ok()) return rows.status();
  std::vector<DeferredIndex> recorded;
  for (const auto& r : *rows) recorded.push_back({r[0].value_or(""), r[1].value_or("")});
  if (recorded.empty() && fresh && defer) {
    auto create = conn.Query("SHOW CREATE TABLE " + QuoteTable(shadow.schema, shadow.name));
    if (!create.ok()) return create.status();
    if (!create->empty() && create->at(0).size() > 1) recorded = DeferrableIndexes(create->at(0)[1].value_or(""));
    if (!recorded.empty()) {
      std::string values;
      for (size_t i = 0; i < recorded.size(); ++i) {
        values += std::string(i ? ", " : "") + "(" + id + ", " + std::to_string(i) + ", " +
                  conn.Quote(recorded[i].name) + ", " + conn.Quote(recorded[i].definition) + ")";
      }
      SEALGATE_RETURN_IF_ERROR(conn.Exec("INSERT INTO " + table + " (migration_id, seq, name, definition) VALUES " +
                                         values));
    }
  }
  auto present = IndexNames(conn, shadow);
  if (!present.ok()) return present.status();
  if (fresh) {
    // Recorded first, then dropped: a restart in between drops them again.
    std::string drops;
    for (const auto& i : recorded) {
      if (Contains(*present, i.name)) drops += std::string(drops.empty() ? "" : ", ") + "DROP INDEX " + QuoteIdent(i.name);
    }
    if (!drops.empty()) {
      SEALGATE_RETURN_IF_ERROR(conn.Exec("ALTER TABLE " + QuoteTable(shadow.schema, shadow.name) + " " + drops));
      present = IndexNames(conn, shadow);
      if (!present.ok()) return present.status();
    }
  }
  missing_.clear();
  for (auto& i : recorded) {
    if (!Contains(*present, i.name)) missing_.push_back(std::move(i));
  }
  return Status::Ok();
}

Status DeferredIndexes::StartBuild(const binlog::ServerEndpoint& server, const sql::TableName& shadow) {
  if (building()) return Status::FailedPrecondition("deferred indexes already being built");
  if (missing_.empty()) return Status::Ok();
  std::string adds;
  for (const auto& i : missing_) adds += std::string(adds.empty() ? "" : ", ") + "ADD " + i.definition;
  std::string sql = "ALTER TABLE " + QuoteTable(shadow.schema, shadow.name) + " " + adds;
  std::string names = NameList(missing_);
  server_ = server;
  done_ = false;
  cancel_ = false;
  connection_id_ = 0;
  result_ = Status::Ok();
  thread_ = std::thread([this, sql, names] {
    auto c = SqlConn::Open(server_);
    if (c.ok()) {
      auto id = c->Scalar("SELECT CONNECTION_ID()");
      if (id.ok() && id->has_value()) connection_id_ = std::stoull(**id);
    }
    if (!c.ok()) {
      result_ = c.status();
    } else if (cancel_) {
      result_ = Status::Aborted("cancelled");
    } else {
      result_ = c->Exec(sql);
    }
    if (!result_.ok() && result_.code() != StatusCode::kUnavailable) {
      result_ = Status::Aborted("building the secondary indexes deferred until the end of the copy (" + names +
                                ") failed: " + result_.message())
                    .WithMysqlError(error::kMigrationShadowFailed, error::kSqlstateGeneral);
    }
    done_ = true;
  });
  return Status::Ok();
}

std::optional<Status> DeferredIndexes::Poll() {
  if (!building()) return std::nullopt;
  if (!done_) return std::nullopt;
  thread_.join();
  if (result_.ok()) missing_.clear();
  return result_;
}

void DeferredIndexes::Cancel() {
  if (!building()) return;
  cancel_ = true;
  // The build publishes its connection before it looks at cancel_: either
  // it sees cancel_, or its connection is killed here (an idle one too).
  uint64_t id = connection_id_;
  if (id != 0 && !done_) {
    auto killer = SqlConn::Open(server_);
    if (killer.ok()) (void)killer->Exec("KILL CONNECTION " + std::to_string(id));
  }
  thread_.join();
}

}  // namespace sealgate::migration
