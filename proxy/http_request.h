// HTTP/1.1 request heads for the loopback operator endpoint (/metrics,
// /status, /healthz): an incremental parser and a response serializer.
//
// The endpoint only answers GET and HEAD without a body, so a request is its
// head: the request line, header lines, and an empty line. ParseRequest is
// called with everything buffered so far. It tells apart
//   - kNeedMore: a prefix of a request that may still be valid (not an error),
//   - kComplete: one request head, `consumed` bytes long (pipelined bytes that
//     follow it are left for the next call),
//   - kInvalid:  the bytes cannot become an acceptable request; `error_status`
//     is the HTTP status to answer with (400, 405, 413 or 505) and the
//     connection must be closed after the answer.
// A prefix is declared invalid as soon as it is known to be (a bad method is
// refused before the head ends), and a head that outgrows the limit without
// ending is kInvalid/413, so the caller never buffers more than the limit.
// Lines may end in CRLF or a bare LF (RFC 9112 §2.2 permits accepting LF).
// Each call rescans from the start; the limit bounds that work.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sealgate::proxy::http {

enum class Method { kGet, kHead };

struct Request {
  Method method = Method::kGet;
  std::string target;  // as sent, e.g. "/metrics?x=1"
  std::string path;    // target up to '?'
  int version_minor = 1;  // HTTP/1.<minor>; only 0 and 1 are accepted
  bool keep_alive = true; // HTTP/1.1 default unless "Connection: close"; 1.0 needs "keep-alive"
  // Header fields in order, names lower-cased, values trimmed of blanks.
  std::vector<std::pair<std::string, std::string>> headers;

  // The first value of header `lower_name`, or nullptr.
  const std::string* Header(std::string_view lower_name) const;
};

struct RequestLimits {
  size_t max_head_bytes = 8 * 1024;  // request line + headers + blank line
};

enum class ParseOutcome { kNeedMore, kComplete, kInvalid };

struct ParseResult {
  ParseOutcome outcome = ParseOutcome::kNeedMore;
  size_t consumed = 0;    // kComplete: length of the head in the input
  Request request;        // kComplete only
  int error_status = 0;   // kInvalid: 400, 405, 413 or 505
  std::string error;      // kInvalid: one line saying why (sent as the body)
};

// Parses the request head at the start of `input`. Never reads past `input`.
ParseResult ParseRequest(std::string_view input, const RequestLimits& limits);

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> extra_headers;  // e.g. Allow
};

// "Not Found" for 404 and so on; "Unknown" for codes this endpoint never sends.
const char* ReasonPhrase(int status);

struct SerializeOptions {
  bool head_only = false;   // HEAD: headers (with the body's Content-Length), no body
  bool keep_alive = false;  // false adds "Connection: close"
};

// An HTTP/1.1 response with Content-Length and Cache-Control: no-store.
std::string SerializeResponse(const Response& response, const SerializeOptions& options);

// The answer to a kInvalid parse: the status, the reason as a text body, and
// "Allow: GET, HEAD" for 405.
Response ErrorResponse(const ParseResult& invalid);

}  // namespace sealgate::proxy::http
