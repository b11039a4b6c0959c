#include "protocol/messages.h"

#include "protocol/constants.h"
#include "protocol/frame.h"
#include "protocol/wire.h"

namespace sealgate::protocol {

StatusOr<OkPacket> ParseOk(std::string_view payload) {
  ByteReader r(payload);
  OkPacket ok;
  uint8_t header;
  if (!r.U8(&header) || (header != kOkHeader && header != kEofHeader)) {
    return Status::InvalidArgument("not an OK packet");
  }
  if (!r.LenencInt(&ok.affected_rows) || !r.LenencInt(&ok.last_insert_id) || !r.U16(&ok.status_flags) ||
      !r.U16(&ok.warnings)) {
    return Status::InvalidArgument("truncated OK packet");
  }
  if (!r.at_end()) {
    std::string_view info;
    // With CLIENT_SESSION_TRACK the info is length-encoded; otherwise it is the rest.
    ByteReader probe(r.Rest());
    if (probe.LenencString(&info)) ok.info = std::string(info);
  }
  return ok;
}

StatusOr<ErrPacket> ParseErr(std::string_view payload) {
  ByteReader r(payload);
  ErrPacket err;
  uint8_t header;
  if (!r.U8(&header) || header != kErrHeader || !r.U16(&err.code)) return Status::InvalidArgument("not an ERR packet");
  std::string_view rest = r.Rest();
  if (!rest.empty() && rest[0] == '#' && rest.size() >= 6) {
    err.sqlstate = std::string(rest.substr(1, 5));
    rest.remove_prefix(6);
  }
  err.message = std::string(rest);
  return err;
}

StatusOr<uint16_t> ParseEofStatus(std::string_view payload) {
  if (payload.size() < 5 || static_cast<uint8_t>(payload[0]) != kEofHeader) {
    return Status::InvalidArgument("not an EOF packet");
  }
  return static_cast<uint16_t>(LoadLE(reinterpret_cast<const unsigned char*>(payload.data()) + 3, 2));
}

std::optional<uint16_t> OkStatusFlags(std::string_view head) {
  ByteReader r(head);
  uint8_t header;
  uint64_t ignored;
  uint16_t flags;
  if (r.U8(&header) && r.LenencInt(&ignored) && r.LenencInt(&ignored) && r.U16(&flags)) return flags;
  return std::nullopt;
}

std::optional<std::vector<std::optional<std::string>>> FirstTextRow(std::string_view response) {
  auto next = [&](LogicalPacket* pkt) {
    if (ParseLogicalPacket(response, pkt, size_t{1} << 24) != FrameResult::kComplete) return false;
    response.remove_prefix(pkt->wire_size);
    return true;
  };
  LogicalPacket pkt;
  if (!next(&pkt) || pkt.payload.empty()) return std::nullopt;
  uint8_t first = static_cast<uint8_t>(pkt.payload[0]);
  if (first == kErrHeader || first == kOkHeader) return std::nullopt;
  ByteReader count_reader(pkt.payload);
  uint64_t columns = 0;
  if (!count_reader.LenencInt(&columns) || columns == 0 || columns > 4096) return std::nullopt;
  for (uint64_t i = 0; i < columns; ++i) {
    if (!next(&pkt)) return std::nullopt;
  }
  if (!next(&pkt) || pkt.payload.empty()) return std::nullopt;
  auto is_eof = [](const std::string& p) { return static_cast<uint8_t>(p[0]) == kEofHeader && p.size() < 9; };
  if (is_eof(pkt.payload) && (!next(&pkt) || pkt.payload.empty())) return std::nullopt;  // without DEPRECATE_EOF
  uint8_t head = static_cast<uint8_t>(pkt.payload[0]);
  if (head == kErrHeader || (head == kEofHeader && pkt.payload.size() < 0xffffff)) return std::nullopt;  // no row
  ByteReader row(pkt.payload);
  std::vector<std::optional<std::string>> values;
  for (uint64_t i = 0; i < columns; ++i) {
    if (row.at_end()) return std::nullopt;
    if (static_cast<uint8_t>(pkt.payload[row.position()]) == 0xfb) {  // NULL
      row.Skip(1);
      values.emplace_back(std::nullopt);
      continue;
    }
    std::string_view value;
    if (!row.LenencString(&value)) return std::nullopt;
    values.emplace_back(std::string(value));
  }
  return values;
}

std::optional<std::string> FirstTextValue(std::string_view response) {
  auto row = FirstTextRow(response);
  if (!row || row->empty()) return std::nullopt;
  return row->front();
}

std::string BuildOk(uint64_t affected_rows, uint64_t last_insert_id, uint16_t status_flags, uint16_t warnings,
                    std::string_view info, bool session_track) {
  std::string p;
  PutU8(&p, kOkHeader);
  PutLenencInt(&p, affected_rows);
  PutLenencInt(&p, last_insert_id);
  PutU16(&p, status_flags);
  PutU16(&p, warnings);
  if (session_track) PutLenencString(&p, info);
  else p.append(info);
  return p;
}

std::string BuildErr(uint16_t code, std::string_view sqlstate, std::string_view message) {
  std::string p;
  PutU8(&p, kErrHeader);
  PutU16(&p, code);
  if (!sqlstate.empty()) {
    p.push_back('#');
    std::string state(sqlstate.substr(0, 5));
    state.resize(5, '0');
    p.append(state);
  }
  p.append(message);
  return p;
}

bool IsProgressReport(std::string_view head) {
  return head.size() >= 3 && static_cast<uint8_t>(head[0]) == kErrHeader &&
         LoadLE(reinterpret_cast<const unsigned char*>(head.data()) + 1, 2) == kProgressReportErrno;
}

std::string BuildProgressReport(const ProgressReport& report) {
  std::string p;
  PutU8(&p, kErrHeader);
  PutU16(&p, kProgressReportErrno);
  PutU8(&p, 1);
  uint8_t stage = report.stage == 0 ? 1 : report.stage;
  PutU8(&p, stage);
  PutU8(&p, report.max_stage < stage ? stage : report.max_stage);
  double pct = report.percent < 0 ? 0 : (report.percent > 100 ? 100 : report.percent);
  uint32_t thousandths = static_cast<uint32_t>(pct * 1000.0 + 0.5);
  p.push_back(static_cast<char>(thousandths & 0xff));
  p.push_back(static_cast<char>((thousandths >> 8) & 0xff));
  p.push_back(static_cast<char>((thousandths >> 16) & 0xff));
  PutLenencString(&p, report.stage_name);
  return p;
}

StatusOr<ProgressReport> ParseProgressReport(std::string_view payload) {
  if (!IsProgressReport(payload)) return Status::InvalidArgument("not a progress report");
  ByteReader r(payload.substr(3));
  uint8_t kind, stage, max_stage;
  std::string_view raw, name;
  if (!r.U8(&kind) || !r.U8(&stage) || !r.U8(&max_stage) || !r.Bytes(3, &raw) || !r.LenencString(&name)) {
    return Status::InvalidArgument("truncated progress report");
  }
  ProgressReport out;
  out.stage = stage;
  out.max_stage = max_stage;
  out.percent = static_cast<double>(LoadLE(reinterpret_cast<const unsigned char*>(raw.data()), 3)) / 1000.0;
  out.stage_name = std::string(name);
  return out;
}

std::string BuildEof(uint16_t status_flags, uint16_t warnings) {
  std::string p;
  PutU8(&p, kEofHeader);
  PutU16(&p, warnings);
  PutU16(&p, status_flags);
  return p;
}

static std::string ColumnDefinition(const ColumnSpec& col, bool extended_metadata) {
  std::string p;
  PutLenencString(&p, "def");
  PutLenencString(&p, "");  // schema
  PutLenencString(&p, "");  // table
  PutLenencString(&p, "");  // org_table
  PutLenencString(&p, col.name);
  PutLenencString(&p, col.name);
  if (extended_metadata) PutLenencString(&p, "");
  PutLenencInt(&p, 0x0c);  // length of the fixed fields
  bool numeric = col.type != ColumnType::kVarString;
  PutU16(&p, numeric ? 63 : 45);  // binary / utf8mb4_general_ci
  PutU32(&p, numeric ? 21 : 1024);
  PutU8(&p, static_cast<uint8_t>(col.type));
  PutU16(&p, numeric ? 0x0080 : 0);  // BINARY_FLAG for numbers
  PutU8(&p, col.type == ColumnType::kDouble ? 31 : 0);
  PutU16(&p, 0);
  return p;
}

std::string BuildTextResultSet(const std::vector<ColumnSpec>& columns,
                               const std::vector<std::vector<std::optional<std::string>>>& rows,
                               uint16_t status_flags, const ResultSetEncoding& encoding, uint8_t first_seq) {
  std::string out;
  uint8_t seq = first_seq;
  std::string count;
  PutLenencInt(&count, columns.size());
  if (encoding.cache_metadata) PutU8(&count, 1);  // the definitions follow
  seq = AppendPacket(&out, seq, count);
  for (const auto& col : columns) seq = AppendPacket(&out, seq, ColumnDefinition(col, encoding.extended_metadata));
  if (!encoding.deprecate_eof) seq = AppendPacket(&out, seq, BuildEof(status_flags));
  for (const auto& row : rows) {
    std::string p;
    for (const auto& value : row) {
      if (value) PutLenencString(&p, *value);
      else PutU8(&p, 0xfb);
    }
    seq = AppendPacket(&out, seq, p);
  }
  if (encoding.deprecate_eof) {
    std::string ok = BuildOk(0, 0, status_flags, 0);
    ok[0] = static_cast<char>(kEofHeader);
    AppendPacket(&out, seq, ok);
  } else {
    AppendPacket(&out, seq, BuildEof(status_flags));
  }
  return out;
}

}  // namespace sealgate::protocol
