#pragma once

/// Private to runtime/pki: base64 (RFC 4648 §4, padded: JWS "x5c", RFC 7515
/// §4.1.6) and base64url (§5, unpadded: the JWS compact serialization, RFC
/// 7515 §2). runtime/policy has its own base64url; pki must not depend on
/// pact_policy (policy will depend on pki).

#include <optional>
#include <string>

namespace pact::pki::detail {

std::string base64_encode(const std::string& bytes);
std::string base64url_encode(const std::string& bytes);

/// Strict decoders: nullopt for a character outside the alphabet, wrong
/// padding (required by base64, refused by base64url), whitespace, or
/// non-zero bits after the last byte, so that every byte string has exactly
/// one accepted encoding (a signed token cannot be re-spelled).
std::optional<std::string> base64_decode(const std::string& text);
std::optional<std::string> base64url_decode(const std::string& text);

} // namespace pact::pki::detail
