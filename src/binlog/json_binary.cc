// MySQL's binary JSON (sql-common/json_binary.cc layout) -> JSON text in the
// form the server prints it: `{"a": 1, "b": [true, null]}`.
#include <charconv>
#include <cstdio>
#include <cstring>

#include "binlog/column_codec.h"

namespace sealgate::binlog {
namespace {

enum JsonType : uint8_t {
  kSmallObject = 0, kLargeObject = 1, kSmallArray = 2, kLargeArray = 3, kLiteral = 4,
  kInt16 = 5, kUInt16 = 6, kInt32 = 7, kUInt32 = 8, kInt64 = 9, kUInt64 = 10,
  kDouble = 11, kString = 12, kOpaque = 15,
};

constexpr int kMaxDepth = 100;

Status Bad() { return Status::Corruption("invalid binary JSON"); }

uint64_t ReadLE(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t(p[i]) << (8 * i);
  return v;
}

// Variable-length length: 7 bits per byte, low group first, at most 5 bytes.
bool ReadVarLen(Bytes data, size_t* pos, uint64_t* len) {
  *len = 0;
  for (int i = 0; i < 5; ++i) {
    if (*pos >= data.size()) return false;
    uint8_t b = data[(*pos)++];
    *len |= uint64_t(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) return *len <= 0xffffffffULL;
  }
  return false;
}

void AppendEscaped(std::string_view s, std::string* out) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out->append(buf);
        } else {
          out->push_back(char(c));
        }
    }
  }
  out->push_back('"');
}

void AppendDouble(double d, std::string* out) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d);
  std::string s(buf, res.ptr);
  if (auto e = s.find("e+"); e != std::string::npos) s.erase(e + 1, 1);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  out->append(s);
}

std::string Base64(Bytes in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = in[i] << 16 | in[i + 1] << 8 | in[i + 2];
    for (int k = 3; k >= 0; --k) out.push_back(t[(v >> (6 * k)) & 63]);
  }
  if (i < in.size()) {
    uint32_t v = in[i] << 16 | (i + 1 < in.size() ? in[i + 1] << 8 : 0);
    out.push_back(t[(v >> 18) & 63]);
    out.push_back(t[(v >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? t[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

// Packed temporal (TIME_to_longlong_*_packed) inside an opaque JSON value.
void AppendPackedTemporal(uint8_t field_type, int64_t packed, std::string* out) {
  bool neg = packed < 0;
  uint64_t a = neg ? uint64_t(-packed) : uint64_t(packed);
  uint64_t frac = a % (1 << 24), ymdhms = a >> 24;
  uint64_t ymd = ymdhms >> 17, hms = ymdhms % (1 << 17);
  char buf[64];
  if (field_type == 11) {  // TIME: hours in the high bits
    uint64_t hms_t = a >> 24;
    std::snprintf(buf, sizeof buf, "\"%s%02u:%02u:%02u.%06u\"", neg ? "-" : "",
                  unsigned((hms_t >> 12) % (1 << 10)), unsigned((hms_t >> 6) % 64), unsigned(hms_t % 64),
                  unsigned(frac));
  } else if (field_type == 10) {
    std::snprintf(buf, sizeof buf, "\"%04u-%02u-%02u\"", unsigned(ymd >> 5) / 13, unsigned(ymd >> 5) % 13,
                  unsigned(ymd % 32));
  } else {
    std::snprintf(buf, sizeof buf, "\"%04u-%02u-%02u %02u:%02u:%02u.%06u\"", unsigned(ymd >> 5) / 13,
                  unsigned(ymd >> 5) % 13, unsigned(ymd % 32), unsigned(hms >> 12), unsigned((hms >> 6) % 64),
                  unsigned(hms % 64), unsigned(frac));
  }
  out->append(buf);
}

Status AppendOpaque(Bytes data, std::string* out) {
  size_t pos = 0;
  if (data.empty()) return Bad();
  uint8_t field_type = data[pos++];
  uint64_t len;
  if (!ReadVarLen(data, &pos, &len) || len > data.size() - pos) return Bad();
  Bytes v = data.subspan(pos, len);
  if (field_type == 246 && len >= 2) {  // NEWDECIMAL: precision, scale, binary
    ByteReader r(v.subspan(2));
    std::string text;
    SEALGATE_RETURN_IF_ERROR(DecodeDecimal(r, v[0], v[1], &text));
    out->append(text);
  } else if ((field_type == 10 || field_type == 11 || field_type == 12 || field_type == 7) && len == 8) {
    AppendPackedTemporal(field_type, int64_t(ReadLE(v.data(), 8)), out);
  } else {
    out->append("\"base64:type" + std::to_string(field_type) + ":" + Base64(v) + "\"");
  }
  return Status::Ok();
}

Status AppendValue(uint8_t type, Bytes data, int depth, std::string* out);

// An object or array; `data` starts at its element count.
Status AppendContainer(bool object, bool large, Bytes data, int depth, std::string* out) {
  size_t w = large ? 4 : 2;
  if (data.size() < 2 * w) return Bad();
  uint64_t count = ReadLE(data.data(), w), size = ReadLE(data.data() + w, w);
  if (size > data.size()) return Bad();
  data = data.first(size);
  size_t key_entry = object ? w + 2 : 0, value_entry = 1 + w;
  size_t header = 2 * w + count * (key_entry + value_entry);
  if (count > size || header > size) return Bad();
  out->push_back(object ? '{' : '[');
  for (uint64_t i = 0; i < count; ++i) {
    if (i) out->append(", ");
    if (object) {
      const uint8_t* k = data.data() + 2 * w + i * key_entry;
      uint64_t off = ReadLE(k, w), len = ReadLE(k + w, 2);
      if (off > size || len > size - off) return Bad();
      AppendEscaped(std::string_view(reinterpret_cast<const char*>(data.data() + off), len), out);
      out->append(": ");
    }
    const uint8_t* v = data.data() + 2 * w + count * key_entry + i * value_entry;
    uint8_t vt = v[0];
    bool inlined = vt == kLiteral || vt == kInt16 || vt == kUInt16 || (large && (vt == kInt32 || vt == kUInt32));
    if (inlined) {
      SEALGATE_RETURN_IF_ERROR(AppendValue(vt, Bytes(v + 1, w), depth + 1, out));
    } else {
      uint64_t off = ReadLE(v + 1, w);
      if (off < header || off > size) return Bad();
      SEALGATE_RETURN_IF_ERROR(AppendValue(vt, data.subspan(off), depth + 1, out));
    }
  }
  out->push_back(object ? '}' : ']');
  return Status::Ok();
}

Status AppendValue(uint8_t type, Bytes data, int depth, std::string* out) {
  if (depth > kMaxDepth) return Bad();
  auto need = [&](size_t n) { return data.size() >= n; };
  switch (type) {
    case kSmallObject: case kLargeObject: case kSmallArray: case kLargeArray:
      return AppendContainer(type <= kLargeObject, type == kLargeObject || type == kLargeArray, data, depth, out);
    case kLiteral:
      if (!need(1) || data[0] > 2) return Bad();
      out->append(data[0] == 0 ? "null" : data[0] == 1 ? "true" : "false");
      return Status::Ok();
    case kInt16: case kUInt16:
      if (!need(2)) return Bad();
      out->append(type == kInt16 ? std::to_string(int16_t(ReadLE(data.data(), 2)))
                                 : std::to_string(uint16_t(ReadLE(data.data(), 2))));
      return Status::Ok();
    case kInt32: case kUInt32:
      if (!need(4)) return Bad();
      out->append(type == kInt32 ? std::to_string(int32_t(ReadLE(data.data(), 4)))
                                 : std::to_string(uint32_t(ReadLE(data.data(), 4))));
      return Status::Ok();
    case kInt64: case kUInt64:
      if (!need(8)) return Bad();
      out->append(type == kInt64 ? std::to_string(int64_t(ReadLE(data.data(), 8)))
                                 : std::to_string(ReadLE(data.data(), 8)));
      return Status::Ok();
    case kDouble: {
      if (!need(8)) return Bad();
      double d;
      uint64_t bits = ReadLE(data.data(), 8);
      std::memcpy(&d, &bits, 8);
      AppendDouble(d, out);
      return Status::Ok();
    }
    case kString: {
      size_t pos = 0;
      uint64_t len;
      if (!ReadVarLen(data, &pos, &len) || len > data.size() - pos) return Bad();
      AppendEscaped(std::string_view(reinterpret_cast<const char*>(data.data() + pos), len), out);
      return Status::Ok();
    }
    case kOpaque:
      return AppendOpaque(data, out);
    default:
      return Bad();
  }
}

}  // namespace

Status JsonBinaryToText(Bytes in, std::string* out) {
  out->clear();
  if (in.empty()) {  // an empty document is how the server logs JSON null from some paths
    out->append("null");
    return Status::Ok();
  }
  return AppendValue(in[0], in.subspan(1), 0, out);
}

}  // namespace sealgate::binlog
