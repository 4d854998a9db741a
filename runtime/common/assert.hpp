#pragma once

/// PACT_ASSERT: invariant checks that stay on in release builds (STYLE.md:
/// "assertions stay on"; TigerBeetle's rule that a violated invariant must
/// stop the process rather than corrupt state). A failed check is a
/// programmer error: it prints where and why on stderr, then aborts, so
/// that a core dump and the supervisor's restart follow. Operating errors
/// (a full disk, a dropped proposal, a peer that is down, bad input) are
/// never asserted: they are returned as values (runtime/common/error.hpp).
///
/// Header-only so that every library, the pure Raft core included, can use
/// it without a link dependency.

#include <cstdio>
#include <cstdlib>

namespace pact::detail {

[[noreturn]] inline void assert_fail(const char* condition, const char* reason,
                                     const char* file, int line) {
  std::fprintf(stderr, "%s:%d: invariant violated: %s (%s)\n", file, line,
               reason, condition);
  std::fflush(stderr);
  std::abort();
}

} // namespace pact::detail

/// Aborts with `reason` (a string literal saying which invariant, and where
/// the rule comes from when it is not obvious) unless `cond` holds.
#define PACT_ASSERT(cond, reason)                                              \
  do {                                                                         \
    if (!(cond))                                                               \
      ::pact::detail::assert_fail(#cond, reason, __FILE__, __LINE__);          \
  } while (false)
