// Internal to ALTER analysis: the per-specification parser and the refusal
// helpers shared by alter.cc and alter_spec.cc.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "sql/alter.h"
#include "sql/lexer.h"

namespace sealgate::sql::internal {

// The tokens of one comma-separated specification: [begin, end) of `tokens`.
struct SpecRange {
  std::string_view sql;
  const std::vector<Token>* tokens;
  size_t begin;
  size_t end;
};

// Parses one specification into one or more AlterSpecs (ADD (a .., b ..) and
// space-separated table options yield several), or refuses it.
Status ParseAlterSpec(const SpecRange& range, AlterTable* out);

Status AlterSyntaxError(std::string message);
Status RefuseAlter(uint16_t mysql_errno, std::string message);

}  // namespace sealgate::sql::internal
