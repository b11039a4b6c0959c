// Decoding of one column value from a row image (internal to the decoder,
// exposed for tests and the benchmark).
#pragma once

#include <string>

#include "binlog/byte_reader.h"
#include "binlog/value.h"
#include "common/status.h"

namespace sealgate::binlog {

// Reads the value of `column` at the reader's position into `out`. Returns
// Corruption if the value runs past the reader or is malformed, Unimplemented
// for types that are refused. Never reads past the reader's span.
Status DecodeColumnValue(ByteReader& r, const ColumnDef& column, Value* out);

// Binary DECIMAL(precision, scale) -> exact text. Returns bytes consumed via
// the reader.
Status DecodeDecimal(ByteReader& r, int precision, int scale, std::string* out);
// Bytes the binary DECIMAL(precision, scale) occupies.
int DecimalBinarySize(int precision, int scale);

// MySQL binary JSON -> the server's JSON text (JSON_EXTRACT output form).
Status JsonBinaryToText(Bytes in, std::string* out);

}  // namespace sealgate::binlog
