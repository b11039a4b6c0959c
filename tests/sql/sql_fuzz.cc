// Recognition and ALTER analysis must accept any bytes without crashing.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sql/statement.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view sql(reinterpret_cast<const char*>(data), size);
  for (std::string_view piece : sealgate::sql::SplitStatements(sql)) {
    sealgate::sql::Statement s = sealgate::sql::Classify(piece);
    (void)s;
  }
  sealgate::sql::Statement whole = sealgate::sql::Classify(sql);
  (void)whole;
  return 0;
}
