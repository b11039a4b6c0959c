// Recognition and ALTER analysis must accept any bytes without crashing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sql/alter.h"
#include "sql/schema_writes.h"
#include "sql/statement.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view sql(reinterpret_cast<const char*>(data), size);
  for (std::string_view piece : sealgate::sql::SplitStatements(sql)) {
    sealgate::sql::Statement s = sealgate::sql::Classify(piece);
    (void)s;
  }
  sealgate::sql::Statement whole = sealgate::sql::Classify(sql);
  (void)whole;
  (void)sealgate::sql::FindWriteTargets(sql);
  (void)sealgate::sql::SchemaWriteGuard("_sealgate").Refuses(sql, "_sealgate");
  // AnalyzeAlter needs an ALTER TABLE head to get past it; prefix one too.
  for (std::string_view text : {sql, std::string_view()}) {
    std::string input = text.empty() ? "ALTER TABLE t " + std::string(sql) : std::string(sql);
    sealgate::StatusOr<sealgate::sql::AlterTable> alter = sealgate::sql::AnalyzeAlter(input);
    if (alter.ok()) {
      std::string rendered = sealgate::sql::RenderAlter(*alter, {"db", "_t_new"});
      (void)sealgate::sql::AnalyzeAlter(rendered);
      (void)sealgate::sql::ProjectColumns(*alter, {"a", "b"}, {"a", "c"});
    }
  }
  return 0;
}
