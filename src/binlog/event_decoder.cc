// Event framing, checksum verification and the non-row events.
#include "binlog/event_decoder.h"

#include <zlib.h>

#include <cstdio>
#include <cstring>

#include "binlog/compression.h"

namespace sealgate::binlog {
namespace {

constexpr const char kNeedMoreMessage[] = "need more bytes";

Status NeedMore() { return Status::OutOfRange(kNeedMoreMessage); }
Status Bad(const char* what) { return Status::Corruption(what); }

// The server writes FORMAT_DESCRIPTION's checksum-algorithm byte from these
// versions on (MySQL 5.6.1, MariaDB 5.3).
bool VersionHasChecksumAlg(const std::string& version) {
  if (version.find("MariaDB") != std::string::npos) return true;
  int a = 0, b = 0, c = 0;
  if (std::sscanf(version.c_str(), "%d.%d.%d", &a, &b, &c) < 2) return true;
  return (a * 256 + b) * 256 + c >= (5 * 256 + 6) * 256 + 1;
}

std::string Hex(std::string_view s) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

XaId ReadXaId(ByteReader& r, size_t gtrid_width, size_t bqual_width) {
  XaId x;
  x.format_id = int32_t(r.U32());
  size_t g = r.LE(gtrid_width);
  size_t b = r.LE(bqual_width);
  if (g > 64 || b > 64) {
    r.Skip(r.remaining() + 1);  // mark failed
    return x;
  }
  x.gtrid = r.TakeString(g);
  x.bqual = r.TakeString(b);
  return x;
}

Status DecodeQuery(Bytes body, uint8_t post_len, bool compressed, size_t limit, Event* out) {
  ByteReader r(body);
  QueryEvent q;
  q.thread_id = r.U32();
  r.Skip(4);  // exec time
  uint8_t db_len = r.U8();
  q.error_code = r.U16();
  uint16_t status_len = post_len >= 13 ? r.U16() : 0;
  if (post_len > 13) r.Skip(post_len - 13);
  r.Skip(status_len);
  q.schema = r.TakeString(db_len);
  r.Skip(1);  // NUL after the schema
  if (!r.ok()) return Bad("query event truncated");
  if (compressed) {
    auto text = MariaUncompress(r.rest(), limit);
    if (!text.ok()) return text.status();
    q.statement = std::move(*text);
  } else {
    q.statement = std::string(r.TakeView(r.remaining()));
  }
  q.tables = ExtractQueryTables(q.statement, q.schema);
  out->body = std::move(q);
  return Status::Ok();
}

Status DecodeMariaGtid(const EventHeader& h, Bytes body, Event* out) {
  ByteReader r(body);
  MariaGtidEvent g;
  g.seq_no = r.U64();
  g.domain_id = r.U32();
  g.flags = r.U8();
  g.server_id = h.server_id;
  if (g.flags & 0x02) g.commit_id = r.U64();
  if (g.flags & (0x40 | 0x80)) g.xid = ReadXaId(r, 1, 1);
  if (!r.ok()) return Bad("MariaDB GTID event truncated");
  out->body = std::move(g);
  return Status::Ok();
}

Status DecodeMariaGtidList(Bytes body, Event* out) {
  ByteReader r(body);
  uint32_t count = r.U32() & 0x0fffffff;
  if (!r.ok() || size_t(count) * 16 > r.remaining()) return Bad("GTID list event truncated");
  MariaGtidListEvent list;
  list.gtids.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    MariaGtid g;
    g.domain_id = r.U32();
    g.server_id = r.U32();
    g.seq_no = r.U64();
    list.gtids.push_back(g);
  }
  out->body = std::move(list);
  return Status::Ok();
}

std::string UuidText(const uint8_t* p) {
  char buf[40];
  std::snprintf(buf, sizeof buf,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", p[0], p[1],
                p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15]);
  return buf;
}

Status DecodeMysqlGtid(const EventHeader& h, Bytes body, Event* out) {
  ByteReader r(body);
  MysqlGtidEvent g;
  g.anonymous = h.type == kMysqlAnonymousGtidEvent;
  g.flags = r.U8();
  Bytes sid = r.Take(16);
  g.gno = int64_t(r.U64());
  if (!r.ok()) return Bad("MySQL GTID event truncated");
  std::memcpy(g.sid.data(), sid.data(), 16);
  // The logical clock, commit timestamps and transaction length that follow
  // are not needed to position or group a transaction.
  out->body = g;
  return Status::Ok();
}

Status DecodePreviousGtids(Bytes body, Event* out) {
  ByteReader r(body);
  uint64_t n_sids = r.U64();
  MysqlPreviousGtidsEvent e;
  for (uint64_t i = 0; r.ok() && i < n_sids; ++i) {
    Bytes sid = r.Take(16);
    uint64_t n = r.U64();
    if (!r.ok() || n > r.remaining() / 16) return Bad("previous GTIDs event truncated");
    if (!e.gtid_set.empty()) e.gtid_set += ",";
    e.gtid_set += UuidText(sid.data());
    for (uint64_t k = 0; k < n; ++k) {
      int64_t start = int64_t(r.U64()), end = int64_t(r.U64());  // [start, end)
      e.gtid_set += ":" + std::to_string(start);
      if (end - 1 > start) e.gtid_set += "-" + std::to_string(end - 1);
    }
  }
  if (!r.ok()) return Bad("previous GTIDs event truncated");
  out->body = std::move(e);
  return Status::Ok();
}

}  // namespace

std::string XaId::ToString() const {
  return "X'" + Hex(gtrid) + "',X'" + Hex(bqual) + "'," + std::to_string(format_id);
}

std::string MysqlGtidEvent::ToString() const { return UuidText(sid.data()) + ":" + std::to_string(gno); }

bool IsNeedMore(const Status& status) {
  return status.code() == StatusCode::kOutOfRange && status.message() == kNeedMoreMessage;
}

StatusOr<Frame> FrameEvent(Bytes buf, size_t max_event_bytes) {
  if (buf.size() < kEventHeaderLength) return Frame{FrameState::kNeedMore, kEventHeaderLength};
  ByteReader r(buf.subspan(9, 4));
  size_t len = r.U32();
  if (len < kEventHeaderLength || len > max_event_bytes) return Bad("impossible event length");
  if (buf.size() < len) return Frame{FrameState::kNeedMore, len};
  return Frame{FrameState::kComplete, len};
}

StatusOr<EventHeader> DecodeHeader(Bytes buf) {
  ByteReader r(buf);
  EventHeader h;
  h.timestamp = r.U32();
  h.type = r.U8();
  h.server_id = r.U32();
  h.event_length = r.U32();
  h.log_pos = r.U32();
  h.flags = r.U16();
  if (!r.ok()) return NeedMore();
  return h;
}

EventDecoder::EventDecoder(DecoderOptions options)
    : options_(std::move(options)), checksum_alg_(options_.initial_checksum_alg) {}

std::shared_ptr<const TableMap> EventDecoder::FindTable(uint64_t table_id) const {
  auto it = tables_.find(table_id);
  return it == tables_.end() ? nullptr : it->second.map;
}

uint8_t EventDecoder::PostHeaderLength(uint8_t type, uint8_t fallback) const {
  const auto& p = format_.post_header_lengths;
  if (type >= 1 && size_t(type) <= p.size()) return p[type - 1];
  return fallback;
}

StatusOr<Event> EventDecoder::Decode(Bytes event) {
  auto frame = FrameEvent(event, options_.max_event_bytes);
  if (!frame.ok()) return frame.status();
  if (frame->state == FrameState::kNeedMore) return NeedMore();
  if (frame->length != event.size()) return Bad("event length does not match the buffer");
  auto header = DecodeHeader(event);
  if (!header.ok()) return header.status();
  Event out;
  out.header = *header;

  // FORMAT_DESCRIPTION names its own checksum algorithm; everything else
  // uses the last one seen.
  // Its 4-byte checksum slot is present even when the algorithm is OFF
  // (servers from MySQL 5.6.1 / MariaDB 5.3 on, the only ones supported).
  uint8_t alg = checksum_alg_;
  bool is_fde = out.header.type == kFormatDescriptionEvent;
  if (is_fde) {
    if (event.size() < kEventHeaderLength + 57 + 5) return Bad("format description truncated");
    alg = event[event.size() - 5];
  }
  size_t body_end = event.size();
  if (alg == kChecksumCrc32 || is_fde) {
    if (body_end < kEventHeaderLength + kChecksumLength) return Bad("event too short for its checksum");
    body_end -= kChecksumLength;
    if (alg == kChecksumCrc32 && options_.verify_checksum) {
      ByteReader cr(event.subspan(body_end));
      uint32_t want = cr.U32();
      uint32_t got = uint32_t(crc32(0L, event.data(), uInt(body_end)));
      if (want != got) return Bad("event checksum mismatch");
    }
  }
  Bytes body = event.subspan(kEventHeaderLength, body_end - kEventHeaderLength);
  SEALGATE_RETURN_IF_ERROR(DecodeBody(out.header, body, &out));
  return out;
}

Status EventDecoder::DecodeBody(const EventHeader& h, Bytes body, Event* out) {
  switch (h.type) {
    case kFormatDescriptionEvent:
      return DecodeFormatDescription(body, out);
    case kRotateEvent: {
      ByteReader r(body);
      RotateEvent e;
      e.position = r.U64();
      if (!r.ok()) return Bad("rotate event truncated");
      e.next_file = std::string(r.TakeView(r.remaining()));
      out->body = std::move(e);
      return Status::Ok();
    }
    case kQueryEvent:
    case kQueryCompressedEvent:
      return DecodeQuery(body, PostHeaderLength(h.type, 13), h.type == kQueryCompressedEvent,
                         options_.max_event_bytes, out);
    case kXidEvent: {
      ByteReader r(body);
      XidEvent e{r.U64()};
      if (!r.ok()) return Bad("XID event truncated");
      out->body = e;
      return Status::Ok();
    }
    case kIntvarEvent: {
      ByteReader r(body);
      IntvarEvent e;
      e.kind = r.U8();
      e.value = r.U64();
      if (!r.ok()) return Bad("intvar event truncated");
      out->body = e;
      return Status::Ok();
    }
    case kMariaGtidEvent:
      return DecodeMariaGtid(h, body, out);
    case kMariaGtidListEvent:
      return DecodeMariaGtidList(body, out);
    case kBinlogCheckpointEvent: {
      ByteReader r(body);
      uint32_t n = r.U32();
      BinlogCheckpointEvent e{r.TakeString(n)};
      if (!r.ok()) return Bad("binlog checkpoint event truncated");
      out->body = std::move(e);
      return Status::Ok();
    }
    case kAnnotateRowsEvent:
      out->body = AnnotateRowsEvent{std::string(reinterpret_cast<const char*>(body.data()), body.size())};
      return Status::Ok();
    case kMysqlGtidEvent:
    case kMysqlAnonymousGtidEvent:
      return DecodeMysqlGtid(h, body, out);
    case kMysqlPreviousGtidsEvent:
      return DecodePreviousGtids(body, out);
    case kTableMapEvent:
      return DecodeTableMap(body, out);
    case kWriteRowsEventV1: case kUpdateRowsEventV1: case kDeleteRowsEventV1:
    case kWriteRowsEventV2: case kUpdateRowsEventV2: case kDeleteRowsEventV2:
    case kWriteRowsCompressedEventV1: case kUpdateRowsCompressedEventV1:
    case kDeleteRowsCompressedEventV1: case kWriteRowsCompressedEvent:
    case kUpdateRowsCompressedEvent: case kDeleteRowsCompressedEvent:
      return DecodeRows(h, body, out);
    case kPartialUpdateRowsEvent:
      return Status::Unimplemented(
          "MySQL partial JSON row updates are not supported: set binlog_row_value_options='' on the server");
    case kStartEncryptionEvent:
      return Status::Unimplemented("encrypted binlogs are not supported");
    case kHeartbeatEvent:
      out->body = HeartbeatEvent{std::string(reinterpret_cast<const char*>(body.data()), body.size())};
      return Status::Ok();
    case kXaPrepareEvent: {
      ByteReader r(body);
      XaPrepareEvent e;
      e.one_phase = r.U8() != 0;
      e.xid = ReadXaId(r, 4, 4);
      if (!r.ok()) return Bad("XA prepare event truncated");
      out->body = std::move(e);
      return Status::Ok();
    }
    case kTransactionPayloadEvent:
      return DecodePayload(body, out);
    default:
      out->body = OtherEvent{};
      return Status::Ok();
  }
}

Status EventDecoder::DecodeFormatDescription(Bytes body, Event* out) {
  ByteReader r(body);
  FormatDescription f;
  f.binlog_version = r.U16();
  std::string_view version = r.TakeView(50);
  f.server_version = std::string(version.substr(0, version.find('\0')));
  r.Skip(4);  // create timestamp
  f.header_length = r.U8();
  if (!r.ok()) return Bad("format description truncated");
  if (f.binlog_version != 4 || f.header_length < kEventHeaderLength) {
    return Bad("unsupported binlog version or header length");
  }
  // The body handed in excludes the checksum slot; the algorithm byte is its last byte.
  if (!VersionHasChecksumAlg(f.server_version)) return Status::Unimplemented("server too old: " + f.server_version);
  if (r.remaining() < 1) return Bad("format description truncated");
  f.checksum_alg = body[body.size() - 1];
  if (f.checksum_alg != kChecksumOff && f.checksum_alg != kChecksumCrc32) {
    return Status::Unimplemented("unknown binlog checksum algorithm " + std::to_string(f.checksum_alg));
  }
  Bytes lens = r.Take(r.remaining() - 1);
  f.post_header_lengths.assign(lens.begin(), lens.end());
  f.is_mariadb = f.server_version.find("MariaDB") != std::string::npos;
  if (f.header_length != kEventHeaderLength) return Status::Unimplemented("extra common header bytes");
  format_ = f;
  checksum_alg_ = f.checksum_alg == kChecksumCrc32 ? kChecksumCrc32 : kChecksumOff;
  out->body = std::move(f);
  return Status::Ok();
}

Status EventDecoder::DecodePayload(Bytes body, Event* out) {
  if (payload_depth_ > 0) return Bad("nested transaction payload");
  ByteReader r(body);
  uint64_t compression = ~uint64_t(0), size = 0, uncompressed = 0;
  bool have_size = false;
  while (r.ok()) {
    uint64_t field = r.PackedInt();
    if (!r.ok()) break;
    if (field == 0) break;  // end of header
    uint64_t len = r.PackedInt();
    if (!r.ok() || len > r.remaining()) return Bad("transaction payload header truncated");
    ByteReader v(r.Take(len));
    uint64_t value = v.PackedInt();
    if (field == 1) { size = value; have_size = true; }
    if (field == 2) compression = value;
    if (field == 3) uncompressed = value;
  }
  if (!r.ok()) return Bad("transaction payload header truncated");
  Bytes data = r.rest();
  if (have_size && size != data.size()) return Bad("transaction payload size mismatch");
  std::string plain;
  if (compression == 0) {  // zstd
    auto z = ZstdUncompress(data, uncompressed, options_.max_event_bytes);
    if (!z.ok()) return z.status();
    plain = std::move(*z);
  } else if (compression == 255) {  // none
    plain.assign(reinterpret_cast<const char*>(data.data()), data.size());
  } else {
    return Status::Unimplemented("transaction payload compression type " + std::to_string(compression));
  }
  // The inner events carry no checksum of their own: the payload event's covers them.
  TransactionPayloadEvent payload;
  uint8_t saved_alg = checksum_alg_;
  checksum_alg_ = kChecksumOff;
  ++payload_depth_;
  Bytes rest = AsBytes(plain);
  Status st;
  while (!rest.empty() && st.ok()) {
    auto frame = FrameEvent(rest, options_.max_event_bytes);
    if (!frame.ok()) { st = frame.status(); break; }
    if (frame->state == FrameState::kNeedMore) { st = Bad("transaction payload: truncated inner event"); break; }
    auto ev = Decode(rest.first(frame->length));
    if (!ev.ok()) { st = ev.status().Annotate("transaction payload"); break; }
    payload.events.push_back(std::move(*ev));
    rest = rest.subspan(frame->length);
  }
  --payload_depth_;
  checksum_alg_ = saved_alg;
  SEALGATE_RETURN_IF_ERROR(st);
  out->body = std::move(payload);
  return Status::Ok();
}

}  // namespace sealgate::binlog
