// The tokenizer under statement recognition and ALTER analysis.
//
// Splits SQL text into tokens, skipping whitespace and comments. The content of
// executable comments (/*!NNNNN ... */, /*M!NNNNNN ... */) is tokenized as code;
// their markers are skipped. Never fails: unterminated strings, identifiers and
// comments run to the end of the input. Tokens are views into the input, which
// must outlive them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sealgate::sql {

enum class TokenKind : unsigned char {
  kWord,         // keyword or unquoted identifier: [A-Za-z0-9_$] and bytes >= 0x80
  kQuotedIdent,  // `ident` (text includes the backticks)
  kString,       // 'text' or "text" (text includes the quotes)
  kNumber,       // 123, 1.5, 1e-3, .5
  kPunct,        // one character, or "@@", ":=", "<=", ">=", "<>", "!=", "||", "&&"
};

struct Token {
  TokenKind kind;
  std::string_view text;  // exactly as written
  size_t begin = 0;       // offset of text in the input
  size_t end = 0;         // one past the last byte

  bool IsWord() const { return kind == TokenKind::kWord; }
  // Case-insensitive keyword match; `keyword` must be upper case.
  bool Is(std::string_view keyword) const;
  bool IsPunct(char c) const { return kind == TokenKind::kPunct && text.size() == 1 && text[0] == c; }
  bool IsIdentifier() const { return kind == TokenKind::kWord || kind == TokenKind::kQuotedIdent; }
  bool IsStringLike() const { return kind == TokenKind::kString || kind == TokenKind::kQuotedIdent; }
};

std::vector<Token> Tokenize(std::string_view sql);

// The value of a quoted token (string or identifier) with quotes and escapes
// removed; a word's text unchanged.
std::string Unquote(const Token& token);

std::string ToLower(std::string_view s);

// Text of the tokens [first, last] of `sql` as the user wrote it, except that a
// gap between tokens holding a comment (or an executable comment's markers)
// becomes one space; pure whitespace gaps are kept.
std::string TokenSpanText(std::string_view sql, const std::vector<Token>& tokens, size_t first,
                          size_t last);

// Backtick-quotes an identifier for output, doubling embedded backticks.
std::string QuoteIdentifier(std::string_view name);

}  // namespace sealgate::sql
