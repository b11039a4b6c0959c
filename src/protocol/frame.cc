#include "protocol/frame.h"

#include "protocol/wire.h"

namespace sealgate::protocol {

FrameResult ParseLogicalPacket(std::string_view buf, LogicalPacket* out, size_t max_payload) {
  // First pass: find the end without copying, so an incomplete packet costs nothing.
  size_t pos = 0;
  size_t total = 0;
  for (;;) {
    if (buf.size() - pos < 4) return FrameResult::kNeedMore;
    const auto* p = reinterpret_cast<const unsigned char*>(buf.data()) + pos;
    uint32_t len = static_cast<uint32_t>(LoadLE(p, 3));
    total += len;
    if (total > max_payload) return FrameResult::kInvalid;
    if (buf.size() - pos - 4 < len) return FrameResult::kNeedMore;
    pos += 4 + len;
    if (len < 0xffffff) break;
  }
  out->payload.clear();
  out->payload.reserve(total);
  out->wire_size = pos;
  out->seq = static_cast<uint8_t>(buf[3]);
  size_t at = 0;
  for (;;) {
    const auto* p = reinterpret_cast<const unsigned char*>(buf.data()) + at;
    uint32_t len = static_cast<uint32_t>(LoadLE(p, 3));
    out->last_seq = p[3];
    out->payload.append(buf.data() + at + 4, len);
    at += 4 + len;
    if (len < 0xffffff) break;
  }
  return FrameResult::kComplete;
}

uint8_t AppendPacket(std::string* out, uint8_t seq, std::string_view payload) {
  size_t pos = 0;
  for (;;) {
    size_t len = payload.size() - pos;
    if (len > 0xffffff) len = 0xffffff;
    PutU24(out, static_cast<uint32_t>(len));
    PutU8(out, seq++);
    out->append(payload.data() + pos, len);
    pos += len;
    if (len < 0xffffff) break;  // a 0xffffff frame must be followed by one more (possibly empty)
  }
  return seq;
}

}  // namespace sealgate::protocol
