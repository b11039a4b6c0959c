#include "support/proxy_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace sealgate::test {

namespace {

bool CanConnect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

}  // namespace

ProxyProcess::~ProxyProcess() {
  if (running()) Stop();
}

bool ProxyProcess::Start(const Options& options) {
  // A port FreePort() found free can be taken before sealgate binds it (by
  // any connection's ephemeral port): with ports of its own choosing, a start
  // that failed on them is tried again on others.
  const bool own_ports = options.listen_port == 0 && options.http_port == 0;
  for (int attempt = 0;; ++attempt) {
    if (StartOnce(options)) return true;
    if (!own_ports || attempt == 4 || running() || log().find("Address already in use") == std::string::npos) {
      return false;
    }
  }
}

bool ProxyProcess::StartOnce(const Options& options) {
  options_ = options;
  port_ = options.listen_port ? options.listen_port : FreePort();
  http_port_ = options.http_port ? options.http_port : FreePort();
  static int counter = 0;
  log_path_ = ScratchDir() + "/sealgate-" + std::to_string(getpid()) + "-" + std::to_string(++counter) + ".log";

  std::vector<std::string> args = {SealgateBinary(),
                                   "--listen", "127.0.0.1:" + std::to_string(port_),
                                   "--upstream", options.upstream.host + ":" + std::to_string(options.upstream.port),
                                   "--http", "127.0.0.1:" + std::to_string(http_port_),
                                   "--admin-user", options.upstream.user,
                                   "--admin-password", options.upstream.password,
                                   "--metadata-schema",
                                   options.metadata_schema.empty() ? "_sgtest_" + std::to_string(port_)
                                                                   : options.metadata_schema};
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());

  pid_ = fork();
  if (pid_ == 0) {
    int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 2);
    dup2(fd, 1);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    if (CanConnect(port_)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Kill();
  return false;
}

int ProxyProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = -1;
  for (int i = 0; i < 300; ++i) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Kill();
  return -1;
}

void ProxyProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

ServerAddress ProxyProcess::address(const std::string& user, const std::string& password) const {
  return ServerAddress{"127.0.0.1", port_, user, password};
}

ServerAddress ProxyProcess::address() const { return address(options_.upstream.user, options_.upstream.password); }

std::string ProxyProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace sealgate::test
