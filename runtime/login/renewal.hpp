#pragma once

/// Using a cached login (token_cache) for a request: the access token as
/// it is, or renewed first when it is about to expire, silently (RFC 6749
/// §6 with the refresh token; a service account's token is asked for again
/// with its client credentials when they are at hand). The renewed tokens
/// are stored back before the new access token is used.

#include <cstdint>
#include <functional>
#include <string>

#include "runtime/common/error.hpp"
#include "runtime/login/https_client.hpp"
#include "runtime/login/token_cache.hpp"

namespace pact::login {

/// What renewal may use besides the record.
struct renewal_inputs {
  int64_t now_unix = 0;
  https_options http;
  /// PACT_CLIENT_ID / PACT_CLIENT_SECRET, for a service account's login
  /// (used only when the id is the record's client id).
  std::string client_id;
  std::string client_secret;
  /// Told when a renewal failed but the current token is still valid and
  /// is used (the message never holds a token).
  std::function<void(const std::string&)> warn;
};

/// The access token to send for `r` (loaded from `cache`). Contract:
/// - not due for renewal (needs_refresh false): r's access token;
/// - due and renewed: the new token, after storing the record;
/// - due, not renewed, still valid: r's access token, with a warning;
/// - expired and not renewed: an auth error (exit 2) saying to run
///   `pact login --server SERVER` again (the renewal's reason appended;
///   exit 5 when the provider was unreachable).
expected<std::string> current_token(const token_cache& cache, login_record r,
                                    const renewal_inputs& in);

} // namespace pact::login
