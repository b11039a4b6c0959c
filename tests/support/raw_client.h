// RawClient: a minimal MySQL protocol client over a plain socket, for tests
// that must control exact bytes (pipelining, malformed packets). It speaks
// mysql_native_password only.
#pragma once

#include <cstdint>
#include <string>

#include "support/test_env.h"

namespace sealgate::test {

class RawClient {
 public:
  RawClient() = default;
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool Connect(int port);  // TCP only, no handshake
  // Full handshake with mysql_native_password; false with error() set on
  // failure. Non-zero `mariadb_caps` (bits 32..63 of the capabilities, e.g.
  // MariaDB progress reports) are asked for as a MariaDB client does.
  bool Login(const std::string& user, const std::string& password, const std::string& database = "",
             uint64_t mariadb_caps = 0);

  bool SendRaw(const std::string& bytes);
  // Appends one packet frame (seq given) to `out`.
  static void Frame(std::string* out, uint8_t seq, const std::string& payload);
  // Reads one packet payload (single frame); false on EOF/timeout.
  bool ReadPacket(std::string* payload, uint8_t* seq = nullptr, int timeout_ms = 10000);
  // Reads packets up to the end of one COM_QUERY response (OK/ERR or result set
  // ending in EOF without MORE_RESULTS). Returns the packets' first bytes joined
  // as a summary like "R3:EOF" / "OK" / "ERR1146"; empty on failure.
  std::string ReadQueryResponse();
  // True if the peer closed the connection (read returns 0) within the timeout.
  bool WaitClosed(int timeout_ms = 5000);

  uint64_t server_capabilities() const { return server_caps_; }
  const std::string& error() const { return error_; }

 private:
  bool ReadExact(char* buf, size_t n, int timeout_ms);
  int fd_ = -1;
  uint64_t server_caps_ = 0;
  std::string error_;
};

}  // namespace sealgate::test
