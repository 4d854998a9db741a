#pragma once

/// Public keys from an identity provider's JSON Web Key Set (RFC 7517) and
/// the asymmetric JWS signatures pact accepts with them (RFC 7518 §3):
/// RS256 (RSASSA-PKCS1-v1_5 with SHA-256), PS256 (RSASSA-PSS with SHA-256,
/// MGF1 SHA-256, 32-byte salt) and ES256 (ECDSA on P-256 with SHA-256).
///
/// Pure apart from OpenSSL: parsing and verification read no clock and do
/// no I/O. Fetching the set is jwks_fetch.hpp's job, keeping it current
/// key_store.hpp's.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/common/error.hpp"

namespace pact::policy {

/// One verification key. `type` is the JWK `kty`: "RSA" or "EC" (P-256
/// only); `alg` is the key's own `alg` member, empty when it names none
/// (then the key verifies every algorithm of its type).
struct public_key {
  std::string kid;
  std::string type;
  std::string alg;
  /// RSA modulus size or EC field size, in bits.
  int bits = 0;
  /// The OpenSSL key; shared because key sets are copied into snapshots.
  std::shared_ptr<void> pkey;
};

/// The usable signing keys of one JWKS document.
struct key_set {
  std::vector<public_key> keys;
  /// Keys the document held that pact cannot use, with why ("kid 'x':
  /// kty 'oct' is not a public key type pact verifies"), for the log.
  std::vector<std::string> skipped;
};

/// Largest JWKS document parsed, in bytes, and most keys kept from one.
inline constexpr size_t max_jwks_bytes = 256 * 1024;
inline constexpr size_t max_jwks_keys = 64;
/// Weakest RSA key accepted (NIST SP 800-131A: 2048 bits).
inline constexpr int min_rsa_bits = 2048;

/// Parses a JWKS document `{"keys": [...]}`. Keys whose `use` is not "sig",
/// whose `key_ops` lacks "verify", whose `kty`/`crv` pact does not verify
/// (oct, OKP, P-384 …), whose `alg` is not RS256/PS256/ES256, whose RSA
/// modulus is under `min_rsa_bits`, or whose parameters do not decode to a
/// valid key are skipped (listed in `skipped`), as are keys after the
/// first `max_jwks_keys`. Fails when the document is too large, is not a
/// JSON object with a `keys` array, or yields no usable key; the message
/// names the problem and is safe to log.
expected<key_set> parse_jwks(std::string_view document);

/// Whether `alg` is one of the asymmetric algorithms pact verifies.
bool is_asymmetric_alg(std::string_view alg);

/// Whether `key` may verify a token signed with `alg`: RS256 and PS256
/// need an RSA key, ES256 an EC P-256 key (RFC 8725 §3.1: the algorithm
/// is checked against the key, never taken from the token alone), and a
/// key naming its own `alg` verifies only that one.
bool key_fits(const public_key& key, std::string_view alg);

/// Verifies JWS signature `signature` (raw bytes, already base64url
/// decoded) over `signing_input` with `key` under `alg`. ES256 signatures
/// are the 64-byte R || S of RFC 7518 §3.4, not DER. Precondition:
/// key_fits(key, alg). Returns true only for a valid signature.
bool verify_signature(const public_key& key, std::string_view alg,
                      std::string_view signing_input,
                      std::string_view signature);

} // namespace pact::policy
