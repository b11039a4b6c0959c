// Binlog event type codes and column type codes (MySQL and MariaDB), as they
// appear on the wire.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sealgate::binlog {

enum EventType : uint8_t {
  kUnknownEvent = 0,
  kQueryEvent = 2,
  kStopEvent = 3,
  kRotateEvent = 4,
  kIntvarEvent = 5,
  kRandEvent = 13,
  kUserVarEvent = 14,
  kFormatDescriptionEvent = 15,
  kXidEvent = 16,
  kTableMapEvent = 19,
  kWriteRowsEventV1 = 23,
  kUpdateRowsEventV1 = 24,
  kDeleteRowsEventV1 = 25,
  kIncidentEvent = 26,
  kHeartbeatEvent = 27,
  kIgnorableEvent = 28,
  kRowsQueryEvent = 29,
  kWriteRowsEventV2 = 30,
  kUpdateRowsEventV2 = 31,
  kDeleteRowsEventV2 = 32,
  kMysqlGtidEvent = 33,
  kMysqlAnonymousGtidEvent = 34,
  kMysqlPreviousGtidsEvent = 35,
  kTransactionContextEvent = 36,
  kViewChangeEvent = 37,
  kXaPrepareEvent = 38,
  kPartialUpdateRowsEvent = 39,
  kTransactionPayloadEvent = 40,
  kHeartbeatEventV2 = 41,
  // MariaDB
  kAnnotateRowsEvent = 160,
  kBinlogCheckpointEvent = 161,
  kMariaGtidEvent = 162,
  kMariaGtidListEvent = 163,
  kStartEncryptionEvent = 164,
  kQueryCompressedEvent = 165,
  kWriteRowsCompressedEventV1 = 166,
  kUpdateRowsCompressedEventV1 = 167,
  kDeleteRowsCompressedEventV1 = 168,
  kWriteRowsCompressedEvent = 169,
  kUpdateRowsCompressedEvent = 170,
  kDeleteRowsCompressedEvent = 171,
};

// Column types of the table map event (enum_field_types).
enum ColumnType : uint8_t {
  kTypeDecimal = 0,
  kTypeTiny = 1,
  kTypeShort = 2,
  kTypeLong = 3,
  kTypeFloat = 4,
  kTypeDouble = 5,
  kTypeNull = 6,
  kTypeTimestamp = 7,
  kTypeLongLong = 8,
  kTypeInt24 = 9,
  kTypeDate = 10,
  kTypeTime = 11,
  kTypeDateTime = 12,
  kTypeYear = 13,
  kTypeNewDate = 14,
  kTypeVarchar = 15,
  kTypeBit = 16,
  kTypeTimestamp2 = 17,
  kTypeDateTime2 = 18,
  kTypeTime2 = 19,
  kTypeJson = 245,
  kTypeNewDecimal = 246,
  kTypeEnum = 247,
  kTypeSet = 248,
  kTypeTinyBlob = 249,
  kTypeMediumBlob = 250,
  kTypeLongBlob = 251,
  kTypeBlob = 252,
  kTypeVarString = 253,
  kTypeString = 254,
  kTypeGeometry = 255,
};

// Common header flags.
constexpr uint16_t kLogEventArtificialFlag = 0x20;

// Checksum algorithms of the format description event.
constexpr uint8_t kChecksumOff = 0;
constexpr uint8_t kChecksumCrc32 = 1;

constexpr size_t kEventHeaderLength = 19;
constexpr size_t kChecksumLength = 4;

const char* EventTypeName(uint8_t type);

}  // namespace sealgate::binlog
