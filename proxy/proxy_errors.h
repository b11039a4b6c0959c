// Error numbers the proxy front sends on its own (range 7780-7799 of
// src/sql/errors.h: seal, revert and runtime failures). Stable: scripts match on them.
#pragma once

#include <cstdint>

namespace sealgate::error {

// The upstream server cannot be reached (connection refused, timed out).
inline constexpr uint16_t kUpstreamUnavailable = 7780;
// The upstream sent bytes that are not the MySQL protocol.
inline constexpr uint16_t kUpstreamProtocol = 7781;

}  // namespace sealgate::error
