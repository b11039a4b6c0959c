// The request parser must accept any bytes without crashing, never claim more
// than it was given, and agree with itself on prefixes of a complete head.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "proxy/http_request.h"

namespace http = sealgate::proxy::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks a limit and whether to start from a valid request
  // line, so the fuzzer reaches header parsing without a seed corpus.
  http::RequestLimits limits;
  limits.max_head_bytes = 16 + (data[0] & 0x7f) * 8;
  std::string input = (data[0] & 0x80) ? "GET /metrics HTTP/1.1\r\n" : "";
  input.append(reinterpret_cast<const char*>(data + 1), size - 1);

  http::ParseResult r = http::ParseRequest(input, limits);
  if (r.consumed > input.size()) std::abort();
  if (r.outcome == http::ParseOutcome::kComplete) {
    if (r.consumed == 0 || r.consumed > limits.max_head_bytes || r.request.path.empty() || r.request.path[0] != '/') {
      std::abort();
    }
    // The head is self-delimiting: it parses alone to the same length, and
    // every shorter prefix needs more.
    http::ParseResult alone = http::ParseRequest(std::string_view(input).substr(0, r.consumed), limits);
    if (alone.outcome != http::ParseOutcome::kComplete || alone.consumed != r.consumed) std::abort();
    http::ParseResult shorter = http::ParseRequest(std::string_view(input).substr(0, r.consumed - 1), limits);
    if (shorter.outcome != http::ParseOutcome::kNeedMore) std::abort();
  }
  if (r.outcome == http::ParseOutcome::kInvalid) {
    int s = r.error_status;
    if (s != 400 && s != 405 && s != 413 && s != 505) std::abort();
    std::string answer = http::SerializeResponse(http::ErrorResponse(r), {});
    if (answer.compare(0, 9, "HTTP/1.1 ") != 0) std::abort();
  }
  return 0;
}
