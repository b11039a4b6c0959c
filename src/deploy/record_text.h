// Records kept as text in the metadata schema (a deploy item's foreign keys,
// its triggers): fields separated by tabs, list items by commas, records by
// newlines; '%', tab, newline and comma inside a field are written %XX.
#pragma once

#include <string>
#include <vector>

namespace sealgate::deploy {

std::string EscapeField(const std::string& s);
std::string UnescapeField(const std::string& s);
// `s` cut at every `sep` (an empty string gives one empty part).
std::vector<std::string> SplitAt(const std::string& s, char sep);
// A list field: items escaped, separated by commas; and back.
std::string JoinEscaped(const std::vector<std::string>& items);
std::vector<std::string> SplitUnescaped(const std::string& s);

}  // namespace sealgate::deploy
