#include "runtime/common/http.hpp"

#include <cctype>

namespace pact::http {

namespace {

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

} // namespace

parse_result parse_request(std::string_view buffer) {
  parse_result r;
  auto end = buffer.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (buffer.size() > max_head_bytes) {
      r.status = parse_status::bad;
      r.error = "request head too large";
    }
    return r;
  }
  auto line_end = buffer.find("\r\n");
  auto line = buffer.substr(0, line_end);
  auto sp1 = line.find(' ');
  auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos
      || line.substr(sp2 + 1).rfind("HTTP/1.", 0) != 0) {
    r.status = parse_status::bad;
    r.error = "malformed request line";
    return r;
  }
  r.req.method = std::string(line.substr(0, sp1));
  auto target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (target.empty() || target[0] != '/') {
    r.status = parse_status::bad;
    r.error = "request target must be an absolute path";
    return r;
  }
  auto q = target.find('?');
  r.req.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos)
    r.req.query = std::string(target.substr(q + 1));
  r.status = parse_status::complete;
  return r;
}

std::string response(int status, std::string_view content_type,
                     std::string_view body, bool head_only) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason(status)
                    + "\r\nContent-Type: " + std::string(content_type)
                    + "\r\nContent-Length: " + std::to_string(body.size())
                    + "\r\nConnection: close\r\n\r\n";
  if (!head_only)
    out += body;
  return out;
}

bool bearer_token_ok(std::string_view token) {
  for (char c : token)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.'
        && c != '_' && c != '~' && c != '+' && c != '/' && c != '=')
      return false;
  return true;
}

} // namespace pact::http
