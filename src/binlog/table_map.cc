// TABLE_MAP events: column types, their metadata, and the optional metadata
// (MySQL 8 / MariaDB 10.5+ binlog_row_metadata=MINIMAL|FULL).
#include <algorithm>

#include "binlog/event_decoder.h"

namespace sealgate::binlog {
namespace {

// Bytes of per-column metadata in the table map, by column type.
int MetaBytes(uint8_t type) {
  switch (type) {
    case kTypeFloat: case kTypeDouble: case kTypeBlob: case kTypeTinyBlob:
    case kTypeMediumBlob: case kTypeLongBlob: case kTypeGeometry: case kTypeJson:
    case kTypeTimestamp2: case kTypeDateTime2: case kTypeTime2:
    case 140:  // MariaDB BLOB_COMPRESSED
      return 1;
    case kTypeVarchar: case kTypeVarString: case kTypeBit: case kTypeNewDecimal:
    case kTypeString: case kTypeEnum: case kTypeSet:
    case 141:  // MariaDB VARCHAR_COMPRESSED
      return 2;
    default:
      return 0;
  }
}

bool IsNumeric(uint8_t type) {
  switch (type) {
    case kTypeTiny: case kTypeShort: case kTypeInt24: case kTypeLong: case kTypeLongLong:
    case kTypeFloat: case kTypeDouble: case kTypeNewDecimal: case kTypeDecimal:
      return true;
    default:
      return false;
  }
}

bool IsEnumOrSet(const ColumnDef& c) {
  return c.real_type == kTypeEnum || c.real_type == kTypeSet;
}

bool IsCharacter(const ColumnDef& c) {
  switch (c.type) {
    case kTypeVarchar: case kTypeVarString: case kTypeBlob: case kTypeTinyBlob:
    case kTypeMediumBlob: case kTypeLongBlob:
      return true;
    case kTypeString:
      return !IsEnumOrSet(c);
    default:
      return false;
  }
}

void SetMeta(ColumnDef* c, ByteReader& r) {
  c->real_type = c->type;
  switch (MetaBytes(c->type)) {
    case 1: c->meta = r.U8(); break;
    case 2:
      if (c->type == kTypeString || c->type == kTypeEnum || c->type == kTypeSet) {
        uint8_t b0 = r.U8(), b1 = r.U8();
        c->meta = uint16_t(b0 << 8 | b1);
        // CHAR columns over 255 bytes keep bits 8-9 of the length in the
        // (inverted) 0x30 bits of the real type byte.
        if ((b0 & 0x30) != 0x30) {
          c->max_length = b1 | (((b0 & 0x30) ^ 0x30) << 4);
          c->real_type = b0 | 0x30;
        } else {
          c->max_length = b1;
          c->real_type = b0;
        }
      } else {
        c->meta = r.U16();
      }
      break;
    default: break;
  }
}

Status ParseOptionalMetadata(ByteReader& r, TableMap* t) {
  std::vector<ColumnDef*> numeric, character, enums, sets;
  for (auto& c : t->columns) {
    if (IsNumeric(c.type)) numeric.push_back(&c);
    if (IsCharacter(c)) character.push_back(&c);
    if (c.real_type == kTypeEnum) enums.push_back(&c);
    if (c.real_type == kTypeSet) sets.push_back(&c);
  }
  while (r.ok() && r.remaining() > 0) {
    uint8_t field = r.U8();
    uint64_t len = r.PackedInt();
    if (!r.ok() || len > r.remaining()) return Status::Corruption("table map optional metadata truncated");
    ByteReader v(r.Take(len));
    switch (field) {
      case 1:  // SIGNEDNESS: one bit per numeric column, most significant first
        for (size_t i = 0; i < numeric.size(); ++i) {
          if (i / 8 >= len) break;
          numeric[i]->is_unsigned = (v.cursor()[i / 8] >> (7 - i % 8)) & 1;
          numeric[i]->signedness_known = true;
        }
        t->has_signedness = true;
        break;
      case 2: {  // DEFAULT_CHARSET: default, then (index, collation) exceptions
        uint32_t def = uint32_t(v.PackedInt());
        for (auto* c : character) c->charset = def;
        while (v.ok() && v.remaining() > 0) {
          uint64_t idx = v.PackedInt(), coll = v.PackedInt();
          if (v.ok() && idx < character.size()) character[idx]->charset = uint32_t(coll);
        }
        break;
      }
      case 3:  // COLUMN_CHARSET
        for (auto* c : character) {
          if (v.remaining() == 0) break;
          c->charset = uint32_t(v.PackedInt());
        }
        break;
      case 4:  // COLUMN_NAME
        for (auto& c : t->columns) {
          if (v.remaining() == 0) break;
          c.name = v.TakeString(v.PackedInt());
        }
        t->has_names = v.ok();
        break;
      case 5:    // SET_STR_VALUE
      case 6: {  // ENUM_STR_VALUE
        auto& cols = field == 5 ? sets : enums;
        for (auto* c : cols) {
          if (v.remaining() == 0) break;
          uint64_t n = v.PackedInt();
          if (n > v.remaining()) break;
          c->enum_values.clear();
          for (uint64_t k = 0; k < n && v.ok(); ++k) c->enum_values.push_back(v.TakeString(v.PackedInt()));
        }
        break;
      }
      default:
        break;  // geometry type, primary key, visibility, ...: not needed to decode values
    }
  }
  return Status::Ok();
}

}  // namespace

void EventDecoder::ApplyConsumerColumns(TableMap* t) const {
  if (!options_.column_lookup || (t->has_names && t->has_signedness)) return;
  auto cols = options_.column_lookup(t->schema, t->table);
  if (!cols) return;
  size_t n = std::min(cols->size(), t->columns.size());
  for (size_t i = 0; i < n; ++i) {
    ColumnDef& c = t->columns[i];
    const ColumnInfo& info = (*cols)[i];
    if (!t->has_names) c.name = info.name;
    if (!c.signedness_known) {
      c.is_unsigned = info.is_unsigned;
      c.signedness_known = true;
    }
    if (c.charset == 0) c.charset = info.charset;
    if (c.enum_values.empty()) c.enum_values = info.enum_values;
  }
  t->consumer_columns = true;
}

Status EventDecoder::DecodeTableMap(Bytes body, Event* out) {
  ByteReader r(body);
  auto t = std::make_shared<TableMap>();
  t->table_id = PostHeaderLength(kTableMapEvent, 8) == 6 ? r.LE(4) : r.LE(6);
  r.Skip(2);  // flags
  t->schema = r.TakeString(r.U8());
  r.Skip(1);
  t->table = r.TakeString(r.U8());
  r.Skip(1);
  uint64_t ncols = r.PackedInt();
  if (!r.ok() || ncols > r.remaining() || ncols > 4096) return Status::Corruption("table map truncated");
  Bytes types = r.Take(ncols);
  t->columns.resize(ncols);
  for (size_t i = 0; i < ncols; ++i) t->columns[i].type = types[i];
  uint64_t meta_len = r.PackedInt();
  if (!r.ok() || meta_len > r.remaining()) return Status::Corruption("table map metadata truncated");
  ByteReader meta(r.Take(meta_len));
  for (auto& c : t->columns) SetMeta(&c, meta);
  if (!meta.ok()) return Status::Corruption("table map metadata shorter than its column types need");
  Bytes nulls = r.Take((ncols + 7) / 8);
  if (!r.ok()) return Status::Corruption("table map null bitmap truncated");
  for (size_t i = 0; i < ncols; ++i) t->columns[i].nullable = (nulls[i / 8] >> (i % 8)) & 1;
  SEALGATE_RETURN_IF_ERROR(ParseOptionalMetadata(r, t.get()));
  bool decode_rows = !options_.want_rows || options_.want_rows(*t);
  if (decode_rows) ApplyConsumerColumns(t.get());
  std::shared_ptr<const TableMap> shared = std::move(t);
  tables_[shared->table_id] = KnownTable{shared, decode_rows};
  out->body = TableMapEvent{std::move(shared)};
  return Status::Ok();
}

}  // namespace sealgate::binlog
