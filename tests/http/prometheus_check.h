// A strict reader of Prometheus text exposition format 0.0.4 for tests: every
// line is a HELP, a TYPE, a comment or a sample; each family is declared once,
// HELP then TYPE, before its samples, and its samples are contiguous.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace sealgate::proxy::testing {

struct ParsedExposition {
  std::vector<std::string> problems;          // empty when the text is valid
  std::map<std::string, std::string> types;   // family -> counter|gauge|histogram
  std::map<std::string, double> samples;      // "name{labels}" exactly as written -> value
};

ParsedExposition CheckExposition(const std::string& text);

}  // namespace sealgate::proxy::testing
