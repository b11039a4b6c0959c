// Framing of the MySQL protocol: 3-byte length, 1-byte sequence id, payload.
// A payload of 0xffffff bytes is continued by the next frame; the frames
// together carry one logical packet (this is how packets >= 16 MiB travel).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace sealgate::protocol {

enum class FrameResult { kComplete, kNeedMore, kInvalid };

struct LogicalPacket {
  uint8_t seq = 0;           // sequence id of the first frame
  uint8_t last_seq = 0;      // sequence id of the last frame
  std::string payload;       // all frames' payloads concatenated
  size_t wire_size = 0;      // bytes the packet occupies on the wire (headers included)
};

// Parses one complete logical packet from the front of `buf`.
// kNeedMore: `buf` holds only part of it (nothing is consumed). kInvalid: the
// packet would exceed `max_payload` bytes.
FrameResult ParseLogicalPacket(std::string_view buf, LogicalPacket* out, size_t max_payload = size_t{1} << 30);

// Appends `payload` as one logical packet, split into frames as needed.
// Returns the sequence id that the next packet should use.
uint8_t AppendPacket(std::string* out, uint8_t seq, std::string_view payload);

// PacketScanner follows a byte stream incrementally (bytes may arrive split
// anywhere) and reports the start of each frame with the first bytes of its
// payload, without buffering whole payloads. Used to follow server responses
// while forwarding their bytes untouched.
class PacketScanner {
 public:
  static constexpr size_t kPeekBytes = 64;

  struct Frame {
    uint8_t seq;
    uint32_t length;          // payload length of this frame
    bool continuation;        // this frame continues the previous (which was 0xffffff long)
    std::string_view head;    // first min(length, kPeekBytes) payload bytes; valid during the visit only
  };

  // Visitor: bool OnFrame(const Frame&). Returning false stops the scan; Feed
  // then returns the number of bytes consumed so far (including that frame's
  // head bytes), and the rest may be fed again later.
  template <typename Visitor>
  size_t Feed(const char* data, size_t n, Visitor&& visitor);

  // True when the stream is between frames.
  bool at_frame_boundary() const { return hdr_have_ == 0; }

 private:
  unsigned char hdr_[4];
  size_t hdr_have_ = 0;
  uint32_t length_ = 0;
  uint32_t remaining_ = 0;
  char peek_[kPeekBytes];
  size_t peek_have_ = 0;
  size_t peek_need_ = 0;
  bool emitted_ = false;
  bool next_is_continuation_ = false;
  bool continuation_ = false;
};

template <typename Visitor>
size_t PacketScanner::Feed(const char* data, size_t n, Visitor&& visitor) {
  size_t i = 0;
  while (i < n) {
    if (hdr_have_ < 4) {
      size_t take = std::min(4 - hdr_have_, n - i);
      std::memcpy(hdr_ + hdr_have_, data + i, take);
      hdr_have_ += take;
      i += take;
      if (hdr_have_ < 4) break;
      length_ = hdr_[0] | (hdr_[1] << 8) | (hdr_[2] << 16);
      remaining_ = length_;
      peek_have_ = 0;
      peek_need_ = length_ < kPeekBytes ? length_ : kPeekBytes;
      emitted_ = false;
      continuation_ = next_is_continuation_;
      next_is_continuation_ = (length_ == 0xffffff);
    }
    if (!emitted_) {
      size_t take = std::min(peek_need_ - peek_have_, n - i);
      const char* head = peek_;
      if (peek_have_ == 0 && take == peek_need_) {
        head = data + i;  // the whole head is in this buffer (the usual case): no copy
      } else {
        std::memcpy(peek_ + peek_have_, data + i, take);
      }
      peek_have_ += take;
      i += take;
      remaining_ -= static_cast<uint32_t>(take);
      if (peek_have_ < peek_need_) break;
      emitted_ = true;
      bool go_on = visitor(Frame{hdr_[3], length_, continuation_, std::string_view(head, peek_have_)});
      if (remaining_ == 0) hdr_have_ = 0;
      if (!go_on) return i;
      continue;
    }
    size_t take = n - i < remaining_ ? n - i : remaining_;
    i += take;
    remaining_ -= static_cast<uint32_t>(take);
    if (remaining_ == 0) hdr_have_ = 0;
  }
  return i;
}

}  // namespace sealgate::protocol
