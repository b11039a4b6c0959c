// How many rows one copy chunk may carry by size. A chunk is one
// transaction, and the server keeps its row images in the binlog cache until
// COMMIT: past max_binlog_cache_size the chunk fails (error 1197). Rows are
// sized from the table's average row length; a chunk that still hits the
// limit halves the allowance (down to one row) instead of failing the copy.
//
// Not thread-safe: the copy's thread owns it.
#pragma once

#include <cstdint>
#include <limits>

namespace sealgate::migration {

class ChunkByteBudget {
 public:
  // The share of the binlog cache one chunk may fill (the rest is headroom
  // for the estimate's error), and a ceiling for a server without a limit.
  static constexpr uint64_t kCacheShareDivisor = 4;
  static constexpr uint64_t kCeilingBytes = 64ull << 20;

  // `max_binlog_cache_size` and the table's AVG_ROW_LENGTH as the server
  // reports them (0: unknown).
  void Configure(uint64_t max_binlog_cache_size, uint64_t avg_row_length);

  // At most this many rows per chunk (>= 1).
  uint64_t max_rows() const { return max_rows_; }

  // A chunk of `attempted` rows did not fit: allow half of it from now on.
  // False when a single row does not fit (nothing smaller to try).
  bool Shrink(uint64_t attempted);

 private:
  uint64_t max_rows_ = std::numeric_limits<uint64_t>::max();
};

}  // namespace sealgate::migration
