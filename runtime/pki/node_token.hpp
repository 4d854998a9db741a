#pragma once

/// Certificate-bound node tokens (issue 16): an enrolled agent
/// authenticates each request to the journal with a short-lived JWS
/// (RFC 7515, compact serialization) signed with its node key and carrying
/// its node certificate. The journal trusts the token because the
/// certificate chains to pact's CA and the signature proves possession of
/// the certificate's key; no shared secret crosses the network, and a
/// captured token is good only until its `exp` (seconds to minutes).
///
/// Shape (RFC 7519 claims, RFC 7515 §4.1.6 x5c):
///
///   header  {"alg":"ES256","typ":"JWT","x5c":["<base64 DER of the cert>"]}
///   payload {"sub":"<cert CN>","iss":"pact-node","aud":"<audience>",
///            "iat":<now>,"exp":<now+ttl>,"groups":["pact-node"],
///            "pact_principal_type":"service"}
///
/// `groups` and `pact_principal_type` make the verified token look like the
/// `pact-node` service credential it replaces (runtime/policy/node_authz).
/// The signature is ES256: ECDSA P-256 with SHA-256, as the 64-byte R||S
/// (RFC 7518 §3.4), not DER.
///
/// CAF-free; uses libcrypto; leaves the thread's OpenSSL error queue empty.
/// Time is always a parameter.

#include <cstdint>
#include <string>

#include "runtime/pki/pki.hpp"

namespace pact::pki {

/// The `iss` of every node token.
inline constexpr const char* node_token_issuer = "pact-node";

/// A compact JWS for `node` (its P-256 key and certificate), for
/// `audience`, issued at `now_unix_s`, expiring `ttl_seconds` later.
/// Errors ("node token: <why>"): malformed key or certificate, key not
/// matching the certificate, key not P-256, certificate without a common
/// name, ttl not positive.
result<std::string> mint_node_token(const key_and_cert& node,
                                    const std::string& audience,
                                    int64_t now_unix_s, int64_t ttl_seconds);

/// What a verified node token says.
struct node_token_claims {
  /// The node: `sub`, equal to the certificate's common name.
  std::string node;
  /// The certificate's serial (lower-case hex, no leading zeros) and
  /// SHA-256 of its DER (lower-case hex): to check against the enrollment
  /// record or a revocation list.
  std::string cert_serial_hex;
  std::string cert_sha256_hex;
  int64_t cert_not_after_unix_s = 0;
  /// `exp` and `iat`.
  int64_t expires_at = 0;
  int64_t issued_at = 0;
};

/// Verifies a node token at `now_unix_s`, in this order:
///  1. three base64url parts, header and payload JSON objects;
///  2. header `alg` exactly "ES256" (RFC 8725 §3.1: the verifier, not the
///     token, picks the algorithm; "none" and HS256 are refused), no
///     `crit`;
///  3. `x5c` holds exactly one certificate, which verify_cert accepts
///     against `ca_bundle_pem` at `now_unix_s` (no leeway for the
///     certificate);
///  4. the signature, with the certificate's P-256 key;
///  5. `iss` == "pact-node"; `aud` == `audience` (a string, or an array
///     containing it); `sub` == the certificate's common name;
///  6. `exp` > now - leeway; `iat` <= now + leeway; `nbf`, when present,
///     <= now + leeway; `iat` < `exp`; `exp` - `iat` <= `max_ttl_seconds`
///     (negative leeway or max_ttl count as 0).
/// A certificate that is a CA's is refused in step 3. Not checked here:
/// revocation, and whether the certificate is a node's rather than a
/// server's (sign_server_cert's certificates chain to the same CA): the
/// caller matches `cert_serial_hex` or `node` against its enrollment
/// records.
/// Errors: "node token: <why>", e.g. "node token: malformed", "node token:
/// algorithm must be ES256", "node token: certificate verify failed:
/// certificate has expired", "node token: bad signature", "node token:
/// wrong audience", "node token: expired", "node token: lifetime over 300
/// seconds".
result<node_token_claims>
verify_node_token(const std::string& token, const std::string& ca_bundle_pem,
                  const std::string& audience, int64_t now_unix_s,
                  int64_t leeway_seconds, int64_t max_ttl_seconds);

/// Whether `token` is a JWS whose header parses and carries `x5c`: a cheap
/// test (no signature or certificate check, no libcrypto) with which the
/// gateway routes a bearer token to verify_node_token rather than to the
/// identity provider's keys.
bool looks_like_node_token(const std::string& token);

} // namespace pact::pki
