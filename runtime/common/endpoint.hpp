#pragma once

/// Endpoints as written by operators (DESIGN.md §1): `http://host:port` is
/// plain TCP, `https://host:port` is TLS; a bare `host:port` means http.
/// Port 0 in a listen address asks the OS for a free port.

#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/common/error.hpp"

namespace pact {

struct endpoint {
  /// Whether TLS is required.
  bool tls = false;
  /// Host name or address; "0.0.0.0" / "::" / "" mean all interfaces.
  std::string host;
  uint16_t port = 0;

  /// Canonical URL form, e.g. "http://127.0.0.1:9443".
  std::string url() const;
};

/// Parses `[http|https://]host:port` ("[::1]:9443" for IPv6). Errors name the
/// offending text and what was expected; `what` names its source ("--listen").
expected<endpoint> parse_endpoint(std::string_view text, std::string_view what);

/// This host's name (gethostname), "localhost" when it has none: the node
/// id of an agent started without one, and the node of the development
/// node token of `pact-journal --dev`.
std::string local_host_name();

} // namespace pact
