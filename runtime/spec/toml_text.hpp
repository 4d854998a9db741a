#pragma once

/// Writing TOML text by hand: keys, strings and floats spelled so that any
/// TOML 1.0 parser reads back exactly the bytes or the double written.

#include <string>
#include <string_view>

namespace pact::spec {

/// True if `key` may be written bare: non-empty, only [A-Za-z0-9_-].
bool is_bare_key(std::string_view key);

/// `key` bare when possible, else as a quoted basic string.
std::string toml_key(std::string_view key);

/// `prefix.key` with `key` spelled by toml_key; just the key when `prefix`
/// is empty. The dotted paths of error messages and table headers.
std::string join_key(std::string_view prefix, std::string_view key);

/// A single-line basic string: quotes, backslashes and control characters
/// escaped, other bytes (UTF-8) verbatim.
std::string toml_string(std::string_view text);

/// A multi-line basic string (`"""` and a newline, the text, `"""`):
/// newlines and tabs verbatim, quotes, backslashes, carriage returns and
/// other control characters escaped.
std::string toml_multiline_string(std::string_view text);

/// The shortest decimal spelling of `value` that reads back as the same
/// double, always with a '.' or an exponent so TOML reads a float.
/// Precondition: finite.
std::string toml_float(double value);

} // namespace pact::spec
