// BinlogStream: one replication connection, decoded once, fanned out to
// subscribers by table.
//
// Contract
// - Start() spawns the reader thread; the consumer side (Subscription::Next)
//   is plain blocking calls with timeouts, usable from any thread and needing
//   no event loop.
// - Registers as a replica with StreamOptions::server_id (must be unique
//   among the server's replicas), announces CRC32 checksums and heartbeats.
//   MariaDB: starts from the GTID state (@slave_connect_state, every domain);
//   MySQL 8: COM_BINLOG_DUMP_GTID; without GTIDs: file/offset. An empty start
//   position means "the server's current end of binlog".
// - Subscribers receive whole committed transactions in binlog order, with
//   only the rows and statements that touch their tables (a statement is
//   "touching" when ExtractQueryTables names the table). XA transactions
//   arrive at XA COMMIT; rolled back ones never arrive.
// - Only the rows of tables some open subscription wants are decoded (the
//   others cost a table map lookup). A subscription's tables may change while
//   it runs (Subscription::SetTables); the change applies from the next table
//   map the reader decodes, so a table added before a transaction commits
//   gets that transaction's rows.
// - Back-pressure: each subscription holds at most queue_bytes of binlog
//   (always at least one transaction); when full the reader blocks, so memory
//   stays bounded and the server buffers instead.
// - Connection loss or a server restart: reconnects with exponential backoff
//   and resumes after the last complete transaction — nothing is delivered
//   twice and nothing is skipped. A start position the server no longer has
//   (binlog purged, error 1236) ends the stream with a status for which
//   IsPositionLost() is true; so do bad credentials (kPermissionDenied) and
//   undecodable events (kCorruption / kUnimplemented).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "binlog/event_decoder.h"
#include "binlog/gtid.h"
#include "binlog/transaction_assembler.h"
#include "common/log.h"
#include "common/status.h"

typedef struct st_mysql MYSQL;

namespace sealgate::binlog {

struct ServerEndpoint {
  std::string host = "127.0.0.1";
  int port = 3306;
  std::string user;
  std::string password;
  std::chrono::seconds connect_timeout{10};
};

struct StreamOptions {
  ServerEndpoint server;
  uint32_t server_id = 0;   // replica id; required, unique per stream
  BinlogPosition start;     // empty: current end of the binlog
  std::chrono::milliseconds heartbeat{1000};
  std::chrono::milliseconds reconnect_min{100};
  std::chrono::milliseconds reconnect_max{5000};
  size_t queue_bytes = size_t(64) << 20;        // per subscription
  size_t max_transaction_bytes = size_t(1) << 30;
  // Names/signedness/charsets for tables whose table maps carry none
  // (see ServerColumnCatalog). Called on the reader thread; results cached
  // per table until a statement touching the table goes by.
  ColumnLookup column_lookup;
  Logger* logger = nullptr;  // not owned; may be null
};

using TableList = std::vector<std::pair<std::string, std::string>>;  // (schema, table)

struct SubscriptionOptions {
  TableList tables;  // empty = all
  // Also deliver transactions with nothing for these tables (rows and
  // statements empty), so the consumer sees the position advance.
  bool include_unrelated = false;
};

class BinlogStream;

class Subscription {
 public:
  // The next transaction; nullopt when `timeout` passes first; an error once
  // the stream has ended (Stop(), or a terminal error — see BinlogStream).
  StatusOr<std::optional<Transaction>> Next(std::chrono::milliseconds timeout);
  // Stops delivery to this subscription (unblocks a reader waiting on it).
  void Close();
  // Replaces the tables (empty = all). Rows are decoded by the new set from
  // the next table map the reader decodes (so every transaction that commits
  // after this call); statements and rows are filtered by it from the next
  // transaction delivered. Transactions already queued are not changed.
  void SetTables(const TableList& tables);

 private:
  friend class BinlogStream;
  using TableSet = std::set<std::pair<std::string, std::string>>;
  explicit Subscription(SubscriptionOptions options, size_t capacity);
  std::shared_ptr<const TableSet> tables() const;  // empty set = all
  bool closed() const;
  // Blocks while full; false if closed or `stop` became true.
  bool Push(Transaction txn, const std::atomic<bool>& stop);
  void Fail(Status status);

  const bool include_unrelated_;
  mutable std::mutex tables_mu_;
  std::shared_ptr<const TableSet> tables_;  // guarded by tables_mu_; replaced, never modified
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Transaction> queue_;   // guarded by mu_
  size_t queued_bytes_ = 0;         // guarded by mu_
  bool closed_ = false;             // guarded by mu_
  Status end_;                      // guarded by mu_; non-OK once the stream ended
};

struct StreamStats {
  uint64_t events = 0;
  uint64_t bytes = 0;
  uint64_t transactions = 0;
  uint64_t reconnects = 0;
  uint64_t heartbeats = 0;
  uint64_t rows_events_skipped = 0;  // of tables no subscription wants: not decoded
};

bool IsPositionLost(const Status& status);

class BinlogStream {
 public:
  explicit BinlogStream(StreamOptions options);
  ~BinlogStream();  // Stop()
  BinlogStream(const BinlogStream&) = delete;
  BinlogStream& operator=(const BinlogStream&) = delete;

  // Subscribe before Start() to see every transaction from the start position.
  std::shared_ptr<Subscription> Subscribe(SubscriptionOptions options);
  // Validates options (start position syntax, server_id) and starts the reader.
  Status Start();
  // Stops the reader and ends every subscription; idempotent.
  void Stop();
  // Drops the current connection (the stream reconnects and resumes), as a
  // network fault would.
  void InterruptConnection();

  BinlogPosition position() const;  // after the last transaction delivered
  StreamStats stats() const;
  Status status() const;            // the terminal error, OK while running

 private:
  void Run();
  Status RunSession(bool* delivered_any);
  Status Setup(MYSQL* mysql, bool* mariadb);
  Status ReadEvents(MYSQL* mysql, bool* delivered_any);
  Status HandleEvent(Bytes raw, bool* delivered_any);
  void Deliver(Transaction txn);
  bool WantsRows(const std::string& schema, const std::string& table) const;  // of any open subscription
  std::optional<std::vector<ColumnInfo>> LookupColumns(const std::string& schema, const std::string& table);
  void Log(LogLevel level, const std::string& message);

  StreamOptions options_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::unique_ptr<EventDecoder> decoder_;   // reader thread only
  TransactionAssembler assembler_;          // reader thread only
  bool position_known_ = false;             // reader thread only
  std::map<std::pair<std::string, std::string>, std::optional<std::vector<ColumnInfo>>> column_cache_;  // reader only

  mutable std::mutex mu_;
  MYSQL* active_ = nullptr;                        // guarded by mu_
  std::vector<std::shared_ptr<Subscription>> subs_;  // guarded by mu_
  BinlogPosition delivered_;                       // guarded by mu_
  Status status_;                                  // guarded by mu_
  StreamStats stats_;                              // guarded by mu_
  std::condition_variable backoff_cv_;
};

}  // namespace sealgate::binlog
