#include "migration/chunk_budget.h"

#include <algorithm>

namespace sealgate::migration {

void ChunkByteBudget::Configure(uint64_t max_binlog_cache_size, uint64_t avg_row_length) {
  uint64_t bytes = kCeilingBytes;
  if (max_binlog_cache_size > 0) bytes = std::min(bytes, max_binlog_cache_size / kCacheShareDivisor);
  uint64_t row = std::max<uint64_t>(avg_row_length, 1);
  max_rows_ = std::max<uint64_t>(1, bytes / row);
}

bool ChunkByteBudget::Shrink(uint64_t attempted) {
  if (attempted <= 1) return false;
  max_rows_ = std::max<uint64_t>(1, std::min(max_rows_, attempted / 2));
  return true;
}

}  // namespace sealgate::migration
