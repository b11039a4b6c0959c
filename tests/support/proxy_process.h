// ProxyProcess: runs build/sealgate as a child process for end-to-end tests.
// Start() waits until the proxy accepts TCP connections on its listen port.
// The destructor stops it (SIGTERM, then SIGKILL after a grace period).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "support/test_env.h"

namespace sealgate::test {

class ProxyProcess {
 public:
  struct Options {
    ServerAddress upstream = TestServer();
    int listen_port = 0;  // 0: pick a free port
    int http_port = 0;    // 0: pick a free port
    // Each proxy gets its own metadata schema unless told otherwise: two
    // instances on one schema would compete for the same deploys.
    std::string metadata_schema;  // empty: "_sgtest_<listen port>"
    std::vector<std::string> extra_args;
  };

  ProxyProcess() = default;
  ~ProxyProcess();
  ProxyProcess(const ProxyProcess&) = delete;
  ProxyProcess& operator=(const ProxyProcess&) = delete;

  // Spawns the binary; false if it did not accept connections within 30 s.
  bool Start(const Options& options);
  // SIGTERM and wait; returns the exit status (as from waitpid) or -1.
  int Stop();
  // SIGKILL and reap.
  void Kill();
  bool running() const { return pid_ > 0; }

  int port() const { return port_; }
  int http_port() const { return http_port_; }
  // Address to connect clients to, with the upstream's credentials.
  ServerAddress address(const std::string& user, const std::string& password) const;
  ServerAddress address() const;
  // Everything the process wrote to stderr so far.
  std::string log() const;

 private:
  bool StartOnce(const Options& options);
  Options options_;
  pid_t pid_ = -1;
  int port_ = 0;
  int http_port_ = 0;
  std::string log_path_;
};

}  // namespace sealgate::test
