#pragma once

/// Untrusted text (token headers and claims, request ids, identity-provider
/// answers and the URLs they name) made safe to echo in an error message
/// or a log line.

#include <string>
#include <string_view>

namespace pact {

/// Longest piece of untrusted text echoed, in characters.
inline constexpr size_t max_echo_chars = 64;

/// `text` cut to `max_chars` (marked "...") with every byte outside
/// printable ASCII replaced by '?', so it cannot forge log lines or
/// terminal sequences.
std::string safe_text(std::string_view text, size_t max_chars = max_echo_chars);

/// safe_text(text) in single quotes: 'text'.
std::string in_quotes(std::string_view text);

} // namespace pact
