#include "runtime/common/endpoint.hpp"

#include <unistd.h>

#include <cctype>
#include <charconv>

namespace pact {

std::string endpoint::url() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return (tls ? "https://" : "http://") + h + ":" + std::to_string(port);
}

namespace {

error bad(std::string_view what, std::string_view text, std::string why) {
  return make_error(std::string(what) + ": invalid endpoint '"
                    + std::string(text) + "': " + why
                    + " (expected http://host:port or https://host:port)");
}

} // namespace

expected<endpoint> parse_endpoint(std::string_view text,
                                  std::string_view what) {
  endpoint result;
  std::string_view rest = text;
  auto scheme_end = rest.find("://");
  if (scheme_end != std::string_view::npos) {
    // Schemes are case-insensitive (RFC 3986 §3.1).
    std::string scheme(rest.substr(0, scheme_end));
    for (auto& c : scheme)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (scheme == "https")
      result.tls = true;
    else if (scheme != "http")
      return bad(what, text, "unknown scheme '" + std::string(scheme) + "'");
    rest.remove_prefix(scheme_end + 3);
  }
  if (!rest.empty() && rest.back() == '/')
    rest.remove_suffix(1);
  // An endpoint names a host and port only; a path, query or user would be
  // ignored silently, so it is refused by name.
  if (auto at = rest.find_first_of("/?#@"); at != std::string_view::npos)
    return bad(what, text,
               rest[at] == '@' ? "user information is not allowed"
                               : "a path, query or fragment is not allowed");
  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size()
        || rest[close + 1] != ':')
      return bad(what, text, "malformed IPv6 address");
    result.host = std::string(rest.substr(1, close - 1));
    port_text = rest.substr(close + 2);
  } else {
    auto colon = rest.rfind(':');
    if (colon == std::string_view::npos)
      return bad(what, text, "missing port");
    result.host = std::string(rest.substr(0, colon));
    port_text = rest.substr(colon + 1);
    if (result.host.find(':') != std::string::npos)
      return bad(what, text, "IPv6 addresses must be written in brackets");
  }
  if (result.host.empty())
    return bad(what, text, "missing host");
  unsigned long port = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(),
                                   port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc{}
      || ptr != port_text.data() + port_text.size() || port > 65535)
    return bad(what, text, "port must be a number from 0 to 65535");
  result.port = static_cast<uint16_t>(port);
  return result;
}

std::string local_host_name() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == 0)
    return "localhost";
  return buf;
}

} // namespace pact
