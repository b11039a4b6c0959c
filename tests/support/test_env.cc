#include "support/test_env.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

namespace sealgate::test {

ServerAddress TestServer() { return ServerAddress{"127.0.0.1", SEALGATE_TEST_PORT, "sealgate", "sealgate"}; }
std::string TestServerSocket() { return std::string(SEALGATE_TEST_DIR) + "/mariadb.sock"; }
std::string TestServerDir() { return SEALGATE_TEST_DIR; }
std::string SealgateBinary() { return SEALGATE_BINARY; }
std::string SourceDir() { return SEALGATE_SOURCE_DIR; }

std::string ScratchDir() {
  std::string dir = SEALGATE_SCRATCH_DIR;
  mkdir(dir.c_str(), 0755);
  return dir;
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace sealgate::test
