#include "binlog/compression.h"

#include <zlib.h>
#include <zstd.h>

namespace sealgate::binlog {

StatusOr<std::string> MariaUncompress(Bytes in, size_t limit) {
  ByteReader r(in);
  uint8_t head = r.U8();
  size_t len_bytes = head & 0x07;
  if (!r.ok() || (head & 0xe0) != 0x80 || len_bytes == 0 || len_bytes > 4) {
    return Status::Corruption("compressed event: bad compression header");
  }
  uint64_t out_len = r.BE(len_bytes);
  if (!r.ok()) return Status::Corruption("compressed event: truncated length");
  if (out_len > limit) return Status::Corruption("compressed event: uncompressed size over limit");
  std::string out(out_len, '\0');
  uLongf dest_len = uLongf(out_len);
  Bytes src = r.rest();
  // uncompress() needs dest_len >= actual output; a liar header fails with Z_BUF_ERROR.
  int rc = uncompress(reinterpret_cast<Bytef*>(out.data()), &dest_len, src.data(), uLong(src.size()));
  if (rc != Z_OK || dest_len != out_len) {
    return Status::Corruption("compressed event: zlib error " + std::to_string(rc));
  }
  return out;
}

StatusOr<std::string> ZstdUncompress(Bytes in, size_t expected_size, size_t limit) {
  if (expected_size > limit) return Status::Corruption("transaction payload: uncompressed size over limit");
  std::string out(expected_size, '\0');
  size_t n = ZSTD_decompress(out.data(), out.size(), in.data(), in.size());
  if (ZSTD_isError(n)) {
    return Status::Corruption(std::string("transaction payload: zstd: ") + ZSTD_getErrorName(n));
  }
  if (n != expected_size) return Status::Corruption("transaction payload: size mismatch");
  return out;
}

}  // namespace sealgate::binlog
