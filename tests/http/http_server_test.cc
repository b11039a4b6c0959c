#include "proxy/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "prometheus_check.h"
#include "proxy/proxy_stats_source.h"

namespace sealgate::proxy {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

struct Answer {
  int status = -1;  // -1: the connection ended (or timed out) before a whole answer
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

// A blocking test client on 127.0.0.1; reads time out after 5 s.
class Client {
 public:
  // `receive_buffer` > 0 caps the socket's receive buffer (set before connect).
  explicit Client(int port, int receive_buffer = 0) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    if (receive_buffer > 0) setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    timeval timeout{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Client() { close(fd_); }
  bool connected() const { return connected_; }

  bool Send(const std::string& bytes) {
    return send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
  }

  Answer Read(bool head_request = false) {
    Answer a;
    size_t end;
    while ((end = buffered_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return a;
    }
    std::string head = buffered_.substr(0, end + 2);
    buffered_.erase(0, end + 4);
    a.status = std::stoi(head.substr(9, 3));
    for (size_t pos = head.find("\r\n") + 2; pos < head.size();) {
      size_t eol = head.find("\r\n", pos);
      std::string line = head.substr(pos, eol - pos);
      size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(tolower(c));
      a.headers[name] = line.substr(colon + 2);
      pos = eol + 2;
    }
    size_t length = head_request ? 0 : std::stoul(a.headers["content-length"]);
    while (buffered_.size() < length) {
      if (!Fill()) return Answer{};
    }
    a.body = buffered_.substr(0, length);
    buffered_.erase(0, length);
    return a;
  }

  void HalfClose() { shutdown(fd_, SHUT_WR); }

  // True once the server has closed the connection (EOF or reset).
  bool SeesClose() {
    char c;
    ssize_t n = recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

 private:
  bool Fill() {
    char buf[4096];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    buffered_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffered_;
};

Answer Get(int port, const std::string& path) {
  Client c(port);
  c.Send("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  return c.Read();
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override { registry_.AddSource(&proxy_source_); }

  std::unique_ptr<HttpServer> StartServer(HttpServerOptions options = {}) {
    options.port = 0;
    auto server = std::make_unique<HttpServer>(options, &registry_, &logger_);
    Status started = server->Start();
    EXPECT_TRUE(started.ok()) << started.ToString();
    EXPECT_GT(server->port(), 0);
    return server;
  }

  ProxyStats stats_;
  ProxyStatsSource proxy_source_{&stats_};
  MetricsRegistry registry_;
  Logger logger_{LogLevel::kWarn};
};

TEST_F(HttpServerTest, ServesMetricsStatusAndHealthz) {
  stats_.connections_total = 5;
  stats_.bytes_from_upstream = 1234;
  auto server = StartServer();

  Answer metrics = Get(server->port(), "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  testing::ParsedExposition parsed = testing::CheckExposition(metrics.body);
  EXPECT_TRUE(parsed.problems.empty()) << metrics.body;
  EXPECT_EQ(parsed.samples["sealgate_client_connections_total"], 5);
  EXPECT_EQ(parsed.samples["sealgate_proxy_bytes_total{from=\"upstream\"}"], 1234);

  Answer status = Get(server->port(), "/status?pretty=1");
  EXPECT_EQ(status.status, 200);
  EXPECT_EQ(status.headers["content-type"], "application/json");
  picojson::value json;
  ASSERT_EQ(picojson::parse(json, status.body), "") << status.body;
  ASSERT_TRUE(json.contains("proxy")) << status.body;
  EXPECT_EQ(json.get("proxy").get("connections_total").get<double>(), 5);

  Answer health = Get(server->port(), "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");
}

TEST_F(HttpServerTest, UnknownPathIs404AndTheConnectionStaysUsable) {
  auto server = StartServer();
  Client c(server->port());
  c.Send("GET /nope HTTP/1.1\r\nHost: h\r\n\r\n");
  Answer missing = c.Read();
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.headers.count("connection"), 0u);
  c.Send("GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(c.Read().status, 200);
}

TEST_F(HttpServerTest, MalformedRequestGets400ThenClose) {
  auto server = StartServer();
  Client c(server->port());
  c.Send("GET /metrics HTTP/1.1\r\nHost: h\r\nthis is not a header\r\n\r\nmore bytes the server never reads");
  Answer a = c.Read();
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.headers["connection"], "close");
  EXPECT_EQ(a.body, "malformed header line\n");
  EXPECT_TRUE(c.SeesClose());
}

TEST_F(HttpServerTest, OtherMethodsGet405WithAllow) {
  auto server = StartServer();
  Client c(server->port());
  c.Send("POST /metrics HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}");
  Answer a = c.Read();
  EXPECT_EQ(a.status, 405);
  EXPECT_EQ(a.headers["allow"], "GET, HEAD");
  EXPECT_TRUE(c.SeesClose());
}

TEST_F(HttpServerTest, OversizedHeadGets413) {
  HttpServerOptions options;
  options.limits.max_head_bytes = 256;
  auto server = StartServer(options);
  Client c(server->port());
  c.Send("GET /metrics HTTP/1.1\r\nHost: h\r\nCookie: " + std::string(1000, 'x'));
  EXPECT_EQ(c.Read().status, 413);
  EXPECT_TRUE(c.SeesClose());
}

TEST_F(HttpServerTest, HeadAnswersWithoutBody) {
  auto server = StartServer();
  Client c(server->port());
  c.Send("HEAD /healthz HTTP/1.1\r\nHost: h\r\n\r\nGET /healthz HTTP/1.1\r\nHost: h\r\n\r\n");
  Answer head = c.Read(/*head_request=*/true);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.headers["content-length"], "3");
  // The next bytes are the pipelined GET's answer, not a body.
  Answer get = c.Read();
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.body, "ok\n");
}

TEST_F(HttpServerTest, SlowClientSendingOneByteAtATime) {
  auto server = StartServer();
  Client c(server->port());
  std::string request = "GET /status HTTP/1.1\r\nHost: h\r\nUser-Agent: slow\r\n\r\n";
  for (char byte : request) {
    ASSERT_TRUE(c.Send(std::string(1, byte)));
    std::this_thread::sleep_for(milliseconds(2));
  }
  Answer a = c.Read();
  EXPECT_EQ(a.status, 200);
  picojson::value json;
  EXPECT_EQ(picojson::parse(json, a.body), "");
}

TEST_F(HttpServerTest, ManyConcurrentRequests) {
  auto server = StartServer();
  constexpr int kThreads = 8, kRequestsPerThread = 25;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Client keep_alive(server->port());
      for (int i = 0; i < kRequestsPerThread; ++i) {
        // Half the threads reuse one connection, half open one per request.
        std::string path = i % 2 ? "/metrics" : "/status";
        Answer a;
        if (t % 2) {
          keep_alive.Send("GET " + path + " HTTP/1.1\r\nHost: h\r\n\r\n");
          a = keep_alive.Read();
        } else {
          a = Get(server->port(), path);
        }
        if (a.status == 200 && !a.body.empty()) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads * kRequestsPerThread);
}

// 10 MB: more than the kernel buffers hold while the client is not reading.
class BulkySource : public StatusSource {
 public:
  void AppendMetrics(MetricsWriter& out) const override {
    for (int i = 0; i < 200; ++i) {
      out.WriteGauge("bulky", "A large family.", {{"i", std::to_string(i)}, {"pad", std::string(50000, 'p')}}, i);
    }
  }
  void AppendStatus(picojson::object&) const override {}
};

TEST_F(HttpServerTest, ClientThatHalfClosesAfterItsRequestGetsTheWholeAnswer) {
  BulkySource bulky;
  registry_.AddSource(&bulky);
  HttpServerOptions options;
  options.max_queued_output_bytes = 64 * 1024 * 1024;  // keep reading, so the EOF is seen with output queued
  auto server = StartServer(options);
  Client c(server->port(), /*receive_buffer=*/64 * 1024);
  c.Send("GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n");
  c.HalfClose();
  std::this_thread::sleep_for(milliseconds(300));  // the server sees EOF with output still queued
  Answer a = c.Read();
  ASSERT_EQ(a.status, 200);
  EXPECT_GT(a.body.size(), 200u * 50000);
  EXPECT_EQ(a.body.size(), std::stoul(a.headers["content-length"]));
  EXPECT_TRUE(c.SeesClose());
  server->Stop();
  registry_.RemoveSource(&bulky);
}

TEST_F(HttpServerTest, StopClosesOpenConnections) {
  auto server = StartServer();
  Client idle(server->port()), half(server->port());
  ASSERT_TRUE(idle.connected() && half.connected());
  half.Send("GET /metr");
  // Both connections are accepted before Stop: a served request proves the loop ran past them.
  EXPECT_EQ(Get(server->port(), "/healthz").status, 200);
  auto start = steady_clock::now();
  server->Stop();
  EXPECT_LT(steady_clock::now() - start, milliseconds(1000));
  EXPECT_TRUE(idle.SeesClose());
  EXPECT_TRUE(half.SeesClose());
  server->Stop();  // idempotent
  Client refused(server->port());
  EXPECT_FALSE(refused.connected());
}

TEST_F(HttpServerTest, IdleConnectionIsClosedAfterTheRequestTimeout) {
  HttpServerOptions options;
  options.request_timeout_seconds = 0.2;
  auto server = StartServer(options);
  Client c(server->port());
  c.Send("GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(c.Read().status, 200);
  auto start = steady_clock::now();
  EXPECT_TRUE(c.SeesClose());
  EXPECT_LT(steady_clock::now() - start, milliseconds(2000));
}

TEST_F(HttpServerTest, ConnectionsPastTheLimitAreClosed) {
  HttpServerOptions options;
  options.max_connections = 1;
  auto server = StartServer(options);
  Client first(server->port());
  first.Send("GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(first.Read().status, 200);
  Client second(server->port());
  EXPECT_TRUE(second.SeesClose());
  first.Send("GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(first.Read().status, 200);
}

class FailingSource : public StatusSource {
 public:
  void AppendMetrics(MetricsWriter&) const override {}
  void AppendStatus(picojson::object&) const override {}
  std::string UnhealthyReason() const override { return "draining"; }
};

TEST_F(HttpServerTest, UnhealthySourceMakesHealthz503) {
  FailingSource failing;
  registry_.AddSource(&failing);
  auto server = StartServer();
  Answer a = Get(server->port(), "/healthz");
  EXPECT_EQ(a.status, 503);
  EXPECT_EQ(a.body, "draining\n");
  server->Stop();
  registry_.RemoveSource(&failing);
}

TEST_F(HttpServerTest, StartFailsWithOneLineReasonWhenThePortIsTaken) {
  auto first = StartServer();
  HttpServerOptions options;
  options.port = first->port();
  HttpServer second(options, &registry_, &logger_);
  Status s = second.Start();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("127.0.0.1:" + std::to_string(first->port())), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find('\n'), std::string::npos);
  second.Stop();  // harmless after a failed Start
  EXPECT_EQ(Get(first->port(), "/healthz").status, 200);
}

TEST_F(HttpServerTest, RefusesAddressesThatAreNotLoopback) {
  for (const char* host : {"0.0.0.0", "10.1.2.3", "::", "example.com"}) {
    HttpServerOptions options;
    options.host = host;
    options.port = 0;
    HttpServer server(options, &registry_, &logger_);
    Status s = server.Start();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << host;
  }
  HttpServerOptions options;
  options.host = "localhost";
  options.port = 0;
  HttpServer server(options, &registry_, &logger_);
  EXPECT_TRUE(server.Start().ok());
  EXPECT_EQ(server.Start().code(), StatusCode::kFailedPrecondition);
}

TEST_F(HttpServerTest, NonLoopbackAddressNeedsATokenOrAnExplicitChoice) {
  HttpServerOptions options;
  options.host = "0.0.0.0";
  options.port = 0;
  HttpServer refused(options, &registry_, &logger_);
  Status s = refused.Start();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("http.token"), std::string::npos) << s.message();
  options.token = "s3cret";
  HttpServer with_token(options, &registry_, &logger_);
  EXPECT_TRUE(with_token.Start().ok());
  options.token.clear();
  options.allow_unauthenticated = true;
  HttpServer open(options, &registry_, &logger_);
  ASSERT_TRUE(open.Start().ok());
  EXPECT_EQ(Get(open.port(), "/status").status, 200);  // reached over loopback: 0.0.0.0 includes it
}

// With a token, /metrics and /status (and anything else) need it as a bearer
// token; /healthz stays open for probes.
TEST_F(HttpServerTest, TokenIsRequiredForEverythingButHealthz) {
  HttpServerOptions options;
  options.token = "s3cret-token";
  auto server = StartServer(options);
  auto get = [&](const std::string& path, const std::string& headers) {
    Client c(server->port());
    c.Send("GET " + path + " HTTP/1.1\r\nHost: h\r\n" + headers + "Connection: close\r\n\r\n");
    return c.Read();
  };
  for (const char* path : {"/metrics", "/status", "/nope"}) {
    Answer none = get(path, "");
    EXPECT_EQ(none.status, 401) << path;
    EXPECT_EQ(none.headers["www-authenticate"], "Bearer realm=\"sealgate\"") << path;
    EXPECT_EQ(none.body.find("sealgate_"), std::string::npos) << none.body;
    EXPECT_EQ(get(path, "Authorization: Bearer wrong-token\r\n").status, 401) << path;
    EXPECT_EQ(get(path, "Authorization: Bearer s3cret-toke\r\n").status, 401) << path;
    EXPECT_EQ(get(path, "Authorization: Basic czNjcmV0LXRva2Vu\r\n").status, 401) << path;
    EXPECT_EQ(get(path, "Authorization: s3cret-token\r\n").status, 401) << path;
  }
  Answer metrics = get("/metrics", "Authorization: Bearer s3cret-token\r\n");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("sealgate_client_connections_total"), std::string::npos);
  EXPECT_EQ(get("/status", "authorization: bearer s3cret-token\r\n").status, 200);
  EXPECT_EQ(get("/nope", "Authorization: Bearer s3cret-token\r\n").status, 404);
  EXPECT_EQ(get("/healthz", "").status, 200);
  // Keep-alive after a 401: the connection still serves the next request.
  Client c(server->port());
  c.Send("GET /status HTTP/1.1\r\nHost: h\r\n\r\nGET /status HTTP/1.1\r\nHost: h\r\n"
         "Authorization: Bearer s3cret-token\r\n\r\n");
  EXPECT_EQ(c.Read().status, 401);
  EXPECT_EQ(c.Read().status, 200);
}

}  // namespace
}  // namespace sealgate::proxy
