// Decompression of compressed binlog payloads.
#pragma once

#include <cstddef>
#include <string>

#include "binlog/byte_reader.h"
#include "common/status.h"

namespace sealgate::binlog {

// MariaDB's compressed-event body (log_bin_compress): one header byte
// 0x80|n, the uncompressed length in n big-endian bytes (1..4), then a zlib
// stream. Returns the uncompressed bytes; Corruption if malformed or larger
// than `limit`.
StatusOr<std::string> MariaUncompress(Bytes in, size_t limit);

// A zstd frame (MySQL 8 transaction payload), at most `limit` bytes out.
StatusOr<std::string> ZstdUncompress(Bytes in, size_t expected_size, size_t limit);

}  // namespace sealgate::binlog
