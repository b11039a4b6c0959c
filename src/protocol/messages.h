// Generic response packets (OK, ERR, EOF) and text result sets: parsing what
// the server sends and building what sealgate answers itself.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sealgate::protocol {

struct OkPacket {
  uint64_t affected_rows = 0;
  uint64_t last_insert_id = 0;
  uint16_t status_flags = 0;
  uint16_t warnings = 0;
  std::string info;
};

struct ErrPacket {
  uint16_t code = 0;
  std::string sqlstate;  // 5 characters, or empty if the server sent none
  std::string message;
};

// `payload` starts with 0x00 or 0xfe (OK in CLIENT_DEPRECATE_EOF mode).
// Only the fixed fields and info are decoded (session-state data is skipped).
StatusOr<OkPacket> ParseOk(std::string_view payload);
// `payload` starts with 0xff.
StatusOr<ErrPacket> ParseErr(std::string_view payload);
// Status flags of an EOF packet (0xfe, warnings u16, status u16); payload must be 5 bytes.
StatusOr<uint16_t> ParseEofStatus(std::string_view payload);
// Status flags from the head of an OK packet (enough bytes of it); nullopt if truncated.
std::optional<uint16_t> OkStatusFlags(std::string_view head);

// The first column of the first row of a text result set, from the server's
// bytes of the whole response (framing included; bytes after the row are
// ignored). nullopt for an ERR, no row, a NULL value, or bytes that are not
// a result set.
std::optional<std::string> FirstTextValue(std::string_view response);
// Every value of that first row (nullopt for NULL), under the same rules.
std::optional<std::vector<std::optional<std::string>>> FirstTextRow(std::string_view response);

// `session_track`: the session negotiated CLIENT_SESSION_TRACK, so the info
// text is length-encoded.
std::string BuildOk(uint64_t affected_rows, uint64_t last_insert_id, uint16_t status_flags, uint16_t warnings,
                    std::string_view info = {}, bool session_track = false);
// An empty `sqlstate` leaves out the '#' marker, as servers do before the
// client's capabilities are known (an ERR sent in place of the greeting).
std::string BuildErr(uint16_t code, std::string_view sqlstate, std::string_view message);
std::string BuildEof(uint16_t status_flags, uint16_t warnings = 0);

// MariaDB progress reports (MARIADB_CLIENT_PROGRESS): while a command runs,
// the server may send packets shaped as an ERR with error number 0xffff:
// 0xff, 0xffff, 1, stage, max_stage, progress (3 bytes, thousandths of a
// percent: 0..100000), then the stage's name length-encoded. A client that
// negotiated the capability shows them and reads on; they do not end a
// response.
struct ProgressReport {
  uint8_t stage = 1;      // 1-based
  uint8_t max_stage = 1;
  double percent = 0;     // of this stage, 0..100
  std::string stage_name;
};
inline constexpr uint16_t kProgressReportErrno = 0xffff;
// Whether a packet's head (its first 3 bytes or more) is a progress report.
bool IsProgressReport(std::string_view head);
std::string BuildProgressReport(const ProgressReport& report);
StatusOr<ProgressReport> ParseProgressReport(std::string_view payload);

// Column types sealgate uses in its own result sets.
enum class ColumnType : uint8_t { kLongLong = 0x08, kDouble = 0x05, kVarString = 0xfd };

struct ColumnSpec {
  std::string name;
  ColumnType type = ColumnType::kVarString;
};

// What a session negotiated that changes how a result set is encoded.
struct ResultSetEncoding {
  bool deprecate_eof = false;      // CLIENT_DEPRECATE_EOF: no EOF after the definitions, an OK-format terminator
  bool extended_metadata = false;  // MariaDB extended type info: column definitions carry one more field
  bool cache_metadata = false;     // MariaDB metadata caching: the column count is followed by "metadata follows"
};

// Encodes a complete text-protocol result set (column count, definitions,
// rows, terminators) as frames starting at sequence id `first_seq`.
std::string BuildTextResultSet(const std::vector<ColumnSpec>& columns,
                               const std::vector<std::vector<std::optional<std::string>>>& rows,
                               uint16_t status_flags, const ResultSetEncoding& encoding, uint8_t first_seq = 1);

}  // namespace sealgate::protocol
