// A read position over a token vector, shared by the statement and ALTER parsers.
// Reading past the end yields a sentinel end-of-input token, so callers never
// index out of range. The token vector must outlive the cursor.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sql/lexer.h"
#include "sql/statement.h"

namespace sealgate::sql {

class TokenCursor {
 public:
  explicit TokenCursor(const std::vector<Token>& tokens, size_t end = static_cast<size_t>(-1))
      : tokens_(&tokens), end_(end < tokens.size() ? end : tokens.size()) {}

  bool AtEnd() const { return pos_ >= end_; }
  size_t pos() const { return pos_; }
  void set_pos(size_t p) { pos_ = p; }
  size_t end() const { return end_; }
  const Token& Peek(size_t ahead = 0) const {
    return pos_ + ahead < end_ ? (*tokens_)[pos_ + ahead] : kEnd;
  }
  const Token& Next() {
    const Token& t = Peek();
    if (pos_ < end_) ++pos_;
    return t;
  }
  bool PeekIs(std::string_view keyword, size_t ahead = 0) const { return Peek(ahead).Is(keyword); }
  bool PeekPunct(char c, size_t ahead = 0) const { return Peek(ahead).IsPunct(c); }

  // Consumes the keyword (or keyword sequence) if it is next.
  bool Accept(std::string_view keyword) {
    if (!PeekIs(keyword)) return false;
    ++pos_;
    return true;
  }
  bool AcceptSeq(std::initializer_list<std::string_view> keywords) {
    size_t i = 0;
    for (std::string_view k : keywords) {
      if (!PeekIs(k, i++)) return false;
    }
    pos_ += keywords.size();
    return true;
  }
  bool AcceptPunct(char c) {
    if (!PeekPunct(c)) return false;
    ++pos_;
    return true;
  }

  // Skips one balanced parenthesised group if next; true if one was skipped.
  bool SkipParenGroup();
  // Skips an expression up to (not including) a ',' or ')' at depth 0, or the end.
  void SkipExpression();

  // identifier [. identifier]; nullopt (position unchanged) if none is next.
  std::optional<TableName> ParseTableName();
  // An identifier, string or word: names of deploys, indexes, prepared statements.
  std::optional<std::string> ParseName();

 private:
  static const Token kEnd;
  const std::vector<Token>* tokens_;  // not owned
  size_t end_;
  size_t pos_ = 0;
};

}  // namespace sealgate::sql
