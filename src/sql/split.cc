// SplitStatements(): ';' tokens end statements, except inside the body of a
// stored program (CREATE PROCEDURE/FUNCTION/TRIGGER/EVENT, BEGIN NOT ATOMIC),
// where the server itself parses the ';'-separated body as one statement.
#include <string_view>
#include <vector>

#include "sql/lexer.h"
#include "sql/statement.h"

namespace sealgate::sql {
namespace {

// True if the statement starting at tokens[i] is a stored program whose body
// may contain ';'.
bool StartsStoredProgram(const std::vector<Token>& tokens, size_t i) {
  if (i < tokens.size() && tokens[i].Is("BEGIN")) {
    return i + 2 < tokens.size() && tokens[i + 1].Is("NOT") && tokens[i + 2].Is("ATOMIC");
  }
  if (i >= tokens.size() || !tokens[i].Is("CREATE")) return false;
  // CREATE [OR REPLACE] [DEFINER = user] [AGGREGATE] PROCEDURE|FUNCTION|TRIGGER|EVENT:
  // scan a few tokens ahead rather than parse the definer.
  for (size_t j = i + 1; j < tokens.size() && j < i + 12; ++j) {
    const Token& t = tokens[j];
    if (t.Is("PROCEDURE") || t.Is("FUNCTION") || t.Is("TRIGGER") || t.Is("EVENT")) return true;
    if (t.Is("TABLE") || t.Is("INDEX") || t.Is("VIEW") || t.Is("DATABASE") || t.Is("SCHEMA") ||
        t.IsPunct(';') || t.IsPunct('(')) {
      return false;
    }
  }
  return false;
}

// Block depth change of token i inside a stored program body. Openers: BEGIN,
// IF / CASE / LOOP / WHILE / REPEAT as statements; END closes one (END IF etc.
// consume their keyword through `skip`).
int DepthChange(const std::vector<Token>& tokens, size_t i, size_t* skip) {
  const Token& t = tokens[i];
  const Token* next = i + 1 < tokens.size() ? &tokens[i + 1] : nullptr;
  bool next_is_paren = next != nullptr && next->IsPunct('(');
  if (t.Is("END")) {
    if (next != nullptr && (next->Is("IF") || next->Is("CASE") || next->Is("LOOP") ||
                            next->Is("WHILE") || next->Is("REPEAT"))) {
      *skip = 1;
    }
    return -1;
  }
  if (t.Is("BEGIN") || t.Is("CASE") || t.Is("LOOP") || t.Is("WHILE")) return 1;
  if (t.Is("REPEAT")) return next_is_paren ? 0 : 1;  // REPEAT('x', 3) is a function
  if (t.Is("IF")) {
    // IF(...) is a function; IF [NOT] EXISTS a clause.
    if (next_is_paren || (next != nullptr && (next->Is("EXISTS") || next->Is("NOT")))) return 0;
    return 1;
  }
  return 0;
}

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

}  // namespace

std::vector<std::string_view> SplitStatements(std::string_view sql) {
  std::vector<Token> tokens = Tokenize(sql);
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < tokens.size()) {
    if (tokens[i].IsPunct(';')) {
      ++i;
      continue;
    }
    size_t first = i;
    bool stored_program = StartsStoredProgram(tokens, i);
    int depth = 0;
    for (; i < tokens.size(); ++i) {
      if (tokens[i].IsPunct(';') && depth <= 0) break;
      if (!stored_program) continue;
      size_t skip = 0;
      depth += DepthChange(tokens, i, &skip);
      if (depth < 0) depth = 0;
      i += skip;
    }
    // A piece runs from the previous ';' to this one, comments included (an
    // executable comment's markers must stay with its content), less outer
    // whitespace.
    size_t begin = first > 0 ? tokens[first - 1].end : 0;
    size_t end = i < tokens.size() ? tokens[i].begin : sql.size();
    while (begin < end && IsBlank(sql[begin])) ++begin;
    while (end > begin && IsBlank(sql[end - 1])) --end;
    out.push_back(sql.substr(begin, end - begin));
  }
  return out;
}

}  // namespace sealgate::sql
