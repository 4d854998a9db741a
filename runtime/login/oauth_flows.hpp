#pragma once

/// The OAuth 2.0 exchanges of `pact login`/`pact logout` and of the silent
/// renewal of a cached login, each one HTTPS request (https_client) whose
/// answer is parsed by oauth_replies. Errors carry DESIGN.md §6 exit codes:
/// 5 when the provider cannot be reached, 2 when it refuses, 1 when it
/// answers something that is not OAuth.

#include <cstdint>
#include <functional>
#include <string>

#include "runtime/common/error.hpp"
#include "runtime/login/device_poll.hpp"
#include "runtime/login/https_client.hpp"
#include "runtime/login/oauth_replies.hpp"
#include "runtime/login/token_cache.hpp"

namespace pact::login {

/// `issuer`/.well-known/openid-configuration, checked by parse_discovery.
expected<provider_endpoints> discover(const std::string& issuer,
                                      const https_options& opts);

/// RFC 8628 §3.1: asks for a device code and user code for `client_id`.
expected<device_authorization>
start_device_login(const provider_endpoints& p, const std::string& client_id,
                   const std::string& scope, const https_options& opts);

/// One poll of the token endpoint with the device code (§3.4).
expected<token_reply>
poll_device_token(const provider_endpoints& p, const std::string& client_id,
                  const std::string& device_code, const https_options& opts);

/// Polls until the login is approved, refused or expired, following
/// device_poll's schedule: `now_ms` reads a monotonic clock and
/// `sleep_until_ms` waits (both injected, so tests run without waiting).
/// `ask` is one poll.
expected<token_set>
poll_device_login(device_poll& poll,
                  const std::function<expected<token_reply>()>& ask,
                  const std::function<int64_t()>& now_ms,
                  const std::function<void(int64_t)>& sleep_until_ms);

/// RFC 6749 §4.4: a service account's token (client id and secret sent
/// with HTTP Basic).
expected<token_set> client_credentials_login(const provider_endpoints& p,
                                             const std::string& client_id,
                                             const std::string& secret,
                                             const std::string& scope,
                                             const https_options& opts);

/// RFC 6749 §6: new tokens for `r`'s refresh token (a provider that does
/// not rotate it leaves the old one in force: the result keeps it).
expected<token_set> refresh_login(const login_record& r,
                                  const https_options& opts);

/// What a revocation request achieved.
enum class revocation {
  /// 200: revoked, or was not valid anyway (RFC 7009 §2.2).
  revoked,
  /// `unsupported_token_type` (§2.2.1): the provider cannot revoke this
  /// kind of token, e.g. self-contained JWT access tokens, which then live
  /// until they expire.
  unsupported,
};

/// RFC 7009: revokes `token` (hint "refresh_token" or "access_token") at
/// `r`'s revocation endpoint, as a public client, or with `client_secret`
/// (HTTP Basic) for a service account. Errors say why; callers treat them
/// as warnings (logout is best-effort at the provider).
expected<revocation>
revoke_token(const login_record& r, const std::string& token,
             const std::string& hint, const https_options& opts,
             const std::string& client_secret = {});

/// `r` updated with `t` obtained at `now_unix` (expiry from expires_in).
void apply_tokens(login_record& r, const token_set& t, int64_t now_unix);

} // namespace pact::login
