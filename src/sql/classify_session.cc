// SET (system variables the seal and the applier care about) and the prepared
// statement forms that can carry DDL.
#include "sql/classify_internal.h"

namespace sealgate::sql::internal {
namespace {

std::optional<VariableScope> ParseScopeKeyword(TokenCursor& c) {
  if (c.Accept("GLOBAL")) return VariableScope::kGlobal;
  if (c.Accept("SESSION") || c.Accept("LOCAL")) return VariableScope::kSession;
  if (c.Accept("PERSIST")) return VariableScope::kPersist;
  if (c.Accept("PERSIST_ONLY")) return VariableScope::kPersistOnly;
  return std::nullopt;
}

void AddVariable(Statement* out, std::string name, VariableScope scope) {
  if (scope != VariableScope::kSession) out->global = true;
  out->variables.push_back(name);
  out->assignments.push_back(VariableAssignment{std::move(name), scope});
}

// Skips an assigned value: up to ',' at depth 0, or FOR in SET STATEMENT.
void SkipValue(TokenCursor& c, bool stop_at_for) {
  while (!c.AtEnd() && !c.PeekPunct(',') && !(stop_at_for && c.PeekIs("FOR"))) {
    if (!c.SkipParenGroup()) c.Next();
  }
}

// @@[scope.]name: the scope prefix overrides the statement's.
std::optional<std::string> ParseSystemVariableName(TokenCursor& c, VariableScope* scope) {
  if (c.Peek().text == "@@") {
    c.Next();
    *scope = VariableScope::kSession;
    if (c.PeekPunct('.', 1)) {
      if (c.PeekIs("GLOBAL")) *scope = VariableScope::kGlobal;
      if (c.PeekIs("PERSIST")) *scope = VariableScope::kPersist;
      if (c.PeekIs("PERSIST_ONLY")) *scope = VariableScope::kPersistOnly;
      c.Next();
      c.Next();
    }
  }
  if (!c.Peek().IsIdentifier()) return std::nullopt;
  std::string name = ToLower(Unquote(c.Next()));
  while (c.PeekPunct('.') && c.Peek(1).IsIdentifier()) {  // structured: keycache.key_buffer_size
    c.Next();
    name += "." + ToLower(Unquote(c.Next()));
  }
  return name;
}

void ParseSetTransaction(TokenCursor& c, Statement* out, VariableScope scope) {
  while (!c.AtEnd()) {
    if (c.Accept("ISOLATION")) {
      AddVariable(out, "transaction_isolation", scope);
    } else if (c.PeekIs("READ") && (c.PeekIs("ONLY", 1) || c.PeekIs("WRITE", 1))) {
      c.Next();
      AddVariable(out, "transaction_read_only", scope);
    } else {
      c.Next();
    }
  }
}

// One "[scope] target = value" item of a SET list; false if it is not one.
bool ParseSetItem(TokenCursor& c, Statement* out, VariableScope* carried, bool statement_form) {
  if (std::optional<VariableScope> s = ParseScopeKeyword(c)) *carried = *s;
  if (c.Accept("NAMES")) {
    for (const char* v : {"character_set_client", "character_set_connection", "character_set_results"}) {
      AddVariable(out, v, VariableScope::kSession);
    }
  } else if (c.AcceptSeq({"CHARACTER", "SET"}) || c.Accept("CHARSET")) {
    for (const char* v : {"character_set_client", "character_set_results", "character_set_connection"}) {
      AddVariable(out, v, VariableScope::kSession);
    }
  } else if (c.Accept("TRANSACTION")) {
    ParseSetTransaction(c, out, *carried);
    return true;
  } else if (c.Peek().text == "@" ) {  // user variable: not listed
    c.Next();
    c.Next();
  } else {
    VariableScope scope = *carried;
    std::optional<std::string> name = ParseSystemVariableName(c, &scope);
    if (!name) return false;
    AddVariable(out, std::move(*name), scope);
  }
  SkipValue(c, statement_form);
  return true;
}

}  // namespace

bool ClassifySet(TokenCursor& c, Statement* out) {
  if (c.PeekIs("PASSWORD") || c.PeekIs("ROLE") || c.PeekIs("RESOURCE") ||
      (c.PeekIs("DEFAULT") && c.PeekIs("ROLE", 1))) {
    return false;
  }
  bool statement_form = c.PeekIs("STATEMENT") && !c.PeekPunct('=', 1) && !c.PeekPunct(':', 1);
  if (statement_form) c.Next();
  VariableScope carried = VariableScope::kSession;
  do {
    if (!ParseSetItem(c, out, &carried, statement_form)) return false;
  } while (c.AcceptPunct(','));
  if (statement_form && c.Accept("FOR") && !c.AtEnd()) {
    // Classify() cut the text at ';', so the inner statement runs to the cursor's end.
    const Token& first = c.Peek();
    size_t begin = first.begin;
    size_t end = first.end;
    while (!c.AtEnd()) end = c.Next().end;
    out->inner_sql = std::string(first.text.data(), end - begin);
  }
  out->kind = StatementKind::kSetSessionVariable;
  return true;
}

namespace {

// 'text' | @var | expression (MariaDB accepts any expression), in tokens [pos, end).
void ParseStatementSource(TokenCursor& c, size_t end, Statement* out) {
  size_t n = end - c.pos();
  if (n == 1 && c.Peek().kind == TokenKind::kString) {
    out->inner_sql = Unquote(c.Next());
  } else if (n == 2 && c.Peek().text == "@" && c.Peek(1).kind != TokenKind::kPunct) {
    c.Next();
    out->inner_sql_variable = Unquote(c.Next());
  } else {
    out->inner_sql_is_expression = true;
  }
}

}  // namespace

bool ClassifyPrepare(TokenCursor& c, Statement* out) {
  std::optional<std::string> name = c.ParseName();
  if (!name || !c.Accept("FROM")) return false;
  out->kind = StatementKind::kPrepare;
  out->prepared_name = *name;
  ParseStatementSource(c, c.end(), out);
  return true;
}

bool ClassifyExecute(TokenCursor& c, Statement* out) {
  if (c.Accept("IMMEDIATE")) {
    out->kind = StatementKind::kExecuteImmediate;
    // EXECUTE IMMEDIATE 'sql' USING ...: the USING part is not the statement.
    size_t end = c.pos();
    while (end < c.end() && !c.PeekIs("USING", end - c.pos())) ++end;
    ParseStatementSource(c, end, out);
    return true;
  }
  std::optional<std::string> name = c.ParseName();
  if (!name) return false;
  out->kind = StatementKind::kExecute;
  out->prepared_name = *name;
  return true;
}

bool ClassifyDeallocate(TokenCursor& c, Statement* out) {
  c.Accept("PREPARE");
  std::optional<std::string> name = c.ParseName();
  if (!name) return false;
  out->kind = StatementKind::kDeallocatePrepare;
  out->prepared_name = *name;
  return true;
}

}  // namespace sealgate::sql::internal
