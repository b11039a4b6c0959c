// Which tables a statement names: a small tokenizer, not a SQL parser. It
// exists so the stream can tell a consumer "this DDL/TRUNCATE touched your
// table"; false positives are harmless there, misses are not, so it errs on
// collecting more names.
#include <algorithm>
#include <cctype>
#include <string>

#include "binlog/event_decoder.h"

namespace sealgate::binlog {
namespace {

struct Token {
  std::string text;   // identifier text (unquoted) or upper-cased keyword/punctuation
  bool quoted = false;
};

std::vector<Token> Tokenize(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0, n = s.size();
  while (i < n) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) { ++i; continue; }
    if (c == '#' || (c == '-' && i + 1 < n && s[i + 1] == '-')) {
      while (i < n && s[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < n && s[i + 1] == '*') {
      size_t end = s.find("*/", i + 2);
      i = end == std::string_view::npos ? n : end + 2;
      continue;
    }
    if (c == '`') {
      Token t;
      t.quoted = true;
      for (++i; i < n; ++i) {
        if (s[i] == '`') {
          if (i + 1 < n && s[i + 1] == '`') { t.text.push_back('`'); ++i; continue; }
          ++i;
          break;
        }
        t.text.push_back(s[i]);
      }
      out.push_back(std::move(t));
      continue;
    }
    if (c == '\'' || c == '"') {  // string literal: skipped as one token
      for (++i; i < n && s[i] != c; ++i) if (s[i] == '\\') ++i;
      ++i;
      out.push_back({"'", false});
      continue;
    }
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' || (c & 0x80)) {
      Token t;
      while (i < n && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_' || s[i] == '$' || (s[i] & 0x80))) {
        t.text.push_back(s[i++]);
      }
      out.push_back(std::move(t));
      continue;
    }
    out.push_back({std::string(1, c), false});
    ++i;
  }
  return out;
}

std::string Upper(const Token& t) {
  if (t.quoted) return "";
  std::string u = t.text;
  for (auto& ch : u) ch = char(std::toupper(static_cast<unsigned char>(ch)));
  return u;
}

bool IsNameStart(const Token& t) {
  if (t.quoted) return true;
  if (t.text.empty()) return false;
  unsigned char c = static_cast<unsigned char>(t.text[0]);
  if (!(std::isalnum(c) || c == '_' || c == '$' || (c & 0x80))) return false;
  static const char* kReserved[] = {"IF", "NOT", "EXISTS", "SELECT", "SET", "VALUES", "VALUE", "WHERE",
                                    "PARTITION", "IGNORE", "LOW_PRIORITY", "HIGH_PRIORITY", "DELAYED",
                                    "QUICK", "ONLINE", "WAIT", "NOWAIT", "LATERAL"};
  std::string u = Upper(t);
  return std::none_of(std::begin(kReserved), std::end(kReserved), [&](const char* k) { return u == k; });
}

// Reads `name` or `schema.name` at tokens[*i]; advances past it.
bool ReadName(const std::vector<Token>& tok, size_t* i, const std::string& def,
              std::pair<std::string, std::string>* out) {
  if (*i >= tok.size() || !IsNameStart(tok[*i])) return false;
  std::string first = tok[*i].text;
  ++*i;
  if (*i + 1 < tok.size() && tok[*i].text == "." && !tok[*i].quoted && IsNameStart(tok[*i + 1])) {
    *out = {first, tok[*i + 1].text};
    *i += 2;
  } else {
    *out = {def, first};
  }
  return true;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> ExtractQueryTables(std::string_view statement,
                                                                    const std::string& default_schema) {
  std::vector<Token> tok = Tokenize(statement);
  std::vector<std::pair<std::string, std::string>> out;
  auto add = [&](const std::pair<std::string, std::string>& t) {
    if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
  };
  std::string verb = tok.empty() ? "" : Upper(tok[0]);
  // Statements whose TABLE keyword is followed by a comma-separated list.
  bool multi = verb == "RENAME" || verb == "DROP" || verb == "LOCK" || verb == "OPTIMIZE" ||
               verb == "ANALYZE" || verb == "REPAIR" || verb == "CHECK" || verb == "FLUSH";
  for (size_t i = 0; i < tok.size(); ++i) {
    std::string kw = Upper(tok[i]);
    bool list = (kw == "TABLE" || kw == "TABLES") && multi;
    bool single = kw == "TABLE" || kw == "TABLES" || kw == "INTO" || kw == "UPDATE" || kw == "FROM" ||
                  kw == "JOIN" || kw == "TRUNCATE" || (kw == "ON" && i >= 2) ||
                  (kw == "TO" && i >= 1 && Upper(tok[i - 1]) == "RENAME");
    if (!list && !single) continue;
    size_t j = i + 1;
    while (j < tok.size() && !tok[j].quoted &&
           (Upper(tok[j]) == "IF" || Upper(tok[j]) == "NOT" || Upper(tok[j]) == "EXISTS" ||
            Upper(tok[j]) == "IGNORE" || Upper(tok[j]) == "LOW_PRIORITY" || Upper(tok[j]) == "TABLE")) {
      ++j;
    }
    std::pair<std::string, std::string> name;
    while (ReadName(tok, &j, default_schema, &name)) {
      add(name);
      if (!list) break;
      // RENAME TABLE a TO b, c TO d / DROP TABLE a, b / LOCK TABLES a READ, b WRITE
      while (j < tok.size() && tok[j].text != "," && !tok[j].quoted && Upper(tok[j]) != "TO") {
        if (tok[j].text == ";" || tok[j].text == "(") { j = tok.size(); break; }
        ++j;
      }
      if (j >= tok.size()) break;
      ++j;
    }
  }
  return out;
}

}  // namespace sealgate::binlog
