#pragma once

/// Invariant checks for the Raft core that stay on in release builds
/// (STYLE.md: "assertions stay on"). A failed check is a programmer error:
/// it prints the condition and a reason, then aborts. Operating errors (a
/// dropped proposal, an unknown peer) are returned as values instead.

namespace pact::raft::detail {

[[noreturn]] void assert_fail(const char* condition, const char* reason,
                              const char* file, int line);

} // namespace pact::raft::detail

#define PACT_RAFT_ASSERT(cond, reason)                                         \
  do {                                                                         \
    if (!(cond))                                                               \
      ::pact::raft::detail::assert_fail(#cond, reason, __FILE__, __LINE__);    \
  } while (false)
