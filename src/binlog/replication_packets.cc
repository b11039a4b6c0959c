#include "binlog/replication_packets.h"

#include <algorithm>

#include "binlog/byte_reader.h"

namespace sealgate::binlog {
namespace {

void PutShortString(std::string* out, const std::string& s) {
  size_t n = std::min<size_t>(s.size(), 255);
  out->push_back(char(n));
  out->append(s, 0, n);
}

}  // namespace

std::string EncodeRegisterSlave(const RegisterSlaveRequest& r) {
  std::string out;
  PutLE(&out, r.server_id, 4);
  PutShortString(&out, r.host);
  PutShortString(&out, r.user);
  PutShortString(&out, r.password);
  PutLE(&out, r.port, 2);
  PutLE(&out, 0, 4);  // replication rank (unused)
  PutLE(&out, 0, 4);  // master id (filled in by the server)
  return out;
}

std::string EncodeBinlogDump(const BinlogDumpRequest& r) {
  std::string out;
  PutLE(&out, r.position, 4);
  PutLE(&out, r.flags, 2);
  PutLE(&out, r.server_id, 4);
  out += r.file;
  return out;
}

std::string EncodeBinlogDumpGtid(const BinlogDumpGtidRequest& r) {
  std::string out;
  PutLE(&out, r.flags, 2);
  PutLE(&out, r.server_id, 4);
  PutLE(&out, r.file.size(), 4);
  out += r.file;
  PutLE(&out, r.position, 8);
  if (r.flags & 0x04) {
    PutLE(&out, r.encoded_gtid_set.size(), 4);
    out += r.encoded_gtid_set;
  }
  return out;
}

}  // namespace sealgate::binlog
