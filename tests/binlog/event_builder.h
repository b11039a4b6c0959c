// Builds binlog events byte by byte, for unit tests, fuzz seeds and the
// benchmark. Mirrors what MariaDB 10.11 / MySQL 8.0 write.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <string>
#include <vector>

#include "binlog/byte_reader.h"
#include "binlog/event_types.h"

namespace sealgate::binlog::testing {

// A full event: 19-byte header, body, CRC32 trailer when `crc`.
inline std::string MakeEvent(uint8_t type, const std::string& body, uint32_t log_pos = 0, bool crc = true,
                             uint32_t server_id = 1, uint16_t flags = 0) {
  std::string e;
  uint32_t len = uint32_t(kEventHeaderLength + body.size() + (crc ? 4 : 0));
  PutLE(&e, 1700000000, 4);
  e.push_back(char(type));
  PutLE(&e, server_id, 4);
  PutLE(&e, len, 4);
  PutLE(&e, log_pos, 4);
  PutLE(&e, flags, 2);
  e += body;
  if (crc) PutLE(&e, crc32(0, reinterpret_cast<const Bytef*>(e.data()), uInt(e.size())), 4);
  return e;
}

inline std::string FormatDescriptionBody(const std::string& version, uint8_t checksum_alg) {
  std::string b;
  PutLE(&b, 4, 2);
  std::string v = version;
  v.resize(50, '\0');
  b += v;
  PutLE(&b, 0, 4);
  b.push_back(char(19));
  std::vector<uint8_t> post(171, 0);
  post[kQueryEvent - 1] = 13;
  post[kQueryCompressedEvent - 1] = 13;
  post[kRotateEvent - 1] = 8;
  post[kFormatDescriptionEvent - 1] = 84;
  post[kTableMapEvent - 1] = 8;
  for (int t : {23, 24, 25, 166, 167, 168}) post[t - 1] = 8;
  for (int t : {30, 31, 32, 169, 170, 171}) post[t - 1] = 10;
  post[kMysqlGtidEvent - 1] = 42;
  post[kMariaGtidEvent - 1] = 19;
  for (uint8_t p : post) b.push_back(char(p));
  b.push_back(char(checksum_alg));
  return b;
}

// FDE with its checksum slot: with CRC32 a real CRC, with OFF four zero bytes.
inline std::string FormatDescriptionEvent(const std::string& version = "10.11.6-MariaDB-log",
                                          uint8_t alg = kChecksumCrc32) {
  if (alg == kChecksumCrc32) return MakeEvent(kFormatDescriptionEvent, FormatDescriptionBody(version, alg), 256);
  return MakeEvent(kFormatDescriptionEvent, FormatDescriptionBody(version, alg) + std::string(4, '\0'), 256, false);
}

struct ColumnSpec {
  uint8_t type;
  std::string meta;  // raw metadata bytes as the table map stores them
  bool nullable = true;
};

inline std::string TableMapBody(uint64_t table_id, const std::string& schema, const std::string& table,
                                const std::vector<ColumnSpec>& cols, const std::string& optional_meta = "") {
  std::string b;
  PutLE(&b, table_id, 6);
  PutLE(&b, 1, 2);
  b.push_back(char(schema.size()));
  b += schema;
  b.push_back('\0');
  b.push_back(char(table.size()));
  b += table;
  b.push_back('\0');
  PutPackedInt(&b, cols.size());
  for (auto& c : cols) b.push_back(char(c.type));
  std::string meta;
  for (auto& c : cols) meta += c.meta;
  PutPackedInt(&b, meta.size());
  b += meta;
  std::string nulls((cols.size() + 7) / 8, '\0');
  for (size_t i = 0; i < cols.size(); ++i) {
    if (cols[i].nullable) nulls[i / 8] = char(nulls[i / 8] | (1 << (i % 8)));
  }
  b += nulls;
  b += optional_meta;
  return b;
}

// Rows body: post header, (v2 extra), column count, present bitmap(s) all set,
// then `rows` (already-encoded images, each starting with its null bitmap).
inline std::string RowsBody(uint64_t table_id, size_t ncols, bool update, bool v2, const std::string& rows,
                            uint16_t flags = 1) {
  std::string b;
  PutLE(&b, table_id, 6);
  PutLE(&b, flags, 2);
  if (v2) PutLE(&b, 2, 2);
  PutPackedInt(&b, ncols);
  std::string all((ncols + 7) / 8, '\0');
  for (size_t i = 0; i < ncols; ++i) all[i / 8] = char(all[i / 8] | (1 << (i % 8)));
  b += all;
  if (update) b += all;
  b += rows;
  return b;
}

inline std::string Le(uint64_t v, size_t n) {
  std::string s;
  PutLE(&s, v, n);
  return s;
}
inline std::string Be(uint64_t v, size_t n) {
  std::string s;
  PutBE(&s, v, n);
  return s;
}
inline std::string Meta1(uint8_t m) { return std::string(1, char(m)); }
inline std::string Meta2(uint8_t a, uint8_t b) { return std::string{char(a), char(b)}; }

// MariaDB's compressed form of `plain` (log_bin_compress).
inline std::string MariaCompress(const std::string& plain) {
  uLongf cap = compressBound(uLong(plain.size()));
  std::string z(cap, '\0');
  compress(reinterpret_cast<Bytef*>(z.data()), &cap, reinterpret_cast<const Bytef*>(plain.data()), uLong(plain.size()));
  z.resize(cap);
  std::string out;
  out.push_back(char(0x80 | 4));
  PutBE(&out, plain.size(), 4);
  return out + z;
}

}  // namespace sealgate::binlog::testing
