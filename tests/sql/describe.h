// A one-line rendering of a Statement, so tests can state expectations as a
// table of (sql, expected description) pairs.
#pragma once

#include <string>

#include "sql/statement.h"

namespace sealgate::sql::testing {

// "<Kind> [tables...] [key=value | flag ...]", only the fields that are set.
std::string Describe(const Statement& s);

}  // namespace sealgate::sql::testing
