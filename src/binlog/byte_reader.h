// ByteReader: bounds-checked little/big-endian reads over an immutable span.
//
// Every read checks the remaining length first and, on shortage, marks the
// reader failed and returns zero; callers check ok() once after a group of
// reads. The reader never reads past the span, whatever the bytes say.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace sealgate::binlog {

using Bytes = std::span<const uint8_t>;

class ByteReader {
 public:
  explicit ByteReader(Bytes data) : data_(data) {}

  bool ok() const { return ok_; }
  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }
  const uint8_t* cursor() const { return data_.data() + pos_; }
  Bytes rest() const { return data_.subspan(pos_); }

  // Marks the reader failed unless `n` bytes remain.
  bool Need(size_t n) {
    if (ok_ && remaining() >= n) return true;
    ok_ = false;
    return false;
  }
  void Skip(size_t n) {
    if (Need(n)) pos_ += n;
  }
  uint8_t U8() { return Need(1) ? data_[pos_++] : 0; }
  uint64_t LE(size_t n) {  // n <= 8
    if (!Need(n)) return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= uint64_t(data_[pos_ + i]) << (8 * i);
    pos_ += n;
    return v;
  }
  uint64_t BE(size_t n) {  // n <= 8
    if (!Need(n)) return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | data_[pos_ + i];
    pos_ += n;
    return v;
  }
  uint16_t U16() { return uint16_t(LE(2)); }
  uint32_t U32() { return uint32_t(LE(4)); }
  uint64_t U64() { return LE(8); }
  // MySQL length-encoded integer (0xfb = NULL is read as 0).
  uint64_t PackedInt() {
    uint8_t first = U8();
    if (first < 0xfb) return first;
    if (first == 0xfb) return 0;
    if (first == 0xfc) return LE(2);
    if (first == 0xfd) return LE(3);
    if (first == 0xfe) return LE(8);
    ok_ = false;
    return 0;
  }
  Bytes Take(size_t n) {
    if (!Need(n)) return {};
    Bytes out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  std::string_view TakeView(size_t n) {
    Bytes b = Take(n);
    return {reinterpret_cast<const char*>(b.data()), b.size()};
  }
  std::string TakeString(size_t n) { return std::string(TakeView(n)); }

 private:
  Bytes data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// Little-endian writers used by encoders and tests.
inline void PutLE(std::string* out, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) out->push_back(char((v >> (8 * i)) & 0xff));
}
inline void PutBE(std::string* out, uint64_t v, size_t n) {
  for (size_t i = n; i-- > 0;) out->push_back(char((v >> (8 * i)) & 0xff));
}
inline void PutPackedInt(std::string* out, uint64_t v) {
  if (v < 0xfb) {
    out->push_back(char(v));
  } else if (v <= 0xffff) {
    out->push_back(char(0xfc));
    PutLE(out, v, 2);
  } else if (v <= 0xffffff) {
    out->push_back(char(0xfd));
    PutLE(out, v, 3);
  } else {
    out->push_back(char(0xfe));
    PutLE(out, v, 8);
  }
}

inline Bytes AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace sealgate::binlog
