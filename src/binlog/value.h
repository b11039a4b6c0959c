// Decoded column values and column definitions.
//
// A Value is typed and lossless: integers keep their width's full range
// (signed or unsigned), DECIMAL is its exact text, temporal values keep every
// field including fractional seconds and TIME's sign, strings and blobs are the
// raw bytes in the column's character set, ENUM is the 1-based index, SET the
// bitmask, BIT the big-endian bytes, JSON its text (MySQL binary JSON is
// converted to the server's text form), GEOMETRY the server's internal bytes
// (4-byte SRID + WKB).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sealgate::binlog {

enum class ValueKind : uint8_t {
  kMissing,    // column not present in this row image
  kNull,
  kInt,        // i
  kUInt,       // u
  kFloat,      // d (was a 4-byte float)
  kDouble,     // d
  kDecimal,    // bytes: exact decimal text, e.g. "-12.3400"
  kBytes,      // bytes: CHAR/VARCHAR/BINARY/VARBINARY/BLOB/TEXT
  kYear,       // u: 0 or 1901..2155
  kDate,       // t (year, month, day)
  kTime,       // t (negative, hour 0..838, minute, second, micros)
  kDateTime,   // t
  kTimestamp,  // i: seconds since the epoch (UTC), t.micros
  kEnum,       // u: 1-based index, 0 = the empty error value
  kSet,        // u: bitmask of members
  kBit,        // bytes: big-endian, (bits+7)/8 bytes; u: the value when <= 64 bits
  kJson,       // bytes: JSON text
  kGeometry,   // bytes: SRID (4 bytes LE) + WKB
};

struct Temporal {
  bool negative = false;  // TIME only
  uint16_t year = 0;
  uint8_t month = 0;
  uint8_t day = 0;
  uint32_t hour = 0;  // TIME may exceed 23
  uint8_t minute = 0;
  uint8_t second = 0;
  uint32_t micros = 0;
};

struct Value {
  ValueKind kind = ValueKind::kNull;
  uint8_t fsp = 0;  // fractional second digits of temporal columns
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
  Temporal t;
  std::string bytes;

  bool is_null() const { return kind == ValueKind::kNull; }
};

// One column as the binlog (and, where it is silent, the consumer) describes it.
struct ColumnDef {
  std::string name;      // empty unless the table map or the consumer named it
  uint8_t type = 0;      // ColumnType as written in the table map
  uint8_t real_type = 0; // for kTypeString: kTypeString/kTypeEnum/kTypeSet
  uint16_t meta = 0;     // type metadata (see rows decoding)
  uint32_t max_length = 0;  // CHAR/BINARY: byte length after metadata decoding
  bool nullable = true;
  bool is_unsigned = false;
  bool signedness_known = false;
  uint32_t charset = 0;  // collation id, 0 if unknown (63 = binary)
  std::vector<std::string> enum_values;  // ENUM/SET labels if known
};

// Consumer-supplied description of a column (e.g. from information_schema),
// used where the table map carries no optional metadata (MariaDB's default
// binlog_row_metadata=NO_LOG). Matched to table-map columns by position.
struct ColumnInfo {
  std::string name;
  bool is_unsigned = false;
  uint32_t charset = 0;  // collation id, 0 if unknown
  std::vector<std::string> enum_values;
};

// Renders a value the way the server renders it in a text result set
// (`SELECT col`), with TIMESTAMP in UTC ('+00:00'). kNull and kMissing render
// as "NULL". Strings/bytes are returned raw (no quoting). FLOAT/DOUBLE use the
// shortest round-trip form. ENUM/SET render labels when `column` has them,
// else the number.
std::string ValueToText(const Value& v, const ColumnDef* column = nullptr);

// Renders a value as an SQL literal that reproduces it exactly when sent on a
// connection with time_zone='+00:00': strings as X'..' hex (charset-neutral;
// the server converts from the column's charset), numbers bare, temporals
// quoted.
std::string ValueToSqlLiteral(const Value& v, const ColumnDef* column = nullptr);

}  // namespace sealgate::binlog
