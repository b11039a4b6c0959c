// WRITE/UPDATE/DELETE rows events, v1 (MariaDB), v2 (MySQL) and MariaDB's
// compressed variants.
#include "binlog/column_codec.h"
#include "binlog/compression.h"
#include "binlog/event_decoder.h"

namespace sealgate::binlog {
namespace {

RowsKind KindOf(uint8_t type) {
  switch (type) {
    case kWriteRowsEventV1: case kWriteRowsEventV2:
    case kWriteRowsCompressedEventV1: case kWriteRowsCompressedEvent:
      return RowsKind::kInsert;
    case kUpdateRowsEventV1: case kUpdateRowsEventV2:
    case kUpdateRowsCompressedEventV1: case kUpdateRowsCompressedEvent:
      return RowsKind::kUpdate;
    default:
      return RowsKind::kDelete;
  }
}

bool IsCompressed(uint8_t type) { return type >= kWriteRowsCompressedEventV1 && type <= kDeleteRowsCompressedEvent; }
bool IsV2(uint8_t type) {
  return (type >= kWriteRowsEventV2 && type <= kDeleteRowsEventV2) ||
         (type >= kWriteRowsCompressedEvent && type <= kDeleteRowsCompressedEvent);
}

inline bool Bit(Bytes bitmap, size_t i) { return (bitmap[i / 8] >> (i % 8)) & 1; }

// One row image: a null bitmap over the present columns, then their values.
Status DecodeImage(ByteReader& r, const TableMap& t, Bytes present, size_t present_count, Row* row) {
  Bytes nulls = r.Take((present_count + 7) / 8);
  if (!r.ok()) return Status::Corruption("row image null bitmap truncated");
  const size_t n = t.columns.size();
  row->resize(n);
  size_t k = 0;
  for (size_t i = 0; i < n; ++i) {
    Value& v = (*row)[i];
    if (!Bit(present, i)) {
      v.kind = ValueKind::kMissing;
      continue;
    }
    if (Bit(nulls, k++)) {
      v.kind = ValueKind::kNull;
      continue;
    }
    Status st = DecodeColumnValue(r, t.columns[i], &v);
    if (!st.ok()) {
      std::string col = t.columns[i].name.empty() ? "#" + std::to_string(i + 1) : t.columns[i].name;
      return st.Annotate("column " + col + " of " + t.schema + "." + t.table);
    }
  }
  return Status::Ok();
}

size_t CountBits(Bytes bitmap, size_t n) {
  size_t c = 0;
  for (size_t i = 0; i < n; ++i) c += Bit(bitmap, i);
  return c;
}

}  // namespace

Status EventDecoder::DecodeRows(const EventHeader& h, Bytes body, Event* out) {
  ByteReader r(body);
  RowsEvent e;
  e.kind = KindOf(h.type);
  uint8_t post_len = PostHeaderLength(h.type, IsV2(h.type) ? 10 : 8);
  e.table_id = post_len == 6 ? r.LE(4) : r.LE(6);
  e.flags = r.U16();
  if (IsV2(h.type)) {
    uint16_t extra = r.U16();
    if (extra < 2) return Status::Corruption("rows event extra data length under 2");
    r.Skip(extra - 2);
  }
  if (!r.ok()) return Status::Corruption("rows event header truncated");
  // Table id 0xffffff with end-of-statement marks a dummy event without rows.
  if (e.table_id == 0xffffff && (e.flags & 1)) {
    out->body = std::move(e);
    return Status::Ok();
  }
  auto known = tables_.find(e.table_id);
  if (known == tables_.end()) {
    return Status::Corruption("rows event for table id " + std::to_string(e.table_id) + " without a table map");
  }
  e.table = known->second.map;
  const TableMap& t = *e.table;
  uint64_t ncols = r.PackedInt();
  if (!r.ok() || ncols != t.columns.size()) return Status::Corruption("rows event column count differs from its table map");
  if (!known->second.decode_rows) {
    e.skipped = true;
    out->body = std::move(e);
    return Status::Ok();
  }
  Bytes present1 = r.Take((ncols + 7) / 8);
  Bytes present2 = e.kind == RowsKind::kUpdate ? r.Take((ncols + 7) / 8) : present1;
  if (!r.ok()) return Status::Corruption("rows event bitmaps truncated");
  size_t count1 = CountBits(present1, ncols), count2 = CountBits(present2, ncols);

  std::string uncompressed;
  Bytes rows = r.rest();
  if (IsCompressed(h.type)) {
    auto plain = MariaUncompress(rows, options_.max_event_bytes);
    if (!plain.ok()) return plain.status();
    uncompressed = std::move(*plain);
    rows = AsBytes(uncompressed);
  }
  ByteReader rr(rows);
  std::vector<Row>& first = e.kind == RowsKind::kInsert ? e.after : e.before;
  // Bounds what hostile bytes can make us allocate: a real row image costs at
  // least one byte per present column's null bit group, so hundreds of
  // (mostly absent) values per input byte is already generous.
  const size_t value_budget = 256 * rows.size() + 4096;
  size_t values = 0;
  while (rr.remaining() > 0) {
    size_t before = rr.position();
    values += ncols * (e.kind == RowsKind::kUpdate ? 2 : 1);
    if (values > value_budget) return Status::Corruption("rows event: more values than its bytes can hold");
    first.emplace_back();
    SEALGATE_RETURN_IF_ERROR(DecodeImage(rr, t, present1, count1, &first.back()));
    if (e.kind == RowsKind::kUpdate) {
      e.after.emplace_back();
      SEALGATE_RETURN_IF_ERROR(DecodeImage(rr, t, present2, count2, &e.after.back()));
    }
    if (rr.position() == before) return Status::Corruption("rows event: empty row image");
  }
  out->body = std::move(e);
  return Status::Ok();
}

}  // namespace sealgate::binlog
