// relay_floor: the least work a user-space TCP relay can do per query, to
// compare sealgate with. It forwards bytes between each client and its own
// upstream connection and looks at nothing: per direction one read and one
// write, from one epoll loop per thread (SO_REUSEPORT spreads the clients),
// as sealgate does. Benchmark tool only: no handshake, no framing, no limits.
//
// Usage: relay_floor LISTEN_PORT UPSTREAM_PORT [THREADS]   (127.0.0.1 on both sides)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

sockaddr_in Loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

int Listen(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a = Loopback(port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 1024) != 0) {
    std::perror("relay_floor: listen");
    std::exit(1);
  }
  return fd;
}

// Writes all of `data`; a full socket buffer (never seen with query-sized
// messages) is waited out, which is good enough for a benchmark.
bool WriteAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, data, n);
    if (w < 0 && errno == EAGAIN) {
      pollfd p{fd, POLLOUT, 0};
      poll(&p, 1, -1);
      continue;
    }
    if (w <= 0) return false;
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

void RunLoop(int listen_port, int upstream_port) {
  int listener = Listen(listen_port);
  int ep = epoll_create1(0);
  epoll_event ev{EPOLLIN, {.fd = listener}};
  epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
  std::unordered_map<int, int> peer;  // fd -> the other side's fd
  std::vector<char> buf(64 * 1024);
  epoll_event ready[64];
  for (;;) {
    int n = epoll_wait(ep, ready, 64, -1);
    for (int k = 0; k < n; ++k) {
      int fd = ready[k].data.fd;
      if (fd == listener) {
        int client = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK);
        if (client < 0) continue;
        int upstream = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a = Loopback(upstream_port);
        if (connect(upstream, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
          close(client);
          close(upstream);
          continue;
        }
        int one = 1;
        for (int s : {client, upstream}) {
          setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          epoll_event e{EPOLLIN, {.fd = s}};
          epoll_ctl(ep, EPOLL_CTL_ADD, s, &e);
        }
        peer[client] = upstream;
        peer[upstream] = client;
        continue;
      }
      auto it = peer.find(fd);
      if (it == peer.end()) continue;  // closed earlier in this batch
      ssize_t got = read(fd, buf.data(), buf.size());
      if (got < 0 && errno == EAGAIN) continue;
      if (got <= 0 || !WriteAll(it->second, buf.data(), static_cast<size_t>(got))) {
        int other = it->second;
        close(fd);
        close(other);
        peer.erase(fd);
        peer.erase(other);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: relay_floor LISTEN_PORT UPSTREAM_PORT [THREADS]\n");
    return 2;
  }
  int listen_port = std::atoi(argv[1]);
  int upstream_port = std::atoi(argv[2]);
  int threads = argc > 3 ? std::atoi(argv[3]) : 2;
  std::vector<std::thread> loops;
  for (int i = 0; i < threads; ++i) loops.emplace_back(RunLoop, listen_port, upstream_port);
  for (auto& t : loops) t.join();
}
