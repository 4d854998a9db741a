#pragma once

/// Bearer-token verification and development signing (DESIGN.md §5, §6).
///
/// The gateway and the agent API take the acting identity only from a token
/// that `verify_token` accepted. This module is pure: the current time is a
/// parameter, no clock is read, and no exception leaves the API; every
/// failure is a value carrying a short message an operator can act on.
///
/// RS256, PS256 and ES256 tokens are verified with the identity provider's
/// published keys (jwk.hpp, kept current in a key_store); HS256 only while
/// a development secret is configured; `alg: none` never (RFC 8725 §3.1).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/policy/key_store.hpp"

namespace pact::policy {

/// The claims pact reads from a verified token.
struct token_claims {
  /// `sub`: the acting identity. Never empty in a verified token.
  std::string subject;
  /// `iss`: who issued the token.
  std::string issuer;
  /// The configured audience the token was accepted for (when `aud` is an
  /// array, the matching entry); when signing, the `aud` to write.
  std::string audience;
  /// Group names from the roles claim (`groups` unless configured
  /// otherwise); see roles.hpp for the ones pact understands.
  std::vector<std::string> groups;
  /// `iat`, `nbf`, `exp` in Unix seconds; 0 when the claim is absent (only
  /// `exp` is required).
  int64_t issued_at = 0;
  int64_t not_before = 0;
  int64_t expires_at = 0;
  /// Claim `pact_principal_type`: "human", "agent" or "service"; "human"
  /// when the token does not carry it.
  std::string principal_type = "human";
  /// A certificate-bound node token (runtime/pki/node_token.hpp): the
  /// serial (hex) of the node certificate it carries; empty for every other
  /// token. Whoever knows the node's enrollment checks that it is the
  /// node's current certificate (revocation, renewal).
  std::string cert_serial;
};

/// How tokens are checked. Defaults match DESIGN.md §6 (PACT_OIDC_ISSUER,
/// PACT_OIDC_AUDIENCE); with neither `hmac_secret` nor `keys` no verifier is
/// configured and every token is refused.
struct verifier_config {
  std::string issuer = "pact-dev";
  std::string audience = "pact";
  /// Shared HS256 secret (PACT_OIDC_HMAC_SECRET), used as raw bytes. HS256
  /// tokens are refused while it is empty.
  std::string hmac_secret;
  /// Where the IdP's keys come from (`oidc.jwks_url`, discovery,
  /// `oidc.ca_bundle`, cache times).
  jwks_settings jwks;
  /// The IdP's current keys, shared with the refresher; null when no JWKS
  /// is configured (then RS256/PS256/ES256 tokens are refused).
  std::shared_ptr<key_store> keys;
  /// IdP group name -> the pact group names it stands for
  /// (`oidc.roles_map`, for sites whose groups are named differently).
  /// Groups without an entry are kept as they are.
  std::map<std::string, std::vector<std::string>> group_map;
  /// The claim that holds the principal's groups.
  std::string roles_claim = "groups";
  /// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds
  /// (negative = 0).
  int64_t leeway_seconds = 30;
  /// Longest lifetime accepted: `exp - iat`, or `exp - now` when the token
  /// has no `iat` (`journal.oidc.max_token_lifetime_seconds`,
  /// `agent.oidc.…`; docs/authentication.md). 0 or less: no bound (tests).
  int64_t max_lifetime_seconds = 86400;
  /// The PEM bundle of the CA that signs node certificates, read at each
  /// verification (the CA can be replaced while running); unset: node
  /// tokens are refused. Only the journal sets it (docs/security.md).
  std::function<std::string()> node_ca_bundle;
};

/// Outcome of `verify_token`. When `ok` is true, `error` is empty and
/// `claims` holds the verified claims; otherwise `error` says why the token
/// was refused and `claims` must not be used.
struct verify_result {
  bool ok = false;
  std::string error;
  token_claims claims;
  /// Refused because the token names a signing key (`kid`) the key set
  /// does not hold, or no key set has been fetched yet: a refresh of the
  /// keys may make it verify (after the IdP rotated its keys).
  bool unknown_key = false;
};

/// Verifies the compact JWS `jwt` against `config` at time
/// `now_unix_seconds`. Accepts the token only if all of these hold:
/// - it has exactly three dot-separated base64url parts and is at most
///   16 KiB long;
/// - the header is a JSON object that lists no `crit` extensions and whose
///   `alg` is RS256, PS256 or ES256 with `config.keys` holding a key that
///   fits it (jwk.hpp key_fits: the key type decides, never the token) and
///   is named by the header's `kid` (or is the only fitting key when there
///   is no `kid`), and the signature verifies with that key; or `alg` is
///   HS256 with a non-empty `config.hmac_secret` and a matching
///   HMAC-SHA256 (compared in constant time);
/// - the payload is a JSON object with a string `iss` == `config.issuer`,
///   `aud` a string equal to `config.audience` or an array of strings
///   containing it (RFC 7519 §4.1.3), a non-empty string `sub`;
/// - `exp` (required), `nbf` and `iat` are JSON numbers (RFC 7519 §2
///   NumericDate) between 0 and 9999-12-31T23:59:59Z, with
///   `now < exp + leeway`, `now + leeway >= nbf`, `now + leeway >= iat`,
///   and a lifetime (`exp - iat`, or `exp - now` without `iat`) of at most
///   `config.max_lifetime_seconds`;
/// - the roles claim, if present, is an array of strings (mapped through
///   `config.group_map` into `claims.groups`), and
///   `pact_principal_type`, if present, is "human", "agent" or "service".
/// Never throws (other than std::bad_alloc).
verify_result verify_token(const std::string& jwt,
                           const verifier_config& config,
                           int64_t now_unix_seconds);

/// Signs `claims` as an HS256 JWT with header {"alg":"HS256","typ":"JWT"}
/// and payload claims `sub`, `iss`, `aud`, `groups`, `iat` and `nbf` (each
/// only if non-zero), `exp` and `pact_principal_type` ("human" if empty).
/// JSON keys
/// are written sorted and without whitespace, so the output is
/// deterministic. Returns an empty string if `secret` is empty or HMAC
/// fails. For development and tests; production tokens come from the IdP.
std::string sign_hs256(const token_claims& claims, const std::string& secret);

/// Returns `bytes` bytes from OpenSSL's CSPRNG (RAND_bytes), base64url
/// encoded, suitable as an HS256 secret. Returns an empty string if `bytes`
/// is 0 or larger than 4096, or if the CSPRNG fails; callers must treat an
/// empty result as an error (an empty secret configures no verifier).
std::string generate_secret(size_t bytes = 32);

} // namespace pact::policy
