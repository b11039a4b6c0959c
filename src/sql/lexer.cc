#include "sql/lexer.h"

#include <cctype>

namespace sealgate::sql {
namespace {

bool IsIdentByte(unsigned char c) { return std::isalnum(c) || c == '_' || c == '$' || c >= 0x80; }
bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool IsSpace(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

class Lexer {
 public:
  explicit Lexer(std::string_view sql) : s_(sql) {}

  std::vector<Token> Run() {
    std::vector<Token> out;
    while (SkipSpaceAndComments()) {
      size_t start = pos_;
      TokenKind kind = Scan();
      out.push_back(Token{kind, s_.substr(start, pos_ - start), start, pos_});
    }
    return out;
  }

 private:
  unsigned char At(size_t i) const { return i < s_.size() ? static_cast<unsigned char>(s_[i]) : 0; }

  // Returns false at end of input.
  bool SkipSpaceAndComments() {
    while (pos_ < s_.size()) {
      unsigned char c = At(pos_);
      if (IsSpace(c)) {
        ++pos_;
      } else if (c == '#' || (c == '-' && At(pos_ + 1) == '-' && IsLineCommentAfterDashes())) {
        while (pos_ < s_.size() && s_[pos_] != '\n') ++pos_;
      } else if (c == '/' && At(pos_ + 1) == '*') {
        SkipBlockCommentOpening();
      } else if (c == '*' && At(pos_ + 1) == '/' && in_executable_comment_) {
        in_executable_comment_ = false;
        pos_ += 2;
      } else {
        return true;
      }
    }
    return false;
  }

  // MySQL needs "-- " followed by whitespace or a control character (or the end).
  bool IsLineCommentAfterDashes() const {
    unsigned char next = At(pos_ + 2);
    return pos_ + 2 >= s_.size() || next <= ' ';
  }

  // At "/*": an executable comment opens (its content is code), else skip to "*/".
  void SkipBlockCommentOpening() {
    size_t p = pos_ + 2;
    bool executable = false;
    if (At(p) == '!') {
      executable = true;
      p += 1;
    } else if ((At(p) == 'M' || At(p) == 'm') && At(p + 1) == '!') {
      executable = true;
      p += 2;
    }
    if (executable && !in_executable_comment_) {
      size_t digits = 0;
      while (IsDigit(At(p + digits))) ++digits;
      if (digits == 5 || digits == 6) p += digits;
      in_executable_comment_ = true;
      pos_ = p;
      return;
    }
    size_t close = s_.find("*/", pos_ + 2);
    pos_ = close == std::string_view::npos ? s_.size() : close + 2;
  }

  TokenKind Scan() {
    unsigned char c = At(pos_);
    if (c == '\'' || c == '"') {
      ScanQuoted(c, /*backslash=*/true);
      return TokenKind::kString;
    }
    if (c == '`') {
      ScanQuoted(c, /*backslash=*/false);
      return TokenKind::kQuotedIdent;
    }
    if (IsDigit(c) || (c == '.' && IsDigit(At(pos_ + 1)) && !PrevIsIdentEnd())) return ScanNumberOrWord();
    if (IsIdentByte(c)) {
      while (IsIdentByte(At(pos_))) ++pos_;
      return TokenKind::kWord;
    }
    ScanPunct();
    return TokenKind::kPunct;
  }

  // "t.5" is a qualified name, not t followed by the number .5.
  bool PrevIsIdentEnd() const {
    return pos_ > 0 && (IsIdentByte(At(pos_ - 1)) || At(pos_ - 1) == '`');
  }

  void ScanQuoted(unsigned char quote, bool backslash) {
    ++pos_;
    while (pos_ < s_.size()) {
      unsigned char c = At(pos_);
      if (backslash && c == '\\') {
        pos_ += 2;
      } else if (c == quote) {
        if (At(pos_ + 1) == quote && pos_ + 1 < s_.size()) {
          pos_ += 2;
        } else {
          ++pos_;
          return;
        }
      } else {
        ++pos_;
      }
    }
    if (pos_ > s_.size()) pos_ = s_.size();
  }

  // Digits, a fraction and an exponent make a number; anything else made of
  // identifier bytes that starts with a digit (1abc, 0x1F) is a word.
  TokenKind ScanNumberOrWord() {
    size_t start = pos_;
    while (IsDigit(At(pos_))) ++pos_;
    bool is_number = true;
    if (At(pos_) == '.' && (pos_ > start ? true : IsDigit(At(pos_ + 1)))) {
      ++pos_;
      while (IsDigit(At(pos_))) ++pos_;
    }
    if ((At(pos_) == 'e' || At(pos_) == 'E') &&
        (IsDigit(At(pos_ + 1)) || ((At(pos_ + 1) == '+' || At(pos_ + 1) == '-') && IsDigit(At(pos_ + 2))))) {
      pos_ += 2;
      while (IsDigit(At(pos_))) ++pos_;
    }
    if (IsIdentByte(At(pos_)) && s_.substr(start, pos_ - start).find('.') == std::string_view::npos) {
      while (IsIdentByte(At(pos_))) ++pos_;
      is_number = false;
    }
    return is_number ? TokenKind::kNumber : TokenKind::kWord;
  }

  void ScanPunct() {
    static constexpr std::string_view kTwo[] = {"@@", ":=", "<=", ">=", "<>", "!=", "||", "&&"};
    for (std::string_view two : kTwo) {
      if (s_.substr(pos_, 2) == two) {
        pos_ += 2;
        return;
      }
    }
    ++pos_;
  }

  std::string_view s_;
  size_t pos_ = 0;
  bool in_executable_comment_ = false;
};

}  // namespace

bool Token::Is(std::string_view keyword) const {
  if (kind != TokenKind::kWord || text.size() != keyword.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(text[i])) != keyword[i]) return false;
  }
  return true;
}

std::vector<Token> Tokenize(std::string_view sql) { return Lexer(sql).Run(); }

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

namespace {

char UnescapeBackslash(char c) {
  switch (c) {
    case '0': return '\0';
    case 'b': return '\b';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'Z': return '\x1a';
    default: return c;  // \\ \' \" and unknown escapes stand for the character itself
  }
}

}  // namespace

std::string Unquote(const Token& token) {
  std::string_view t = token.text;
  if (token.kind != TokenKind::kString && token.kind != TokenKind::kQuotedIdent) return std::string(t);
  char quote = t[0];
  bool backslash = token.kind == TokenKind::kString;
  std::string out;
  out.reserve(t.size());
  size_t end = t.size();
  if (end >= 2 && t[end - 1] == quote) --end;  // unterminated tokens have no closing quote
  for (size_t i = 1; i < end; ++i) {
    if (backslash && t[i] == '\\' && i + 1 < t.size()) {
      // MySQL keeps the backslash of \% and \_ (they matter to LIKE).
      if (t[i + 1] == '%' || t[i + 1] == '_') out.push_back('\\');
      out.push_back(UnescapeBackslash(t[++i]));
    } else if (t[i] == quote && i + 1 < end && t[i + 1] == quote) {
      out.push_back(quote);
      ++i;
    } else {
      out.push_back(t[i]);
    }
  }
  return out;
}

std::string TokenSpanText(std::string_view sql, const std::vector<Token>& tokens, size_t first,
                          size_t last) {
  std::string out;
  if (first >= tokens.size() || last < first) return out;
  if (last >= tokens.size()) last = tokens.size() - 1;
  for (size_t i = first; i <= last; ++i) {
    if (i > first) {
      std::string_view gap = sql.substr(tokens[i - 1].end, tokens[i].begin - tokens[i - 1].end);
      bool blank = true;
      for (unsigned char c : gap) blank = blank && IsSpace(c);
      out.append(blank ? gap : std::string_view(" "));
    }
    out.append(tokens[i].text);
  }
  return out;
}

std::string QuoteIdentifier(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out.push_back('`');
    out.push_back(c);
  }
  out.push_back('`');
  return out;
}

}  // namespace sealgate::sql
