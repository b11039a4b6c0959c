#include "prometheus_check.h"

#include <cstdlib>
#include <regex>
#include <set>
#include <sstream>

namespace sealgate::proxy::testing {
namespace {

// The family a sample belongs to: histogram samples carry a suffix.
std::string FamilyOf(const std::string& name, const std::map<std::string, std::string>& types) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    std::string s(suffix);
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      std::string base = name.substr(0, name.size() - s.size());
      auto it = types.find(base);
      if (it != types.end() && it->second == "histogram") return base;
    }
  }
  return name;
}

}  // namespace

ParsedExposition CheckExposition(const std::string& text) {
  static const std::regex kHelp(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*))");
  static const std::regex kType(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped))");
  static const std::regex kSample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*\})? (\S+))");
  ParsedExposition out;
  std::set<std::string> helped, finished;
  std::string current;  // the family whose samples may follow
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  if (!text.empty() && text.back() != '\n') out.problems.push_back("text does not end with a newline");
  while (std::getline(lines, line)) {
    ++number;
    std::string where = "line " + std::to_string(number) + " '" + line + "': ";
    std::smatch m;
    if (std::regex_match(line, m, kHelp)) {
      if (!helped.insert(m[1]).second) out.problems.push_back(where + "second HELP");
      if (!current.empty()) finished.insert(current);
      current = m[1];
    } else if (std::regex_match(line, m, kType)) {
      if (m[1] != current || out.types.count(m[1])) out.problems.push_back(where + "TYPE not right after its HELP");
      out.types[m[1]] = m[2];
    } else if (line.rfind("# ", 0) == 0) {
      // a comment
    } else if (std::regex_match(line, m, kSample)) {
      std::string family = FamilyOf(m[1], out.types);
      if (family != current || finished.count(family)) out.problems.push_back(where + "sample outside its family");
      char* end = nullptr;
      std::string value = m[3];
      double v = std::strtod(value.c_str(), &end);
      if (*end != '\0') out.problems.push_back(where + "bad value");
      if (!out.samples.emplace(std::string(m[1]) + std::string(m[2]), v).second) {
        out.problems.push_back(where + "duplicate sample");
      }
    } else {
      out.problems.push_back(where + "not HELP, TYPE, comment or sample");
    }
  }
  return out;
}

}  // namespace sealgate::proxy::testing
