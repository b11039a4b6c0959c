#include "protocol/handshake.h"

#include "protocol/constants.h"
#include "protocol/wire.h"

namespace sealgate::protocol {

namespace {

// Byte offsets inside a greeting, found by walking its variable-length prefix.
struct GreetingLayout {
  size_t caps_low = 0;       // u16
  size_t caps_high = 0;      // u16, 0 if absent
  size_t mariadb_caps = 0;   // u32 in the reserved bytes, 0 if absent
};

Status Truncated(const char* what) { return Status::InvalidArgument(std::string("truncated ") + what); }

}  // namespace

uint64_t OpaqueCapabilities() {
  return cap::kCompress | cap::kZstdCompression | cap::kQueryAttributes | cap::kOptionalResultsetMetadata |
         cap::kSsl | cap::kMariaDbComMulti;
}

static StatusOr<Greeting> ParseGreetingWithLayout(std::string_view payload, GreetingLayout* layout) {
  ByteReader r(payload);
  Greeting g;
  std::string_view version, salt1;
  uint16_t caps_low = 0;
  if (!r.U8(&g.protocol_version)) return Truncated("greeting");
  if (g.protocol_version != 10) {
    return Status::InvalidArgument("unsupported protocol version " + std::to_string(g.protocol_version));
  }
  if (!r.NulString(&version) || !r.U32(&g.connection_id) || !r.Bytes(8, &salt1) || !r.Skip(1)) {
    return Truncated("greeting");
  }
  g.server_version = std::string(version);
  g.auth_plugin_data = std::string(salt1);
  layout->caps_low = r.position();
  if (!r.U16(&caps_low)) return Truncated("greeting");
  g.capabilities = caps_low;
  if (r.at_end()) return g;

  uint16_t caps_high;
  uint8_t salt_len;
  std::string_view reserved;
  if (!r.U8(&g.charset) || !r.U16(&g.status_flags)) return Truncated("greeting");
  layout->caps_high = r.position();
  if (!r.U16(&caps_high) || !r.U8(&salt_len) || !r.Bytes(10, &reserved)) return Truncated("greeting");
  g.capabilities |= static_cast<uint64_t>(caps_high) << 16;
  if (!(g.capabilities & cap::kLongPassword)) {
    // MariaDB: the last 4 reserved bytes carry the extended capabilities.
    g.is_mariadb = true;
    layout->mariadb_caps = r.position() - 4;
    g.capabilities |= LoadLE(reinterpret_cast<const unsigned char*>(reserved.data()) + 6, 4) << 32;
  }
  if (g.capabilities & cap::kSecureConnection) {
    size_t len2 = salt_len > 8 ? salt_len - 8 : 13;
    if (len2 < 13) len2 = 13;
    std::string_view salt2;
    if (!r.Bytes(len2 <= r.remaining() ? len2 : r.remaining(), &salt2)) return Truncated("greeting");
    // The salt is NUL-terminated on the wire; the terminator is not part of it.
    if (!salt2.empty() && salt2.back() == '\0') salt2.remove_suffix(1);
    g.auth_plugin_data.append(salt2);
  }
  if ((g.capabilities & cap::kPluginAuth) && !r.at_end()) {
    std::string_view name = r.Rest();
    if (!name.empty() && name.back() == '\0') name.remove_suffix(1);
    g.auth_plugin_name = std::string(name);
  }
  return g;
}

StatusOr<Greeting> ParseGreeting(std::string_view payload) {
  GreetingLayout layout;
  return ParseGreetingWithLayout(payload, &layout);
}

Status ClearGreetingCapabilities(std::string* payload, uint64_t clear_mask, uint64_t set_mask) {
  GreetingLayout layout;
  auto parsed = ParseGreetingWithLayout(*payload, &layout);
  if (!parsed.ok()) return parsed.status();
  auto clear = [&](size_t at, size_t width, uint64_t bits, uint64_t set) {
    auto* p = reinterpret_cast<unsigned char*>(payload->data()) + at;
    uint64_t v = (LoadLE(p, width) & ~bits) | set;
    for (size_t i = 0; i < width; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
  };
  clear(layout.caps_low, 2, clear_mask & 0xffff, set_mask & 0xffff);
  if (layout.caps_high) clear(layout.caps_high, 2, (clear_mask >> 16) & 0xffff, (set_mask >> 16) & 0xffff);
  if (layout.mariadb_caps) clear(layout.mariadb_caps, 4, clear_mask >> 32, set_mask >> 32);
  return Status::Ok();
}

StatusOr<HandshakeResponse> ParseHandshakeResponse(std::string_view payload) {
  ByteReader r(payload);
  HandshakeResponse h;
  uint32_t caps;
  std::string_view filler;
  if (!r.U32(&caps)) return Truncated("handshake response");
  h.capabilities = caps;
  if (!(caps & cap::kProtocol41)) {
    return Status::InvalidArgument("pre-4.1 client protocol is not supported; use a client library from this century")
        .WithMysqlError(1251, "08004");
  }
  if (!r.U32(&h.max_packet_size) || !r.U8(&h.charset) || !r.Bytes(23, &filler)) {
    return Truncated("handshake response");
  }
  if (!(caps & cap::kLongPassword)) {
    h.capabilities |= LoadLE(reinterpret_cast<const unsigned char*>(filler.data()) + 19, 4) << 32;
  }
  if (r.at_end()) {
    h.is_ssl_request = (caps & cap::kSsl) != 0;
    if (!h.is_ssl_request) return Truncated("handshake response");
    return h;
  }
  std::string_view user, auth, db, plugin;
  if (!r.NulString(&user)) return Truncated("handshake response");
  h.user = std::string(user);
  if (caps & cap::kPluginAuthLenencData) {
    if (!r.LenencString(&auth)) return Truncated("handshake response");
  } else if (caps & cap::kSecureConnection) {
    uint8_t len;
    if (!r.U8(&len) || !r.Bytes(len, &auth)) return Truncated("handshake response");
  } else if (!r.NulString(&auth)) {
    return Truncated("handshake response");
  }
  h.auth_response = std::string(auth);
  if ((caps & cap::kConnectWithDb) && !r.at_end()) {
    if (!r.NulString(&db)) return Truncated("handshake response");
    h.database = std::string(db);
  }
  if ((caps & cap::kPluginAuth) && !r.at_end()) {
    if (!r.NulString(&plugin)) return Truncated("handshake response");
    h.auth_plugin_name = std::string(plugin);
  }
  return h;
}

Status ClearResponseCapabilities(std::string* payload, uint64_t clear_mask) {
  if (payload->size() < 32) return Truncated("handshake response");
  auto* p = reinterpret_cast<unsigned char*>(payload->data());
  uint64_t caps = LoadLE(p, 4);
  uint64_t low = caps & ~(clear_mask & 0xffffffffu);
  for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(low >> (8 * i));
  if (!(caps & cap::kLongPassword)) {
    unsigned char* ext = p + 4 + 4 + 1 + 19;
    uint64_t v = LoadLE(ext, 4) & ~(clear_mask >> 32);
    for (int i = 0; i < 4; ++i) ext[i] = static_cast<unsigned char>(v >> (8 * i));
  }
  return Status::Ok();
}

}  // namespace sealgate::protocol
