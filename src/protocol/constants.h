// MySQL/MariaDB client/server protocol constants used by sealgate.
#pragma once

#include <cstdint>

namespace sealgate::protocol {

// Capability flags (lower 32 bits: MySQL; upper 32 bits: MariaDB extended).
namespace cap {
constexpr uint64_t kLongPassword = 1ull << 0;  // also "CLIENT_MYSQL": unset by MariaDB servers
constexpr uint64_t kFoundRows = 1ull << 1;
constexpr uint64_t kLongFlag = 1ull << 2;
constexpr uint64_t kConnectWithDb = 1ull << 3;
constexpr uint64_t kCompress = 1ull << 5;
constexpr uint64_t kLocalFiles = 1ull << 7;
constexpr uint64_t kProtocol41 = 1ull << 9;
constexpr uint64_t kSsl = 1ull << 11;
constexpr uint64_t kTransactions = 1ull << 13;
constexpr uint64_t kSecureConnection = 1ull << 15;
constexpr uint64_t kMultiStatements = 1ull << 16;
constexpr uint64_t kMultiResults = 1ull << 17;
constexpr uint64_t kPsMultiResults = 1ull << 18;
constexpr uint64_t kPluginAuth = 1ull << 19;
constexpr uint64_t kConnectAttrs = 1ull << 20;
constexpr uint64_t kPluginAuthLenencData = 1ull << 21;
constexpr uint64_t kSessionTrack = 1ull << 23;
constexpr uint64_t kDeprecateEof = 1ull << 24;
constexpr uint64_t kOptionalResultsetMetadata = 1ull << 25;
constexpr uint64_t kZstdCompression = 1ull << 26;
constexpr uint64_t kQueryAttributes = 1ull << 27;
// MariaDB extended capabilities (sent in the greeting's reserved bytes).
constexpr uint64_t kMariaDbProgress = 1ull << 32;
constexpr uint64_t kMariaDbComMulti = 1ull << 33;
constexpr uint64_t kMariaDbStmtBulk = 1ull << 34;
constexpr uint64_t kMariaDbExtendedTypeInfo = 1ull << 35;
constexpr uint64_t kMariaDbCacheMetadata = 1ull << 36;
}  // namespace cap

// Status flags of OK/EOF packets.
namespace status {
constexpr uint16_t kInTrans = 0x0001;
constexpr uint16_t kAutocommit = 0x0002;
constexpr uint16_t kMoreResultsExist = 0x0008;
constexpr uint16_t kCursorExists = 0x0040;
constexpr uint16_t kLastRowSent = 0x0080;
constexpr uint16_t kInTransReadonly = 0x2000;
constexpr uint16_t kSessionStateChanged = 0x4000;
}  // namespace status

// Command bytes.
enum class Command : uint8_t {
  kSleep = 0x00,
  kQuit = 0x01,
  kInitDb = 0x02,
  kQuery = 0x03,
  kFieldList = 0x04,
  kCreateDb = 0x05,
  kDropDb = 0x06,
  kRefresh = 0x07,
  kShutdown = 0x08,
  kStatistics = 0x09,
  kProcessInfo = 0x0a,
  kConnect = 0x0b,
  kProcessKill = 0x0c,
  kDebug = 0x0d,
  kPing = 0x0e,
  kTime = 0x0f,
  kDelayedInsert = 0x10,
  kChangeUser = 0x11,
  kBinlogDump = 0x12,
  kTableDump = 0x13,
  kConnectOut = 0x14,
  kRegisterSlave = 0x15,
  kStmtPrepare = 0x16,
  kStmtExecute = 0x17,
  kStmtSendLongData = 0x18,
  kStmtClose = 0x19,
  kStmtReset = 0x1a,
  kSetOption = 0x1b,
  kStmtFetch = 0x1c,
  kDaemon = 0x1d,
  kBinlogDumpGtid = 0x1e,
  kResetConnection = 0x1f,
  kStmtBulkExecute = 0xfa,  // MariaDB
};

constexpr uint32_t kMaxFramePayload = 0xffffff;  // a frame of this size is continued by the next
constexpr uint8_t kOkHeader = 0x00;
constexpr uint8_t kEofHeader = 0xfe;
constexpr uint8_t kErrHeader = 0xff;
constexpr uint8_t kLocalInfileHeader = 0xfb;

}  // namespace sealgate::protocol
