#pragma once

/// The few HTTPS requests `pact login` makes to an identity provider
/// (discovery, device authorization, token, revocation), over the shared
/// libcurl client (runtime/common/http_client).
///
/// Contract:
/// - https only; the server certificate and host name are always verified,
///   against `ca_bundle` when given, else the system's trust store.
/// - Redirects are not followed (a token request must not be replayed
///   elsewhere); answers are bounded (max_body_bytes).
/// - Transport failures are error values with exit code 5, "cannot reach
///   URL: REASON" in pact's words (http_client), with what to set when the
///   certificate is not trusted. Any HTTP status is a reply, not an error.
/// - Request bodies hold secrets (client secret, refresh token, device
///   code): they are never logged, nor is any answer.
/// - Safe to call from any thread; one request at a time per call.

#include <chrono>
#include <string>

#include "runtime/common/error.hpp"

namespace pact::login {

struct https_options {
  /// PEM CA bundle; empty: the system's trust store.
  std::string ca_bundle;
  std::chrono::milliseconds timeout{10000};
};

struct https_reply {
  long status = 0;
  std::string body;
};

/// Answers larger than this are cut off as an error (a token response is
/// a few kilobytes).
inline constexpr size_t max_body_bytes = 1 << 20;

/// GET `url`, accepting JSON.
expected<https_reply> https_get(const std::string& url,
                                const https_options& opts);

/// POST `form` (application/x-www-form-urlencoded) to `url`; with
/// `basic_user` non-empty, HTTP Basic authentication (RFC 6749 §2.3.1:
/// client id and secret, each form-encoded first).
expected<https_reply>
https_post_form(const std::string& url, const std::string& form,
                const https_options& opts, const std::string& basic_user = {},
                const std::string& basic_password = {});

} // namespace pact::login
