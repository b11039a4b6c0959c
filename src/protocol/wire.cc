#include "protocol/wire.h"

namespace sealgate::protocol {

bool ByteReader::UInt(size_t width, uint64_t* out) {
  if (!ok_ || width > 8 || data_.size() - pos_ < width) return Fail();
  *out = LoadLE(reinterpret_cast<const unsigned char*>(data_.data()) + pos_, width);
  pos_ += width;
  return true;
}

bool ByteReader::U8(uint8_t* out) {
  uint64_t v;
  if (!UInt(1, &v)) return false;
  *out = static_cast<uint8_t>(v);
  return true;
}
bool ByteReader::U16(uint16_t* out) {
  uint64_t v;
  if (!UInt(2, &v)) return false;
  *out = static_cast<uint16_t>(v);
  return true;
}
bool ByteReader::U24(uint32_t* out) {
  uint64_t v;
  if (!UInt(3, &v)) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}
bool ByteReader::U32(uint32_t* out) {
  uint64_t v;
  if (!UInt(4, &v)) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}
bool ByteReader::U48(uint64_t* out) { return UInt(6, out); }
bool ByteReader::U64(uint64_t* out) { return UInt(8, out); }

bool ByteReader::LenencInt(uint64_t* out, bool* is_null) {
  if (is_null) *is_null = false;
  uint8_t first;
  if (!U8(&first)) return false;
  if (first < 0xfb) {
    *out = first;
    return true;
  }
  switch (first) {
    case 0xfb:
      if (!is_null) return Fail();
      *is_null = true;
      *out = 0;
      return true;
    case 0xfc: return UInt(2, out);
    case 0xfd: return UInt(3, out);
    case 0xfe: return UInt(8, out);
    default: return Fail();  // 0xff is not a valid length prefix
  }
}

bool ByteReader::Bytes(size_t n, std::string_view* out) {
  if (!ok_ || data_.size() - pos_ < n) return Fail();
  *out = data_.substr(pos_, n);
  pos_ += n;
  return true;
}

bool ByteReader::Skip(size_t n) {
  std::string_view ignored;
  return Bytes(n, &ignored);
}

bool ByteReader::NulString(std::string_view* out) {
  if (!ok_) return false;
  size_t end = data_.find('\0', pos_);
  if (end == std::string_view::npos) return Fail();
  *out = data_.substr(pos_, end - pos_);
  pos_ = end + 1;
  return true;
}

bool ByteReader::LenencString(std::string_view* out) {
  uint64_t n;
  if (!LenencInt(&n)) return false;
  return Bytes(static_cast<size_t>(n), out);
}

std::string_view ByteReader::Rest() {
  if (!ok_) return {};
  std::string_view r = data_.substr(pos_);
  pos_ = data_.size();
  return r;
}

void PutU8(std::string* out, uint8_t v) { out->push_back(static_cast<char>(v)); }
void PutU16(std::string* out, uint16_t v) {
  for (int i = 0; i < 2; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void PutU24(std::string* out, uint32_t v) {
  for (int i = 0; i < 3; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

void PutLenencInt(std::string* out, uint64_t v) {
  if (v < 0xfb) {
    PutU8(out, static_cast<uint8_t>(v));
  } else if (v <= 0xffff) {
    PutU8(out, 0xfc);
    PutU16(out, static_cast<uint16_t>(v));
  } else if (v <= 0xffffff) {
    PutU8(out, 0xfd);
    PutU24(out, static_cast<uint32_t>(v));
  } else {
    PutU8(out, 0xfe);
    PutU64(out, v);
  }
}

void PutLenencString(std::string* out, std::string_view s) {
  PutLenencInt(out, s.size());
  out->append(s);
}

void PutNulString(std::string* out, std::string_view s) {
  out->append(s);
  out->push_back('\0');
}

}  // namespace sealgate::protocol
