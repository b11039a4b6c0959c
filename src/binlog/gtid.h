// Replication positions: MariaDB GTID state (one GTID per domain), MySQL
// GTID sets, and the file/offset pair.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "binlog/events.h"
#include "common/status.h"

namespace sealgate::binlog {

// MariaDB GTID state: the last GTID applied in every replication domain,
// rendered as "0-1-42,1-2-7" (domain-server-seq, sorted by domain) — the
// format of @@gtid_binlog_pos and @slave_connect_state.
class MariaGtidState {
 public:
  static StatusOr<MariaGtidState> Parse(const std::string& text);
  void Update(const MariaGtid& gtid) { domains_[gtid.domain_id] = gtid; }
  // True if `gtid` is at or before this state's position in its domain.
  bool Contains(const MariaGtid& gtid) const;
  std::string ToString() const;
  bool empty() const { return domains_.empty(); }
  const std::map<uint32_t, MariaGtid>& domains() const { return domains_; }

 private:
  std::map<uint32_t, MariaGtid> domains_;
};

std::string MariaGtidText(const MariaGtid& g);

// MySQL GTID set: uuid -> sorted, merged closed intervals of transaction
// numbers; "uuid:1-5:7,uuid2:1-3" (lower-case uuids, sorted).
class MysqlGtidSet {
 public:
  static StatusOr<MysqlGtidSet> Parse(const std::string& text);
  void Add(const std::array<uint8_t, 16>& sid, int64_t gno);
  bool Contains(const std::array<uint8_t, 16>& sid, int64_t gno) const;
  std::string ToString() const;
  // The COM_BINLOG_DUMP_GTID encoding (n_sids, then sid, n_intervals,
  // [start, end) pairs), all little-endian.
  std::string Encode() const;
  bool empty() const { return sets_.empty(); }

 private:
  std::map<std::array<uint8_t, 16>, std::vector<std::pair<int64_t, int64_t>>> sets_;  // closed intervals
};

// Where a consumer is in the binlog: the GTID state (MariaDB: full state of
// every domain; MySQL: executed GTID set; empty when GTIDs are off) and the
// file/offset of the end of the last complete transaction.
struct BinlogPosition {
  std::string gtid_state;
  std::string file;
  uint64_t offset = 0;
  bool operator==(const BinlogPosition&) const = default;
  std::string ToString() const;
};

}  // namespace sealgate::binlog
