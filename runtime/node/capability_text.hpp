#pragma once

/// Text helpers shared by the capability probes and the GPU parsers: the
/// kernel's /proc and /sys files and the vendor tools' output are line- and
/// field-oriented text. Nothing here throws.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pact::node::text {

/// `s` without leading and trailing spaces, tabs, CR and LF.
std::string_view trim(std::string_view s);

/// The lines of `s` (without their '\n'); a final line without '\n'
/// counts, an empty tail does not.
std::vector<std::string_view> lines(std::string_view s);

/// Whitespace-separated fields of one line.
std::vector<std::string_view> fields(std::string_view line);

/// The pieces of `s` between `sep` characters (an empty `s` gives one
/// empty piece).
std::vector<std::string_view> split(std::string_view s, char sep);

/// A whole decimal unsigned number (surrounding spaces allowed), or none.
std::optional<uint64_t> parse_u64(std::string_view s);

/// A decimal number with an optional fraction ("35.0"), or none.
std::optional<double> parse_decimal(std::string_view s);

} // namespace pact::node::text
