// Integer and string encodings of the MySQL wire protocol.
//
// ByteReader reads from a complete, bounded buffer (a whole packet payload):
// running past the end makes the reader fail (ok() == false) and every later
// read returns false. It never reads out of bounds. Writers append to a string.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sealgate::protocol {

class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : data_(data) {}

  bool ok() const { return ok_; }
  size_t remaining() const { return ok_ ? data_.size() - pos_ : 0; }
  size_t position() const { return pos_; }
  bool at_end() const { return pos_ >= data_.size(); }

  bool U8(uint8_t* out);
  bool U16(uint16_t* out);
  bool U24(uint32_t* out);
  bool U32(uint32_t* out);
  bool U48(uint64_t* out);
  bool U64(uint64_t* out);
  // Fixed-width little-endian unsigned of 1..8 bytes.
  bool UInt(size_t width, uint64_t* out);
  // Length-encoded integer; *is_null set for the 0xfb NULL marker (if non-null pointer given).
  bool LenencInt(uint64_t* out, bool* is_null = nullptr);
  bool Bytes(size_t n, std::string_view* out);
  bool Skip(size_t n);
  // NUL-terminated string (terminator consumed, not included).
  bool NulString(std::string_view* out);
  bool LenencString(std::string_view* out);
  // Everything left.
  std::string_view Rest();

 private:
  bool Fail() {
    ok_ = false;
    return false;
  }
  std::string_view data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

void PutU8(std::string* out, uint8_t v);
void PutU16(std::string* out, uint16_t v);
void PutU24(std::string* out, uint32_t v);
void PutU32(std::string* out, uint32_t v);
void PutU64(std::string* out, uint64_t v);
void PutLenencInt(std::string* out, uint64_t v);
void PutLenencString(std::string* out, std::string_view s);
void PutNulString(std::string* out, std::string_view s);

// Reads a little-endian integer of `width` bytes from p (no bounds check).
inline uint64_t LoadLE(const unsigned char* p, size_t width) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

}  // namespace sealgate::protocol
