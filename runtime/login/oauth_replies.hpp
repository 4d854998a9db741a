#pragma once

/// What an OAuth 2.0 authorization server answers, parsed: the device
/// authorization response (RFC 8628 §3.2), token responses (RFC 6749 §5.1)
/// and error responses (RFC 6749 §5.2), and the OIDC discovery document
/// (OpenID Connect Discovery 1.0 §3). Pure functions over the HTTP status
/// and body; nothing here talks to the network. Every error is one line an
/// operator can read (server-provided text is made terminal-safe) and never
/// contains a token.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "runtime/common/error.hpp"

namespace pact::login {

/// The endpoints `pact login` and `pact logout` use, from the issuer's
/// /.well-known/openid-configuration.
struct provider_endpoints {
  std::string issuer;
  std::string device_authorization_endpoint;
  std::string token_endpoint;
  /// Empty when the provider does not publish one (logout then only
  /// clears the local cache).
  std::string revocation_endpoint;
};

/// Parses a discovery document fetched from `issuer`'s well-known URL. Its
/// `issuer` must equal `issuer` exactly (OIDC Discovery §4.3: a document
/// naming another issuer is refused), and every endpoint must be https (a
/// token sent in clear would be anyone's). A missing
/// device_authorization_endpoint is an error only for the device flow, so
/// it is left empty here.
expected<provider_endpoints> parse_discovery(const std::string& issuer,
                                             const std::string& body);

/// RFC 8628 §3.2.
struct device_authorization {
  std::string device_code;
  std::string user_code;
  std::string verification_uri;
  /// Optional: the URI with the user code in it.
  std::string verification_uri_complete;
  int64_t expires_in_seconds = 0;
  /// Seconds between polls; 5 when the server gives none (§3.2).
  int64_t interval_seconds = 5;
};

expected<device_authorization>
parse_device_authorization(long http_status, const std::string& body);

/// A successful token response.
struct token_set {
  std::string access_token;
  std::string token_type;
  /// Empty when the server issued none (client credentials).
  std::string refresh_token;
  /// 0: the server did not say.
  int64_t expires_in_seconds = 0;
  std::string scope;
};

/// An error response (RFC 6749 §5.2, RFC 8628 §3.5): `code` is the
/// `error` value, e.g. "authorization_pending", "invalid_grant".
struct oauth_error {
  std::string code;
  std::string description;
};

/// A token endpoint's answer: tokens, or the server's OAuth error.
struct token_reply {
  bool ok = false;
  token_set tokens;
  oauth_error err;
};

/// Parses a token endpoint answer. An answer that is neither a token
/// response nor an OAuth error (HTML, a proxy's page, no access_token, a
/// token type other than Bearer) is an error value naming `what`.
expected<token_reply> parse_token_reply(long http_status,
                                        const std::string& body,
                                        const std::string& what);

/// application/x-www-form-urlencoded (RFC 6749 Appendix B).
std::string
form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

/// A one-line sentence for an OAuth error, e.g. "invalid_grant (refresh
/// token expired)"; server text is made terminal-safe and bounded.
std::string describe(const oauth_error& err);

/// For the operator's confirmation after login: the `sub` claim and the
/// `groups` of an access token that is a JWT, read WITHOUT verifying it
/// (the journal verifies; this only says whom the provider named), e.g.
/// "alice (groups: pact-platform-admin)". Empty when it is not a JWT.
std::string unverified_identity(const std::string& access_token);

} // namespace pact::login
