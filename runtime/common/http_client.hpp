#pragma once

/// Outgoing HTTP(S) requests over libcurl, for the few places pact is a
/// client of another web service: the identity provider (JWKS, discovery,
/// token endpoints), OPA, service health checks. Blocking and bounded: call
/// it from a thread or detached actor of its own, never from a scheduler
/// thread.
///
/// Failures are pact's sentences ("https://idp/jwks: connection refused",
/// "...: TLS certificate not trusted (CA bundle /etc/pact/idp-ca.pem)"),
/// never libcurl's text.

#include <chrono>
#include <string>
#include <vector>

#include "runtime/common/error.hpp"

namespace pact::http {

struct client_request {
  /// "GET" or "POST".
  std::string method = "GET";
  std::string url;
  /// Extra header lines, e.g. "Content-Type: application/json".
  std::vector<std::string> headers;
  /// POST body, sent as is.
  std::string body;
  /// PEM CA bundle to verify the server with; empty: the system's.
  std::string ca_bundle;
  std::chrono::milliseconds timeout{5000};
  /// Responses longer than this fail rather than fill memory.
  size_t max_response_bytes = 1024 * 1024;
  /// Only https URLs are fetched unless this is set (health checks).
  bool allow_plain_http = false;
};

struct client_response {
  long status = 0;
  std::string body;
};

/// Performs `req`. A response with any status is a value (the caller
/// decides what a 4xx means); transport failures are errors with
/// exit_code::unavailable whose message starts with the URL. Redirects are
/// not followed.
expected<client_response> perform(const client_request& req);

/// Percent-encodes `text` for an application/x-www-form-urlencoded body.
std::string form_encode(const std::string& text);

} // namespace pact::http
