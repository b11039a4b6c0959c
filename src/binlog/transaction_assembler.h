// TransactionAssembler: decoded events -> whole committed transactions.
//
// Contract
// - Events go in in stream order; a Transaction comes out only when its
//   commit is seen (XID, COMMIT, a standalone DDL statement, or XA COMMIT).
// - XA: the rows of an `XA PREPARE`d transaction are held per XID and come
//   out at `XA COMMIT` (with the commit's GTID and position); `XA ROLLBACK`
//   drops them. `XA COMMIT ... ONE PHASE` is an ordinary commit.
// - position() is where to resume so that nothing is lost or repeated: the
//   end of the last complete transaction, with the GTID state including it.
//   A transaction whose GTID is already in the state is dropped (safety net
//   against re-delivery after a reconnect).
// - ResetPartial() discards a transaction cut off by a lost connection;
//   prepared XA transactions are kept (they are before the resume point).
// - Pure: no I/O, no threads.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "binlog/events.h"
#include "binlog/gtid.h"
#include "common/status.h"

namespace sealgate::binlog {

struct Transaction {
  std::string gtid;          // "0-1-42" (MariaDB), "uuid:n" (MySQL), "" without GTIDs
  BinlogPosition position;   // resume point just after this transaction
  uint32_t timestamp = 0;    // of its first event (seconds since the epoch)
  uint32_t server_id = 0;
  std::vector<std::shared_ptr<const RowsEvent>> rows;            // in binlog order; not the skipped ones
  std::vector<std::shared_ptr<const QueryEvent>> statements;     // except BEGIN/COMMIT/XA markers
  std::optional<XaId> xa;   // set for XA transactions
  size_t bytes = 0;         // binlog bytes it came from
};

struct AssemblerOptions {
  size_t max_transaction_bytes = size_t(1) << 30;
};

// A transaction being read (internal to TransactionAssembler).
struct PendingTransaction {
  Transaction txn;
  bool in_block = false;      // saw BEGIN / XA START
  bool skip = false;          // already delivered
  std::optional<MariaGtid> maria;
  std::optional<MysqlGtidEvent> mysql;
  std::optional<XaId> completes_xa;  // MariaDB GTID of XA COMMIT/ROLLBACK
};

class TransactionAssembler {
 public:
  explicit TransactionAssembler(AssemblerOptions options = {}) : options_(options) {}

  // Sets the starting position (GTID state parsed per flavor when first needed).
  Status SetPosition(const BinlogPosition& position, bool mariadb);

  // Feeds one event; completed transactions are appended to `out`.
  // ResourceExhausted if a transaction grows past max_transaction_bytes.
  Status Add(Event event, size_t wire_bytes, std::vector<Transaction>* out);

  void ResetPartial();
  bool mid_transaction() const { return open_.has_value(); }
  const BinlogPosition& position() const { return position_; }
  size_t prepared_xa_count() const { return prepared_.size(); }

 private:

  Status OnQuery(const Event& e, std::shared_ptr<const QueryEvent> q, std::vector<Transaction>* out);
  void Begin(const Event& e);
  void Finish(const Event& e, bool deliver, std::vector<Transaction>* out);
  void ResolveXa(const Event& e, const XaId& xid, bool commit, std::vector<Transaction>* out);

  AssemblerOptions options_;
  bool mariadb_ = true;
  MariaGtidState maria_state_;
  MysqlGtidSet mysql_set_;
  BinlogPosition position_;
  std::string current_file_;
  std::optional<PendingTransaction> open_;
  std::map<std::string, Transaction> prepared_;  // by XaId::ToString()
};

// Parses the XID of "XA COMMIT|ROLLBACK|PREPARE|END|START <xid> ..." where
// <xid> is gtrid[,bqual[,formatID]] with 'quoted' or X'hex' strings.
std::optional<XaId> ParseXaIdFromStatement(const std::string& statement);

}  // namespace sealgate::binlog
