#include "proxy/server.h"

#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace sealgate::proxy {

StatusOr<sockaddr_storage> ResolveHostPort(const HostPort& hp) {
  addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  std::string port = std::to_string(hp.port);
  int rc = getaddrinfo(hp.host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0 || !found) return Status::InvalidArgument("cannot resolve " + hp.ToString() + ": " + gai_strerror(rc));
  sockaddr_storage out;
  memset(&out, 0, sizeof out);
  memcpy(&out, found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  return out;
}

StatusOr<int> BindListener(const HostPort& addr) {
  auto resolved = ResolveHostPort(addr);
  if (!resolved.ok()) return resolved.status();
  int fd = socket(resolved->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Unavailable(std::string("socket: ") + strerror(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  socklen_t len = resolved->ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (bind(fd, reinterpret_cast<sockaddr*>(&*resolved), len) != 0) {
    int err = errno;
    close(fd);
    return Status::Unavailable("cannot listen on " + addr.ToString() + ": " + strerror(err));
  }
  return fd;
}

Server::Server(const Config& config, Logger* logger) : config_(config), logger_(logger) {}

std::optional<std::string> Server::LastStatement(uint64_t connection_id) {
  for (auto& w : workers_) {
    if (auto found = w->LastStatement(connection_id)) return found;
  }
  return std::nullopt;
}

std::optional<uint64_t> Server::SessionOf(uint64_t connection_id) {
  for (auto& w : workers_) {
    if (auto found = w->SessionOf(connection_id)) return found;
  }
  return std::nullopt;
}

Server::~Server() {
  for (auto& w : workers_) w->Join();
}

Status Server::Start() {
  auto upstream = ResolveHostPort(config_.upstream);
  if (!upstream.ok()) return upstream.status();
  std::shared_ptr<TlsContext> server_tls, upstream_tls;
  if (!config_.tls.cert_file.empty()) {
    auto ctx = TlsContext::Server(config_.tls.cert_file, config_.tls.key_file);
    if (!ctx.ok()) return ctx.status();
    server_tls = *ctx;
  }
  if (config_.tls.upstream) {
    auto ctx = TlsContext::Client();
    if (!ctx.ok()) return ctx.status();
    upstream_tls = *ctx;
  }
  int threads = config_.threads > 0 ? config_.threads : static_cast<int>(std::thread::hardware_concurrency());
  if (threads < 1) threads = 1;
  std::vector<int> fds;
  for (int i = 0; i < threads; ++i) {
    auto fd = BindListener(config_.listen);
    if (!fd.ok()) {
      for (int f : fds) close(f);
      return fd.status();
    }
    fds.push_back(*fd);
  }
  for (int i = 0; i < threads; ++i) {
    WorkerOptions options;
    options.index = i;
    options.upstream = *upstream;
    options.upstream_socket = config_.upstream_socket;
    options.server_tls = server_tls;
    options.upstream_tls = upstream_tls;
    options.interceptor = interceptor_;
    options.client_latency = client_latency_;
    options.keepalive_ms = static_cast<uint64_t>(config_.upstream_keepalive_seconds * 1000);
    options.max_packet_bytes = config_.max_packet_bytes;
    workers_.push_back(std::make_unique<Worker>(options, &stats_, logger_));
    Status s = workers_.back()->Start(fds[i]);
    if (!s.ok()) {
      for (int j = i + 1; j < threads; ++j) close(fds[j]);
      workers_.pop_back();  // never started: no loop thread to ask
      Shutdown();
      return s.Annotate("listen " + config_.listen.ToString());
    }
  }
  std::vector<Worker*> raw;
  for (auto& w : workers_) raw.push_back(w.get());
  hold_gate_ = std::make_unique<HoldGate>(std::move(raw));
  return Status::Ok();
}

void Server::Shutdown() {
  for (auto& w : workers_) w->RequestShutdown(config_.shutdown_grace_seconds);
}

void Server::RunUntilSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  logger_->Info("proxy", std::string("received ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") +
                             ": no new connections; finishing in-flight statements");
  Shutdown();
  for (auto& w : workers_) w->Join();
  logger_->Info("proxy", "stopped");
}

}  // namespace sealgate::proxy
