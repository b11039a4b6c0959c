// The connection phase: the server greeting (HandshakeV10) and the client's
// HandshakeResponse41 / SSLRequest, parsed and rewritten in place.
//
// sealgate relays authentication: it never computes or stores credentials. It
// only clears capability bits that would make later packets opaque to it
// (compression, query attributes, optional metadata, ...), in both directions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sealgate::protocol {

struct Greeting {
  uint8_t protocol_version = 0;
  std::string server_version;
  uint32_t connection_id = 0;
  uint64_t capabilities = 0;  // including MariaDB extended capabilities in bits 32..63
  uint8_t charset = 0;
  uint16_t status_flags = 0;
  std::string auth_plugin_data;  // the salt
  std::string auth_plugin_name;
  bool is_mariadb = false;  // CLIENT_MYSQL unset: MariaDB extended capabilities present
};

// Parses a greeting payload. Errors: truncated or not protocol version 10.
StatusOr<Greeting> ParseGreeting(std::string_view payload);

// Clears `clear_mask` and then sets `set_mask` capability bits in a greeting
// payload in place (bits above 31 only where the greeting carries MariaDB's
// extended capabilities).
Status ClearGreetingCapabilities(std::string* payload, uint64_t clear_mask, uint64_t set_mask = 0);

struct HandshakeResponse {
  uint64_t capabilities = 0;  // including MariaDB extended capabilities
  uint32_t max_packet_size = 0;
  uint8_t charset = 0;
  bool is_ssl_request = false;  // a 32-byte SSLRequest, TLS negotiation follows
  std::string user;
  std::string auth_response;
  std::string database;
  std::string auth_plugin_name;
};

// Parses a HandshakeResponse41 or SSLRequest payload. Errors: truncated, or a
// pre-4.1 client (no CLIENT_PROTOCOL_41).
StatusOr<HandshakeResponse> ParseHandshakeResponse(std::string_view payload);

// Clears `clear_mask` capability bits in a HandshakeResponse41 / SSLRequest payload in place.
Status ClearResponseCapabilities(std::string* payload, uint64_t clear_mask);

// Capabilities sealgate always removes: they would make later packets opaque
// or change response formats in ways the session tracker does not follow.
uint64_t OpaqueCapabilities();

}  // namespace sealgate::protocol
