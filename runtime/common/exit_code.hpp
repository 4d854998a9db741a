#pragma once

/// The exit-code table of DESIGN.md §6, shared by every pact binary.
/// Scripts and the MCP server rely on these numbers; never renumber.

namespace pact {

enum class exit_code : int {
  success = 0,
  general_error = 1,
  /// Authentication or authorization failure.
  auth_failure = 2,
  /// Rejected by vCluster policy.
  policy_rejection = 3,
  /// Conflicting concurrent change.
  conflict = 4,
  /// Timeout, or the journal (or agent) is unreachable.
  unavailable = 5,
  /// Command not on the agent's whitelist.
  not_whitelisted = 6,
  /// Rollback blocked by active consumers.
  rollback_blocked = 10,
};

/// Process exit status for `code`.
constexpr int to_int(exit_code code) noexcept {
  return static_cast<int>(code);
}

/// Short English name of the class of failure, e.g. "timeout".
const char* describe(exit_code code) noexcept;

} // namespace pact
