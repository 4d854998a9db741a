#pragma once

/// Untrusted text (token headers and claims, identity-provider answers)
/// made safe to echo in an error message or a log line.

#include <string>
#include <string_view>

namespace pact::policy {

/// Longest piece of untrusted text echoed, in characters.
inline constexpr size_t max_echo_chars = 64;

/// `text` cut to `max_echo_chars` (marked "...") with every byte outside
/// printable ASCII replaced by '?', so it cannot forge log lines or
/// terminal sequences.
std::string safe_text(std::string_view text);

/// safe_text(text) in single quotes: 'text'.
std::string in_quotes(std::string_view text);

} // namespace pact::policy
