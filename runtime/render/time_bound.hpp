#pragma once

/// The time bounds of `pact log --since T --until T` and the MCP tool
/// pact_log (docs/cli.md "pact log"). Two forms:
///   - an RFC 3339 date-time (RFC 3339 §5.6), e.g. 2026-11-29T10:00:00Z,
///     with optional fractional seconds (kept to the millisecond) and a
///     `Z` or `+HH:MM`/`-HH:MM` offset; `t`, `z` and a space for `T` are
///     accepted as §5.6 allows;
///   - a duration before now: a positive whole number and a unit, `s`,
///     `m`, `h`, `d` or `w` (30m, 2h, 7d).
/// Leap seconds (:60) are refused: entry timestamps are Unix time.

#include <cstdint>
#include <string>

#include "runtime/common/error.hpp"

namespace pact::render {

/// Milliseconds since the Unix epoch that `text` names, durations counted
/// back from `now_unix_ms`. The error names `flag` and `text` and the
/// accepted forms (exit 1).
expected<int64_t> parse_time_bound(const std::string& flag,
                                   const std::string& text,
                                   int64_t now_unix_ms);

} // namespace pact::render
