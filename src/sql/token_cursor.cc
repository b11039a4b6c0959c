#include "sql/token_cursor.h"

namespace sealgate::sql {

const Token TokenCursor::kEnd{TokenKind::kPunct, std::string_view(), 0, 0};

bool TokenCursor::SkipParenGroup() {
  if (!PeekPunct('(')) return false;
  int depth = 0;
  while (!AtEnd()) {
    const Token& t = Next();
    if (t.IsPunct('(')) ++depth;
    if (t.IsPunct(')') && --depth == 0) break;
  }
  return true;
}

void TokenCursor::SkipExpression() {
  while (!AtEnd() && !PeekPunct(',') && !PeekPunct(')')) {
    if (PeekPunct('(')) {
      SkipParenGroup();
    } else {
      Next();
    }
  }
}

std::optional<TableName> TokenCursor::ParseTableName() {
  if (!Peek().IsIdentifier()) return std::nullopt;
  TableName name;
  name.name = Unquote(Next());
  if (PeekPunct('.') && Peek(1).IsIdentifier()) {
    Next();
    name.schema = std::move(name.name);
    name.name = Unquote(Next());
  }
  return name;
}

std::optional<std::string> TokenCursor::ParseName() {
  const Token& t = Peek();
  if (t.kind != TokenKind::kWord && t.kind != TokenKind::kQuotedIdent && t.kind != TokenKind::kString) {
    return std::nullopt;
  }
  return Unquote(Next());
}

}  // namespace sealgate::sql
