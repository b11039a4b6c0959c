#include "proxy/http_request.h"

#include <cctype>

namespace sealgate::proxy::http {
namespace {

bool IsTokenChar(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

ParseResult Invalid(int status, std::string why) {
  ParseResult r;
  r.outcome = ParseOutcome::kInvalid;
  r.error_status = status;
  r.error = std::move(why);
  return r;
}

// 0 if `method` is GET or HEAD (setting *out), else the status to refuse it with.
int CheckMethod(std::string_view method, Method* out) {
  if (method == "GET") *out = Method::kGet;
  else if (method == "HEAD") *out = Method::kHead;
  else return IsToken(method) ? 405 : 400;
  return 0;
}

// A request line still being received: refuse a bad method as soon as it ends.
ParseResult CheckPartialRequestLine(std::string_view partial) {
  if (partial == "\r") return ParseResult{};  // may become a skipped blank line
  size_t space = partial.find(' ');
  std::string_view method = partial.substr(0, space);
  Method ignored;
  if (space != std::string_view::npos) {
    int status = CheckMethod(method, &ignored);
    if (status == 405) return Invalid(405, "only GET and HEAD are served");
    if (status != 0) return Invalid(400, "malformed request method");
  } else {
    for (char c : method) {
      if (!IsTokenChar(c)) return Invalid(400, "malformed request method");
    }
  }
  return ParseResult{};
}

// "METHOD SP target SP HTTP/1.x"; returns kNeedMore on success.
ParseResult ParseRequestLine(std::string_view line, Request* req) {
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    ParseResult early = CheckPartialRequestLine(line);
    if (early.outcome == ParseOutcome::kInvalid) return early;
    return Invalid(400, "malformed request line");
  }
  int status = CheckMethod(line.substr(0, sp1), &req->method);
  if (status == 405) return Invalid(405, "only GET and HEAD are served");
  if (status != 0) return Invalid(400, "malformed request method");

  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (target.empty() || target.front() != '/') return Invalid(400, "request target must be a path");
  for (char c : target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return Invalid(400, "malformed request target");
  }
  req->target = std::string(target);
  req->path = std::string(target.substr(0, target.find('?')));

  std::string_view version = line.substr(sp2 + 1);
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || !std::isdigit(static_cast<unsigned char>(version[5])) ||
      version[6] != '.' || !std::isdigit(static_cast<unsigned char>(version[7]))) {
    return Invalid(400, "malformed HTTP version");
  }
  if (version[5] != '1' || (version[7] != '0' && version[7] != '1')) {
    return Invalid(505, "only HTTP/1.0 and HTTP/1.1 are served");
  }
  req->version_minor = version[7] - '0';
  return ParseResult{};
}

ParseResult ParseHeaderLine(std::string_view line, Request* req) {
  if (line.front() == ' ' || line.front() == '\t') return Invalid(400, "folded header lines are not accepted");
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || !IsToken(line.substr(0, colon))) {
    return Invalid(400, "malformed header line");
  }
  std::string_view value = TrimBlanks(line.substr(colon + 1));
  for (char c : value) {
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) {
      return Invalid(400, "control character in a header value");
    }
  }
  req->headers.emplace_back(Lower(line.substr(0, colon)), std::string(value));
  return ParseResult{};
}

// Does the comma-separated Connection value list `option`?
bool ConnectionHas(const std::string& value, std::string_view option) {
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    if (comma == std::string::npos) comma = value.size();
    if (Lower(TrimBlanks(std::string_view(value).substr(start, comma - start))) == option) return true;
    start = comma + 1;
  }
  return false;
}

// The blank line arrived: checks that need the whole head.
ParseResult FinishHead(Request req, size_t consumed) {
  size_t hosts = 0;
  for (const auto& [name, value] : req.headers) {
    if (name == "host") ++hosts;
    if (name == "transfer-encoding") return Invalid(400, "request bodies are not accepted");
    if (name == "content-length" && value != "0") return Invalid(400, "request bodies are not accepted");
  }
  if (hosts > 1 || (hosts == 0 && req.version_minor == 1)) {
    return Invalid(400, "an HTTP/1.1 request needs exactly one Host header");
  }
  const std::string* connection = req.Header("connection");
  if (req.version_minor == 0) {
    req.keep_alive = connection != nullptr && ConnectionHas(*connection, "keep-alive");
  } else {
    req.keep_alive = connection == nullptr || !ConnectionHas(*connection, "close");
  }
  ParseResult r;
  r.outcome = ParseOutcome::kComplete;
  r.consumed = consumed;
  r.request = std::move(req);
  return r;
}

}  // namespace

const std::string* Request::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return &value;
  }
  return nullptr;
}

ParseResult ParseRequest(std::string_view input, const RequestLimits& limits) {
  Request req;
  size_t pos = 0;
  // Blank lines before a request line are skipped (RFC 9112 §2.2 robustness).
  while (pos < input.size() && (input[pos] == '\n' || (input[pos] == '\r' && pos + 1 < input.size() && input[pos + 1] == '\n'))) {
    pos += input[pos] == '\r' ? 2 : 1;
  }
  bool first_line = true;
  for (;;) {
    size_t nl = input.find('\n', pos);
    if (nl == std::string_view::npos) {
      // The head will be longer than everything buffered so far.
      if (input.size() >= limits.max_head_bytes) return Invalid(413, "request head too large");
      if (first_line) return CheckPartialRequestLine(input.substr(pos));
      return ParseResult{};
    }
    if (nl + 1 > limits.max_head_bytes) return Invalid(413, "request head too large");
    std::string_view line = input.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = nl + 1;
    ParseResult step;
    if (first_line) {
      step = ParseRequestLine(line, &req);
      first_line = false;
    } else if (line.empty()) {
      return FinishHead(std::move(req), pos);
    } else {
      step = ParseHeaderLine(line, &req);
    }
    if (step.outcome == ParseOutcome::kInvalid) return step;
  }
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Content Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

std::string SerializeResponse(const Response& response, const SerializeOptions& options) {
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " + ReasonPhrase(response.status) + "\r\n";
  out += "Content-Type: " + response.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  out += "Cache-Control: no-store\r\n";
  for (const auto& [name, value] : response.extra_headers) out += name + ": " + value + "\r\n";
  if (!options.keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  if (!options.head_only) out += response.body;
  return out;
}

Response ErrorResponse(const ParseResult& invalid) {
  Response r;
  r.status = invalid.error_status;
  r.body = invalid.error + "\n";
  if (r.status == 405) r.extra_headers.emplace_back("Allow", "GET, HEAD");
  return r;
}

}  // namespace sealgate::proxy::http
