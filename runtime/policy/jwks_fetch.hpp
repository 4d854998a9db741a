#pragma once

/// Fetching the identity provider's key set over HTTPS (blocking; the
/// jwks_refresher actor runs it on a thread of its own).

#include <string>
#include <string_view>

#include "runtime/common/error.hpp"
#include "runtime/policy/key_store.hpp"

namespace pact::policy {

/// The `jwks_uri` of an OpenID Provider discovery document (OIDC Discovery
/// 1.0 §3). Refused when the document is not JSON, its `issuer` is not
/// exactly `issuer` (§4.3: otherwise a document from elsewhere could name
/// keys for our issuer), or `jwks_uri` is missing or not https.
expected<std::string> jwks_uri_from_discovery(std::string_view document,
                                              const std::string& issuer);

/// The URL of `issuer`'s discovery document: the issuer with any trailing
/// '/' removed, then "/.well-known/openid-configuration".
std::string discovery_url(const std::string& issuer);

/// Fetches and parses the key set `s` names: `s.jwks_url`, else the
/// `jwks_uri` of the issuer's discovery document. Every failure names the
/// URL and the problem ("https://idp/jwks: connection refused", "…: status
/// 404", "…: JWKS document has no keys array").
expected<key_set> fetch_jwks(const jwks_settings& s);

} // namespace pact::policy
