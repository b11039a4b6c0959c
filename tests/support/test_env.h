// Where the end-to-end tests find the private MariaDB and the sealgate binary.
// Values are fixed at configure time (tests/CMakeLists.txt).
#pragma once

#include <string>

namespace sealgate::test {

struct ServerAddress {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string user;
  std::string password;
};

// The shared private MariaDB started by the `mariadb` ctest fixture, as the
// all-privileged account `sealgate`.
ServerAddress TestServer();
// Unix socket of that server (root may connect here without a password).
std::string TestServerSocket();
// Datadir of the shared server's scripts/mariadb.sh state directory.
std::string TestServerDir();
// Path of the built sealgate binary.
std::string SealgateBinary();
// Repository root (for scripts/).
std::string SourceDir();
// A writable scratch directory for this test run (created on demand).
std::string ScratchDir();

// A loopback TCP port that nothing listens on right now.
int FreePort();

}  // namespace sealgate::test
