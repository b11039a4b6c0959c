// Column values as the row image stores them (Field::pack / Field::unpack of
// each MySQL/MariaDB field type).
#include "binlog/column_codec.h"

#include <cstring>

#include "binlog/event_types.h"

namespace sealgate::binlog {
namespace {

constexpr uint32_t kBinaryCollation = 63;
constexpr int kDig2Bytes[10] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};
constexpr uint32_t kPow10[10] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000};

Status Truncated() { return Status::Corruption("row value runs past the event"); }

int64_t SignExtend(uint64_t v, int bytes) {
  int shift = 64 - 8 * bytes;
  return int64_t(v << shift) >> shift;
}

void SetInt(const ColumnDef& c, uint64_t raw, int bytes, Value* out) {
  if (c.is_unsigned) {
    out->kind = ValueKind::kUInt;
    out->u = raw;
  } else {
    out->kind = ValueKind::kInt;
    out->i = SignExtend(raw, bytes);
  }
}

// Fractional seconds stored big-endian in (fsp+1)/2 bytes, scaled to micros.
// Signed for TIME2 (its sign spans the integer and fraction parts).
int64_t ReadFraction(ByteReader& r, int fsp, bool is_signed) {
  int n = (fsp + 1) / 2;
  if (n == 0) return 0;
  uint64_t raw = r.BE(n);
  int64_t v = is_signed ? SignExtend(raw, n) : int64_t(raw);
  static const int64_t kScale[4] = {1, 10000, 100, 1};
  return v * kScale[n];
}

Status DecodeTime2(ByteReader& r, int fsp, Value* out) {
  if (fsp > 6) return Status::Corruption("TIME fractional digits over 6");
  // my_time_packed_from_binary: 3 bytes of integer part offset by 0x800000,
  // then the fraction; for negative values the fraction borrows from the
  // integer part.
  int64_t packed;
  if (fsp >= 5) {
    packed = int64_t(r.BE(6)) - 0x800000000000LL;
  } else {
    int64_t intpart = int64_t(r.BE(3)) - 0x800000;
    int64_t frac = 0;
    if (fsp >= 1) {
      int n = (fsp + 1) / 2;
      frac = int64_t(r.BE(n));  // unsigned: negative values store 0x100/0x10000 - |frac|
      if (intpart < 0 && frac != 0) {
        intpart++;
        frac -= n == 1 ? 0x100 : 0x10000;
      }
      frac *= n == 1 ? 10000 : 100;
    }
    packed = (intpart << 24) + frac;
  }
  if (!r.ok()) return Truncated();
  Temporal& t = out->t;
  t.negative = packed < 0;
  uint64_t a = t.negative ? uint64_t(-packed) : uint64_t(packed);
  uint64_t hms = a >> 24;
  t.micros = uint32_t(a % (1 << 24));
  t.hour = uint32_t((hms >> 12) % (1 << 10));
  t.minute = uint8_t((hms >> 6) % 64);
  t.second = uint8_t(hms % 64);
  out->kind = ValueKind::kTime;
  out->fsp = uint8_t(fsp);
  return Status::Ok();
}

Status DecodeDateTime2(ByteReader& r, int fsp, Value* out) {
  if (fsp > 6) return Status::Corruption("DATETIME fractional digits over 6");
  int64_t intpart = int64_t(r.BE(5)) - 0x8000000000LL;
  int64_t frac = ReadFraction(r, fsp, true);
  if (!r.ok()) return Truncated();
  if (intpart < 0) intpart = -intpart;  // never written by the server; keep bounded
  uint64_t ymd = uint64_t(intpart) >> 17, hms = uint64_t(intpart) % (1 << 17);
  uint64_t ym = ymd >> 5;
  Temporal& t = out->t;
  t.day = uint8_t(ymd % 32);
  t.month = uint8_t(ym % 13);
  t.year = uint16_t(ym / 13);
  t.second = uint8_t(hms % 64);
  t.minute = uint8_t((hms >> 6) % 64);
  t.hour = uint32_t(hms >> 12);
  t.micros = uint32_t(frac < 0 ? 0 : frac);
  out->kind = ValueKind::kDateTime;
  out->fsp = uint8_t(fsp);
  return Status::Ok();
}

Status DecodeLengthPrefixed(ByteReader& r, int prefix_bytes, ValueKind kind, Value* out) {
  if (prefix_bytes < 1 || prefix_bytes > 4) return Status::Corruption("bad length-prefix size");
  uint64_t len = r.LE(prefix_bytes);
  if (!r.ok() || len > r.remaining()) return Truncated();
  std::string_view data = r.TakeView(len);
  out->kind = kind;
  out->bytes.assign(data.data(), data.size());
  return Status::Ok();
}

Status DecodeStringFamily(ByteReader& r, const ColumnDef& c, Value* out) {
  if (c.real_type == kTypeEnum) {
    if (c.max_length != 1 && c.max_length != 2) return Status::Corruption("bad ENUM pack length");
    out->u = r.LE(c.max_length);
    out->kind = ValueKind::kEnum;
  } else if (c.real_type == kTypeSet) {
    if (c.max_length < 1 || c.max_length > 8) return Status::Corruption("bad SET pack length");
    out->u = r.LE(c.max_length);
    out->kind = ValueKind::kSet;
  } else {
    SEALGATE_RETURN_IF_ERROR(DecodeLengthPrefixed(r, c.max_length > 255 ? 2 : 1, ValueKind::kBytes, out));
    // The server strips BINARY(n)'s trailing 0x00 padding when logging; put it
    // back so the value equals what SELECT returns. (CHAR's trailing spaces
    // are stripped on SELECT too, so they stay off.)
    if (c.charset == kBinaryCollation && out->bytes.size() < c.max_length) out->bytes.resize(c.max_length, '\0');
  }
  return r.ok() ? Status::Ok() : Truncated();
}

Status DecodeOldTemporal(ByteReader& r, uint8_t type, Value* out) {
  Temporal& t = out->t;
  if (type == kTypeTimestamp) {
    out->kind = ValueKind::kTimestamp;
    out->i = int64_t(r.U32());
  } else if (type == kTypeDateTime) {
    uint64_t v = r.U64();
    uint64_t d = v / 1000000, tm = v % 1000000;
    t.year = uint16_t(d / 10000 % 10000);
    t.month = uint8_t(d / 100 % 100);
    t.day = uint8_t(d % 100);
    t.hour = uint32_t(tm / 10000);
    t.minute = uint8_t(tm / 100 % 100);
    t.second = uint8_t(tm % 100);
    out->kind = ValueKind::kDateTime;
  } else {  // TIME: signed HHMMSS in 3 bytes
    int64_t v = SignExtend(r.LE(3), 3);
    t.negative = v < 0;
    uint64_t a = uint64_t(v < 0 ? -v : v);
    t.hour = uint32_t(a / 10000);
    t.minute = uint8_t(a / 100 % 100);
    t.second = uint8_t(a % 100);
    out->kind = ValueKind::kTime;
  }
  return r.ok() ? Status::Ok() : Truncated();
}

}  // namespace

int DecimalBinarySize(int precision, int scale) {
  int intg = precision - scale;
  return intg / 9 * 4 + kDig2Bytes[intg % 9] + scale / 9 * 4 + kDig2Bytes[scale % 9];
}

Status DecodeDecimal(ByteReader& r, int precision, int scale, std::string* out) {
  if (precision < 1 || precision > 65 || scale < 0 || scale > 38 || scale > precision) {
    return Status::Corruption("bad DECIMAL precision/scale");
  }
  int size = DecimalBinarySize(precision, scale);
  Bytes raw = r.Take(size);
  if (!r.ok()) return Truncated();
  uint8_t buf[40];
  std::memcpy(buf, raw.data(), size);
  bool negative = !(buf[0] & 0x80);
  buf[0] ^= 0x80;
  if (negative) for (int i = 0; i < size; ++i) buf[i] = ~buf[i];
  ByteReader d(Bytes(buf, size));
  int intg = precision - scale;
  std::string digits;
  auto group = [&](int ndigits, int nbytes, bool pad) -> bool {
    uint64_t v = d.BE(nbytes);
    if (v >= kPow10[ndigits]) return false;
    char tmp[16];
    int len = std::snprintf(tmp, sizeof tmp, pad ? "%0*u" : "%u", ndigits, unsigned(v));
    digits.append(tmp, len);
    return true;
  };
  bool ok = true;
  if (intg % 9) ok &= group(intg % 9, kDig2Bytes[intg % 9], true);
  for (int i = 0; i < intg / 9; ++i) ok &= group(9, 4, true);
  size_t first = digits.find_first_not_of('0');
  std::string text = negative ? "-" : "";
  text += first == std::string::npos ? "0" : digits.substr(first);
  if (scale > 0) {
    digits.clear();
    for (int i = 0; i < scale / 9; ++i) ok &= group(9, 4, true);
    if (scale % 9) ok &= group(scale % 9, kDig2Bytes[scale % 9], true);
    text += "." + digits;
  }
  if (!ok) return Status::Corruption("DECIMAL digit group out of range");
  *out = std::move(text);
  return Status::Ok();
}

Status DecodeColumnValue(ByteReader& r, const ColumnDef& c, Value* out) {
  switch (c.type) {
    case kTypeTiny: SetInt(c, r.LE(1), 1, out); break;
    case kTypeShort: SetInt(c, r.LE(2), 2, out); break;
    case kTypeInt24: SetInt(c, r.LE(3), 3, out); break;
    case kTypeLong: SetInt(c, r.LE(4), 4, out); break;
    case kTypeLongLong: SetInt(c, r.LE(8), 8, out); break;
    case kTypeFloat: {
      uint32_t bits = r.U32();
      float f;
      std::memcpy(&f, &bits, 4);
      out->kind = ValueKind::kFloat;
      out->d = f;
      break;
    }
    case kTypeDouble: {
      uint64_t bits = r.U64();
      std::memcpy(&out->d, &bits, 8);
      out->kind = ValueKind::kDouble;
      break;
    }
    case kTypeNewDecimal:
      out->kind = ValueKind::kDecimal;
      return DecodeDecimal(r, c.meta & 0xff, c.meta >> 8, &out->bytes);
    case kTypeYear: {
      uint8_t y = r.U8();
      out->kind = ValueKind::kYear;
      out->u = y == 0 ? 0 : 1900 + y;
      break;
    }
    case kTypeDate:
    case kTypeNewDate: {
      uint32_t v = uint32_t(r.LE(3));
      out->kind = ValueKind::kDate;
      out->t.day = v & 31;
      out->t.month = (v >> 5) & 15;
      out->t.year = uint16_t(v >> 9);
      break;
    }
    case kTypeTimestamp2: {
      if (c.meta > 6) return Status::Corruption("TIMESTAMP fractional digits over 6");
      out->kind = ValueKind::kTimestamp;
      out->fsp = uint8_t(c.meta);
      out->i = int64_t(r.BE(4));
      out->t.micros = uint32_t(ReadFraction(r, c.meta, false));
      break;
    }
    case kTypeDateTime2: return DecodeDateTime2(r, c.meta, out);
    case kTypeTime2: return DecodeTime2(r, c.meta, out);
    case kTypeTimestamp: case kTypeDateTime: case kTypeTime:
      return DecodeOldTemporal(r, c.type, out);
    case kTypeVarchar: case kTypeVarString:
      return DecodeLengthPrefixed(r, c.meta > 255 ? 2 : 1, ValueKind::kBytes, out);
    case kTypeString: case kTypeEnum: case kTypeSet:
      return DecodeStringFamily(r, c, out);
    case kTypeBlob: case kTypeTinyBlob: case kTypeMediumBlob: case kTypeLongBlob:
      return DecodeLengthPrefixed(r, c.meta, ValueKind::kBytes, out);
    case kTypeGeometry:
      return DecodeLengthPrefixed(r, c.meta, ValueKind::kGeometry, out);
    case kTypeJson: {
      Value raw;
      SEALGATE_RETURN_IF_ERROR(DecodeLengthPrefixed(r, c.meta, ValueKind::kBytes, &raw));
      out->kind = ValueKind::kJson;
      return JsonBinaryToText(AsBytes(raw.bytes), &out->bytes);
    }
    case kTypeBit: {
      size_t n = (c.meta >> 8) + ((c.meta & 0xff) ? 1 : 0);
      if (n > 8) return Status::Corruption("BIT wider than 64");
      std::string_view b = r.TakeView(n);
      out->kind = ValueKind::kBit;
      out->bytes.assign(b.data(), b.size());
      out->u = 0;
      for (unsigned char ch : b) out->u = (out->u << 8) | ch;
      break;
    }
    case kTypeNull:
      out->kind = ValueKind::kNull;
      break;
    case 140: case 141:
      return Status::Unimplemented("MariaDB compressed columns are not supported");
    default:
      return Status::Unimplemented("column type " + std::to_string(c.type) + " is not supported");
  }
  return r.ok() ? Status::Ok() : Truncated();
}

}  // namespace sealgate::binlog
