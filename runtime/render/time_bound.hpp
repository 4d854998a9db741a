#pragma once

/// The time bounds of `pact log --since T --until T` and the MCP tool
/// pact_log (docs/cli.md "pact log"). Two forms:
///   - an RFC 3339 date-time (RFC 3339 §5.6), e.g. 2026-11-29T10:00:00Z,
///     with optional fractional seconds (kept to the millisecond) and a
///     `Z` or `+HH:MM`/`-HH:MM` offset; `t`, `z` and a space for `T` are
///     accepted as §5.6 allows;
///   - a duration before now: a positive whole number and a unit, `s`,
///     `m`, `h`, `d` or `w` (30m, 2h, 7d).
/// Leap seconds (:60), valid RFC 3339, are refused with their own message:
/// entry timestamps are Unix time, which has none. Times before
/// 1970-01-01T00:00:00Z (in either form) are refused as outside the
/// journal's range.
///
/// Bounds are inclusive at the precision written (docs/cli.md "--since T
/// and --until T"): the journal displays whole seconds, so an end bound
/// written without a fraction covers that whole second (..:00Z is
/// ..:00.999), .1 covers .100 .. .199; a start bound is its first
/// millisecond. Durations are relative to now and stay exact.

#include <cstdint>
#include <string>

#include "runtime/common/error.hpp"

namespace pact::render {

/// Which end of a window a bound is: `start` (--since) takes the first
/// millisecond of the time written, `end` (--until) the last.
enum class bound_side { start, end };

/// Milliseconds since the Unix epoch that `text` names, durations counted
/// back from `now_unix_ms`; never negative, and never 0 for an `end` (0 is
/// "no bound" on the wire). The error names `flag` and `text` and what is
/// wrong: the accepted forms, a leap second, or a time before 1970
/// (exit 1).
expected<int64_t> parse_time_bound(const std::string& flag,
                                   const std::string& text, int64_t now_unix_ms,
                                   bound_side side = bound_side::start);

} // namespace pact::render
