// Payloads of the replication commands (without the command byte), as
// Connector/C's command layer sends them.
#pragma once

#include <cstdint>
#include <string>

namespace sealgate::binlog {

constexpr uint8_t kComBinlogDump = 0x12;
constexpr uint8_t kComRegisterSlave = 0x15;
constexpr uint8_t kComBinlogDumpGtid = 0x1e;

struct RegisterSlaveRequest {
  uint32_t server_id = 0;
  std::string host;  // reported in SHOW SLAVE HOSTS
  std::string user;
  std::string password;
  uint16_t port = 0;
};
std::string EncodeRegisterSlave(const RegisterSlaveRequest& r);

struct BinlogDumpRequest {
  uint32_t server_id = 0;
  std::string file;       // empty with a MariaDB GTID start (@slave_connect_state)
  uint32_t position = 4;
  uint16_t flags = 0;     // 1 = BINLOG_DUMP_NON_BLOCK
};
std::string EncodeBinlogDump(const BinlogDumpRequest& r);

// MySQL 5.6+/8: start from a GTID set (`encoded_gtid_set` as
// MysqlGtidSet::Encode), optionally with file/position.
struct BinlogDumpGtidRequest {
  uint32_t server_id = 0;
  std::string file;
  uint64_t position = 4;
  std::string encoded_gtid_set;
  uint16_t flags = 0x04;  // BINLOG_THROUGH_GTID
};
std::string EncodeBinlogDumpGtid(const BinlogDumpGtidRequest& r);

}  // namespace sealgate::binlog
