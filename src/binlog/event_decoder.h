// EventDecoder: binlog event bytes -> Event. Pure: no I/O, no threads.
//
// Contract
// - Input is one event exactly as written in a binlog file or sent after the
//   OK byte of a dump packet: 19-byte common header, body, and (when the
//   checksum algorithm is CRC32) a 4-byte CRC32 trailer that is verified.
// - Results: an Event; or a Status for which IsNeedMore() is true when the
//   buffer is shorter than the event (header missing or shorter than the
//   header's length) — feed more bytes and retry; kCorruption for bytes that
//   cannot be a valid event (bad checksum, impossible lengths, a rows event for
//   an unknown table, values running past the event); kUnimplemented for
//   features that are refused (MySQL partial JSON updates, encrypted binlogs,
//   MariaDB compressed columns, pre-5.0 DECIMAL).
// - Arbitrary bytes never crash the decoder and never make it read out of
//   bounds or allocate more than DecoderOptions::max_event_bytes per event.
// - State: the format description (checksum algorithm, post-header lengths)
//   and table maps by table id, updated as those events are decoded. Not
//   thread-safe; one decoder per stream.
// - Row filter: with DecoderOptions::want_rows, the rows events of a table it
//   refuses (asked once per table map) come out with `skipped` set and no row
//   images; their header is still checked.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "binlog/byte_reader.h"
#include "binlog/event_types.h"
#include "binlog/events.h"
#include "common/status.h"

namespace sealgate::binlog {

// Supplies column names/signedness/charsets for a table whose table map has
// no optional metadata; nullopt when unknown (then integers decode signed and
// names stay empty). Called on the decoding thread, once per table map.
using ColumnLookup = std::function<std::optional<std::vector<ColumnInfo>>(
    const std::string& schema, const std::string& table)>;

struct DecoderOptions {
  // Checksum algorithm assumed until a format description says otherwise
  // (what the stream negotiated with @master_binlog_checksum).
  uint8_t initial_checksum_alg = kChecksumCrc32;
  bool verify_checksum = true;
  ColumnLookup column_lookup;
  // Whether the rows events of a table are decoded (unset: all are). Asked
  // when its table map is decoded, before column_lookup, which is not asked
  // about refused tables. Row decoding is most of a stream's CPU: a consumer
  // that follows a few tables should not pay for every table on the server.
  std::function<bool(const TableMap& table)> want_rows;
  // Upper bound on one event, and on any decompressed payload.
  size_t max_event_bytes = size_t(1) << 30;
};

enum class FrameState : uint8_t { kNeedMore, kComplete };
struct Frame {
  FrameState state = FrameState::kNeedMore;
  size_t length = 0;  // kComplete: event length; kNeedMore: bytes needed in total to know more
};

// Where the event at the front of `buf` ends. Corruption if its declared
// length is impossible (< 19 or over `max_event_bytes`).
StatusOr<Frame> FrameEvent(Bytes buf, size_t max_event_bytes = size_t(1) << 30);

// True for the "need more bytes" status returned by EventDecoder::Decode.
bool IsNeedMore(const Status& status);

// Parses the common header (no validation beyond length).
StatusOr<EventHeader> DecodeHeader(Bytes buf);

class EventDecoder {
 public:
  explicit EventDecoder(DecoderOptions options = {});

  StatusOr<Event> Decode(Bytes event);

  // Forgets table maps (the server sends them again per transaction).
  void ForgetTables() { tables_.clear(); }
  const FormatDescription& format() const { return format_; }
  uint8_t checksum_alg() const { return checksum_alg_; }
  std::shared_ptr<const TableMap> FindTable(uint64_t table_id) const;
  const DecoderOptions& options() const { return options_; }

 private:
  Status DecodeBody(const EventHeader& h, Bytes body, Event* out);
  Status DecodeFormatDescription(Bytes body, Event* out);
  Status DecodeTableMap(Bytes body, Event* out);
  Status DecodeRows(const EventHeader& h, Bytes body, Event* out);
  Status DecodePayload(Bytes body, Event* out);
  uint8_t PostHeaderLength(uint8_t type, uint8_t fallback) const;
  void ApplyConsumerColumns(TableMap* table) const;

  DecoderOptions options_;
  FormatDescription format_;
  uint8_t checksum_alg_;
  struct KnownTable {
    std::shared_ptr<const TableMap> map;
    bool decode_rows = true;
  };
  std::unordered_map<uint64_t, KnownTable> tables_;
  int payload_depth_ = 0;
};

// The (schema, table) pairs a statement names, found simply: identifiers
// after TABLE/TABLES, INTO, UPDATE, FROM, JOIN, TRUNCATE, and ON of
// CREATE/DROP INDEX, with `default_schema` for unqualified names. Intended
// for spotting DDL and TRUNCATE on a table, not for full SQL analysis.
std::vector<std::pair<std::string, std::string>> ExtractQueryTables(
    std::string_view statement, const std::string& default_schema);

}  // namespace sealgate::binlog
