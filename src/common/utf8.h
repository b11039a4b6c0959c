// Cutting UTF-8 text to a number of bytes without splitting a character:
// identifiers built from table names (shadow and old names, at most 64
// characters) and text quoted in messages.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sealgate {

// The longest prefix of `text` of at most `max_bytes` bytes that ends on a
// character boundary (a cut never lands inside a multibyte sequence). Bytes
// that are not UTF-8 are kept as they are.
inline std::string_view Utf8Prefix(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t cut = max_bytes;
  // text[cut] is the first byte left out: while it continues a sequence
  // (10xxxxxx), the sequence started inside the prefix.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut);
}

// Every byte below 0x80: the same text in every ASCII-compatible character set.
inline bool IsAscii(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

}  // namespace sealgate
