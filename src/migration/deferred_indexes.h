// DeferredIndexes: the shadow's plain secondary indexes, left out while the
// copy runs and built at its end.
//
// Why: the copy inserts rows in key order, so the shadow's primary key grows
// at its end, but every secondary index takes each row at a random place.
// Built once at the end, by sorting, an index costs a fraction of that (a
// 1,000,000-row sysbench table: the copy took a quarter less time, index
// build included). Only non-unique B-tree indexes (`KEY ...` in SHOW CREATE
// TABLE) are deferred: unique ones must catch duplicates while the copy runs,
// FULLTEXT and SPATIAL ones are left as they are.
//
// Life of a migration:
// - Prepare(), when its writer starts: on a migration that has not copied a
//   chunk yet, records the definitions in the metadata table
//   `deferred_indexes` (once) and drops them from the shadow. Later starts
//   read the record.
// - pending(): some recorded index is not in the shadow. The copy's final
//   chunk is held back while pending, so the migration cannot be staged
//   without them.
// - StartBuild() runs one ALTER TABLE ... ADD KEY ... on a connection of its
//   own, in a thread, so the writer keeps applying the binlog meanwhile
//   (InnoDB builds online). Poll() reports the end; Cancel() kills the build.
//
// Not thread-safe: the migration's writer thread calls everything except
// Cancel(), which runs after that thread has stopped.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "binlog/binlog_stream.h"
#include "migration/sql_conn.h"
#include "sql/statement.h"

namespace sealgate::migration {

struct DeferredIndex {
  std::string name;
  std::string definition;  // as SHOW CREATE TABLE prints it: KEY `k` (`a`,`b`(10))
};

// The plain secondary indexes of `create_table` (SHOW CREATE TABLE output).
std::vector<DeferredIndex> DeferrableIndexes(const std::string& create_table);

class DeferredIndexes {
 public:
  DeferredIndexes() = default;
  ~DeferredIndexes();  // Cancel()
  DeferredIndexes(const DeferredIndexes&) = delete;
  DeferredIndexes& operator=(const DeferredIndexes&) = delete;

  // `fresh`: no chunk copied yet (the indexes may be dropped). `defer`: new
  // migrations defer their indexes (an engine option).
  Status Prepare(SqlConn& conn, const std::string& meta_schema, uint64_t migration_id,
                 const sql::TableName& shadow, bool fresh, bool defer);
  bool pending() const { return !missing_.empty(); }
  const std::vector<DeferredIndex>& missing() const { return missing_; }
  bool building() const { return thread_.joinable(); }

  Status StartBuild(const binlog::ServerEndpoint& server, const sql::TableName& shadow);
  // nullopt while the build runs; its result once it has ended (then
  // pending() is false if it succeeded).
  std::optional<Status> Poll();
  void Cancel();

 private:
  std::vector<DeferredIndex> missing_;
  std::thread thread_;
  std::atomic<bool> done_{false};
  std::atomic<bool> cancel_{false};
  Status result_;                       // written by the build thread before done_
  std::atomic<uint64_t> connection_id_{0};
  binlog::ServerEndpoint server_;
};

}  // namespace sealgate::migration
