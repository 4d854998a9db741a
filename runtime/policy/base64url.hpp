#pragma once

/// base64url (RFC 4648 §5) without padding, as used by JWS compact
/// serialization (RFC 7515 §2).

#include <optional>
#include <string>
#include <string_view>

namespace pact::policy {

/// Encodes `bytes` with the URL-safe alphabet (`A-Z a-z 0-9 - _`) and no
/// `=` padding. Never fails; the empty input encodes to the empty string.
std::string base64url_encode(std::string_view bytes);

/// Decodes unpadded base64url `text`. Returns `std::nullopt` when `text`
/// contains a character outside the URL-safe alphabet (including `=`, `+`,
/// `/` and whitespace), has a length that leaves a single dangling
/// character (length % 4 == 1), or has non-zero unused bits in its last
/// character, so that every byte string has exactly one accepted encoding.
std::optional<std::string> base64url_decode(std::string_view text);

} // namespace pact::policy
