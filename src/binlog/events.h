// Decoded binlog events.
//
// An Event owns everything it holds (no pointers into the input bytes), so it
// may outlive the buffer it was decoded from and move between threads.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "binlog/value.h"

namespace sealgate::binlog {

struct EventHeader {
  uint32_t timestamp = 0;
  uint8_t type = 0;
  uint32_t server_id = 0;
  uint32_t event_length = 0;
  uint32_t log_pos = 0;  // end position of this event in its binlog file (0 if artificial)
  uint16_t flags = 0;
};

struct FormatDescription {
  uint16_t binlog_version = 4;
  std::string server_version;
  uint8_t header_length = 19;
  std::vector<uint8_t> post_header_lengths;  // index = type - 1
  uint8_t checksum_alg = 0;                  // kChecksumOff / kChecksumCrc32
  bool is_mariadb = false;
};

struct RotateEvent {
  uint64_t position = 0;
  std::string next_file;
};

struct QueryEvent {
  uint32_t thread_id = 0;
  uint16_t error_code = 0;
  std::string schema;       // default database of the statement
  std::string statement;
  std::vector<std::pair<std::string, std::string>> tables;  // (schema, table) it names; see ExtractQueryTables
};

struct XidEvent {
  uint64_t xid = 0;
};

// X/Open XA transaction id.
struct XaId {
  int32_t format_id = 0;
  std::string gtrid;
  std::string bqual;
  bool operator==(const XaId&) const = default;
  std::string ToString() const;  // X'gtrid',X'bqual',format_id
};

struct MariaGtidEvent {
  uint32_t domain_id = 0;
  uint32_t server_id = 0;
  uint64_t seq_no = 0;
  uint8_t flags = 0;
  uint64_t commit_id = 0;
  bool standalone() const { return flags & 0x01; }  // no BEGIN/COMMIT (DDL)
  bool prepared_xa() const { return flags & 0x40; }
  bool completed_xa() const { return flags & 0x80; }
  XaId xid;  // when prepared_xa() or completed_xa()
};

struct MariaGtid {
  uint32_t domain_id = 0;
  uint32_t server_id = 0;
  uint64_t seq_no = 0;
  bool operator==(const MariaGtid&) const = default;
};

struct MariaGtidListEvent {
  std::vector<MariaGtid> gtids;
};

struct BinlogCheckpointEvent {
  std::string file;
};

struct AnnotateRowsEvent {
  std::string statement;
};

struct MysqlGtidEvent {
  bool anonymous = false;
  uint8_t flags = 0;
  std::array<uint8_t, 16> sid{};
  int64_t gno = 0;
  std::string ToString() const;  // uuid:gno
};

struct MysqlPreviousGtidsEvent {
  std::string gtid_set;  // "uuid:1-5:7-9,uuid2:1-3"
};

struct TableMap {
  uint64_t table_id = 0;
  std::string schema;
  std::string table;
  std::vector<ColumnDef> columns;
  bool has_names = false;       // names came from the optional metadata
  bool has_signedness = false;  // signedness came from the optional metadata
  bool consumer_columns = false;  // names/signedness supplied by the consumer
};

struct TableMapEvent {
  std::shared_ptr<const TableMap> table;
};

enum class RowsKind : uint8_t { kInsert, kUpdate, kDelete };

// One row image: one Value per table column (kMissing where the image's
// present-columns bitmap excludes the column).
using Row = std::vector<Value>;

struct RowsEvent {
  RowsKind kind = RowsKind::kInsert;
  uint64_t table_id = 0;
  uint16_t flags = 0;  // 0x0001 = end of statement
  std::shared_ptr<const TableMap> table;
  // Rows not decoded (DecoderOptions::want_rows refused the table): no images.
  bool skipped = false;
  // Insert: `after` only. Delete: `before` only. Update: both, same length.
  std::vector<Row> before;
  std::vector<Row> after;
  size_t row_count() const { return kind == RowsKind::kDelete ? before.size() : after.size(); }
};

struct HeartbeatEvent {
  std::string file;
};

struct XaPrepareEvent {
  bool one_phase = false;
  XaId xid;
};

struct IntvarEvent {
  uint8_t kind = 0;
  uint64_t value = 0;
};

struct Event;

// MySQL 8 binlog_transaction_compression: the inner events, decoded.
struct TransactionPayloadEvent {
  std::vector<Event> events;
};

// Events the decoder recognises but does not interpret (STOP, INCIDENT,
// rows-query, transaction context, start encryption, ...).
struct OtherEvent {};

using EventBody = std::variant<OtherEvent, FormatDescription, RotateEvent, QueryEvent, XidEvent,
                               MariaGtidEvent, MariaGtidListEvent, BinlogCheckpointEvent,
                               AnnotateRowsEvent, MysqlGtidEvent, MysqlPreviousGtidsEvent,
                               TableMapEvent, RowsEvent, HeartbeatEvent, XaPrepareEvent,
                               IntvarEvent, TransactionPayloadEvent>;

struct Event {
  EventHeader header;
  EventBody body;
};

}  // namespace sealgate::binlog
