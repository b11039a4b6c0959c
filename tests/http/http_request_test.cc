#include "proxy/http_request.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sealgate::proxy::http {
namespace {

const RequestLimits kLimits;

ParseResult Parse(const std::string& input, const RequestLimits& limits = kLimits) {
  return ParseRequest(input, limits);
}

TEST(HttpRequestTest, ParsesGetWithHeaders) {
  std::string input = "GET /metrics?name=x HTTP/1.1\r\nHost: localhost:9033\r\nAccept:  text/plain \r\n\r\n";
  ParseResult r = Parse(input);
  ASSERT_EQ(r.outcome, ParseOutcome::kComplete) << r.error;
  EXPECT_EQ(r.consumed, input.size());
  EXPECT_EQ(r.request.method, Method::kGet);
  EXPECT_EQ(r.request.target, "/metrics?name=x");
  EXPECT_EQ(r.request.path, "/metrics");
  EXPECT_EQ(r.request.version_minor, 1);
  EXPECT_TRUE(r.request.keep_alive);
  ASSERT_NE(r.request.Header("host"), nullptr);
  EXPECT_EQ(*r.request.Header("host"), "localhost:9033");
  ASSERT_NE(r.request.Header("accept"), nullptr);
  EXPECT_EQ(*r.request.Header("accept"), "text/plain");
  EXPECT_EQ(r.request.Header("connection"), nullptr);
}

TEST(HttpRequestTest, EveryTruncationOfAValidHeadNeedsMore) {
  const std::vector<std::string> heads = {
      "GET /status HTTP/1.1\r\nHost: h\r\n\r\n",
      "HEAD /healthz HTTP/1.0\r\n\r\n",
      "GET / HTTP/1.1\nHost: h\nConnection: close\n\n",  // bare LF line ends
      "\r\n\nGET /metrics HTTP/1.1\r\nHost: h\r\nUser-Agent: Prometheus/2.45\r\n\r\n",  // leading blank lines
  };
  for (const std::string& head : heads) {
    for (size_t n = 0; n < head.size(); ++n) {
      ParseResult r = Parse(head.substr(0, n));
      EXPECT_EQ(r.outcome, ParseOutcome::kNeedMore) << "prefix of " << n << " bytes of " << head << ": " << r.error;
    }
    ParseResult whole = Parse(head);
    ASSERT_EQ(whole.outcome, ParseOutcome::kComplete) << head << ": " << whole.error;
    EXPECT_EQ(whole.consumed, head.size());
  }
}

TEST(HttpRequestTest, PipelinedRequestsParseOneAtATime) {
  std::string first = "GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n";
  std::string second = "HEAD /status HTTP/1.1\r\nHost: h\r\n\r\n";
  std::string input = first + second + "GET /hea";
  ParseResult r1 = Parse(input);
  ASSERT_EQ(r1.outcome, ParseOutcome::kComplete);
  EXPECT_EQ(r1.consumed, first.size());
  EXPECT_EQ(r1.request.path, "/metrics");
  input.erase(0, r1.consumed);
  ParseResult r2 = Parse(input);
  ASSERT_EQ(r2.outcome, ParseOutcome::kComplete);
  EXPECT_EQ(r2.consumed, second.size());
  EXPECT_EQ(r2.request.method, Method::kHead);
  EXPECT_EQ(r2.request.path, "/status");
  input.erase(0, r2.consumed);
  EXPECT_EQ(Parse(input).outcome, ParseOutcome::kNeedMore);
}

TEST(HttpRequestTest, KeepAliveFollowsVersionAndConnectionHeader) {
  struct Case { const char* head; bool keep_alive; };
  const Case cases[] = {
      {"GET / HTTP/1.1\r\nHost: h\r\n\r\n", true},
      {"GET / HTTP/1.1\r\nHost: h\r\nConnection: Close\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade, close\r\n\r\n", false},
      {"GET / HTTP/1.0\r\n\r\n", false},
      {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
  };
  for (const Case& c : cases) {
    ParseResult r = Parse(c.head);
    ASSERT_EQ(r.outcome, ParseOutcome::kComplete) << c.head;
    EXPECT_EQ(r.request.keep_alive, c.keep_alive) << c.head;
  }
}

struct InvalidCase {
  const char* input;
  int status;
};

const InvalidCase kInvalid[] = {
    {"POST /metrics HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", 405},
    {"DELETE / HTTP/1.1\r\nHost: h\r\n\r\n", 405},
    {"OPTIONS * HTTP/1.1\r\n\r\n", 405},
    {"get / HTTP/1.1\r\nHost: h\r\n\r\n", 405},  // methods are case-sensitive
    {"G(T / HTTP/1.1\r\n\r\n", 400},
    {"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400},  // a TLS ClientHello
    {"GET\r\n\r\n", 400},
    {"GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400},
    {"GET / HTTP/1.1 extra\r\nHost: h\r\n\r\n", 400},
    {"GET http://h/ HTTP/1.1\r\nHost: h\r\n\r\n", 400},
    {"GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n", 400},
    {"GET / HTTX/1.1\r\nHost: h\r\n\r\n", 400},
    {"GET / HTTP/1.1\r\n\r\n", 400},  // no Host
    {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
    {"GET / HTTP/1.1\r\nHost: h\r\nNo-colon-here\r\n\r\n", 400},
    {"GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400},
    {"GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", 400},
    {"GET / HTTP/1.1\r\nHost: h\r\nX: a\x01" "b\r\n\r\n", 400},
    {"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello", 400},
    {"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
    {"GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505},
    {"GET / HTTP/1.2\r\nHost: h\r\n\r\n", 505},
};

TEST(HttpRequestTest, RefusesWhatItCannotServe) {
  for (const InvalidCase& c : kInvalid) {
    ParseResult r = Parse(c.input);
    EXPECT_EQ(r.outcome, ParseOutcome::kInvalid) << c.input;
    EXPECT_EQ(r.error_status, c.status) << c.input;
    EXPECT_FALSE(r.error.empty());
  }
}

TEST(HttpRequestTest, EveryTruncationOfAnInvalidHeadNeedsMoreOrFailsTheSameWay) {
  for (const InvalidCase& c : kInvalid) {
    std::string input = c.input;
    for (size_t n = 0; n <= input.size(); ++n) {
      ParseResult r = Parse(input.substr(0, n));
      ASSERT_NE(r.outcome, ParseOutcome::kComplete) << n << " bytes of " << input;
      if (r.outcome == ParseOutcome::kInvalid) EXPECT_EQ(r.error_status, c.status) << n << " bytes of " << input;
    }
  }
}

TEST(HttpRequestTest, RefusesAnOtherMethodBeforeTheHeadEnds) {
  ParseResult r = Parse("POST ");
  EXPECT_EQ(r.outcome, ParseOutcome::kInvalid);
  EXPECT_EQ(r.error_status, 405);
  EXPECT_EQ(Parse("POS").outcome, ParseOutcome::kNeedMore);
  EXPECT_EQ(Parse("GE\x01").error_status, 400);
}

TEST(HttpRequestTest, HeadLargerThanTheLimitIs413) {
  RequestLimits limits;
  limits.max_head_bytes = 64;
  std::string exact = "GET / HTTP/1.1\r\nHost: h\r\nX: ";
  exact += std::string(64 - exact.size() - 4, 'a') + "\r\n\r\n";
  ASSERT_EQ(exact.size(), 64u);
  ParseResult ok = Parse(exact, limits);
  EXPECT_EQ(ok.outcome, ParseOutcome::kComplete) << ok.error;

  std::string over = exact;
  over.insert(over.size() - 4, "a");
  EXPECT_EQ(Parse(over, limits).error_status, 413);
  // Without an end in sight it is refused once the buffer reaches the limit,
  // so a reader never holds more than the limit.
  std::string endless = "GET / HTTP/1.1\r\nX: " + std::string(100, 'a');
  EXPECT_EQ(Parse(endless.substr(0, 63), limits).outcome, ParseOutcome::kNeedMore);
  EXPECT_EQ(Parse(endless.substr(0, 64), limits).error_status, 413);
  EXPECT_EQ(Parse(std::string(64, '/'), limits).error_status, 413);
}

TEST(HttpRequestTest, SerializesAResponse) {
  Response r;
  r.body = "ok\n";
  EXPECT_EQ(SerializeResponse(r, {.head_only = false, .keep_alive = true}),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\n"
            "Cache-Control: no-store\r\n\r\nok\n");
  EXPECT_EQ(SerializeResponse(r, {.head_only = true, .keep_alive = false}),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\n"
            "Cache-Control: no-store\r\nConnection: close\r\n\r\n");
}

TEST(HttpRequestTest, ErrorResponsesSayWhy) {
  ParseResult post = Parse("POST / HTTP/1.1\r\n");
  Response r = ErrorResponse(post);
  EXPECT_EQ(r.status, 405);
  ASSERT_EQ(r.extra_headers.size(), 1u);
  EXPECT_EQ(r.extra_headers[0].first, "Allow");
  EXPECT_EQ(r.extra_headers[0].second, "GET, HEAD");
  std::string text = SerializeResponse(r, {});
  EXPECT_EQ(text.rfind("HTTP/1.1 405 Method Not Allowed\r\n", 0), 0u) << text;
  EXPECT_NE(text.find("\r\nAllow: GET, HEAD\r\n"), std::string::npos);
  EXPECT_NE(text.find("\r\nConnection: close\r\n"), std::string::npos);
  EXPECT_NE(text.find("only GET and HEAD"), std::string::npos);
  EXPECT_EQ(std::string(ReasonPhrase(413)), "Content Too Large");
}

}  // namespace
}  // namespace sealgate::proxy::http
