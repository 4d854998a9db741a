#pragma once

/// The commit window (DESIGN.md §9; admin-operations guide, "Commit drift"
/// and "Extend the commit window"). Pure: time is passed in, in ms since
/// the Unix epoch, so tests move it by hand.
///
/// Formula: window = base_commit_window_seconds / (1 + magnitude ×
/// drift_sensitivity), never below 60 s (`min_window_seconds`). An
/// emergency sets it to emergency_window_seconds.
///
/// Life of a window (at most one per node):
///
///   closed --drift--> open --deadline passes--> expired (flagged for review)
///     ^                 |  \--extend--> open (later deadline)
///     |                 |                       expired --extend--> open
///     +---- clean ------+------------------------------+
///
/// - The length is fixed when the window opens: later drift in the same
///   episode does not shorten a window an operator is working in.
/// - An extension belongs to the window open when it is granted: once that
///   window closes, the next drift episode opens a fresh window by the
///   formula (an operator who extended one episode did not extend the
///   next; tester, issue 11).
/// - `extend` lengthens an open window, reopens an expired one from now,
///   and opens one with no drift (the guide: "If the window has expired,
///   extend it first"; a planned change): drift that starts while it is
///   open belongs to it, and one that ends without drift just closes
///   (nothing to flag). The new deadline may be at most the policy's
///   emergency_window_seconds from now (the longest window policy allows;
///   refused with exit code 3 beyond it).
/// - `clean` (drift committed, converged or undone) closes a window that
///   has had drift, from any state.
/// - An emergency opens or lengthens the window to end no earlier than
///   now + emergency_window_seconds; ending it leaves the deadline alone.

#include <cstdint>
#include <optional>

#include "runtime/common/error.hpp"

namespace pact::node {

inline constexpr int64_t min_window_seconds = 60;

/// The vCluster policy values the window needs (VClusterPolicy fields of
/// the same names; defaults as in runtime/journal/journal_policy.hpp).
struct window_policy {
  double drift_sensitivity = 2.0;
  uint32_t base_commit_window_seconds = 900;
  uint32_t emergency_window_seconds = 14400;
  /// Tests only (agent.drift.test_window_divisor): every window length is
  /// divided by it after the 60 s floor, so an end-to-end test sees a
  /// window expire in seconds. 1 on real nodes.
  uint32_t test_divisor = 1;
};

/// The formula, in ms. Preconditions: magnitude and sensitivity finite and
/// >= 0 (the journal's policy validation guarantees the sensitivity).
int64_t window_length_ms(const window_policy& p, double magnitude);

enum class window_phase { closed, open, expired };

/// What a call changed, for the caller to record or log.
enum class window_event { none, opened, extended, expired, closed };

class commit_window {
public:
  explicit commit_window(window_policy p = {}) : policy_(p) {
  }

  /// A new policy applies to windows opened after it.
  void set_policy(const window_policy& p) {
    policy_ = p;
  }

  /// Drift of `magnitude` is present at `now`: opens a closed window.
  window_event on_drift(int64_t now_ms, double magnitude);

  /// No drift is left: closes a window that has had drift (its episode
  /// ended); a window opened without drift (extend, follow) stays open.
  window_event on_clean();

  /// Advances time: an open window whose deadline has passed expires
  /// (exactly once); one that never saw drift closes instead.
  window_event tick(int64_t now_ms);

  /// `pact extend`: adds `seconds` (> 0). An error (nothing changed) when
  /// the deadline would be more than emergency_window_seconds from now.
  expected<window_event> extend(int64_t now_ms, int64_t seconds);

  /// The journal holds a later deadline for this node (`pact extend` seen
  /// through the boot stream, NodeDelta.window_ends_unix_ms): the window
  /// ends then — an open one is lengthened, a closed or expired one opens
  /// (as extend does). A deadline not after now, or not after an open
  /// window's own, changes nothing (the policy bound was checked by the
  /// journal).
  window_event follow(int64_t now_ms, int64_t ends_ms);

  /// Drift whose window is already spent (a committed node delta's TTL ran
  /// out, window_rules.hpp): a closed window becomes expired at `now_ms`;
  /// an open or expired one is left alone.
  window_event expire_now(int64_t now_ms);

  /// An emergency started on the node.
  window_event emergency_start(int64_t now_ms);
  void emergency_end() {
    emergency_ = false;
  }

  window_phase phase() const {
    return phase_;
  }
  bool emergency() const {
    return emergency_;
  }
  /// 0 while closed.
  int64_t opened_ms() const {
    return opened_ms_;
  }
  int64_t ends_ms() const {
    return ends_ms_;
  }

private:
  /// Opens (from now) or keeps open the window, ending at `ends_ms`.
  void open_until(int64_t now_ms, int64_t ends_ms);
  /// Back to closed; the next drift opens a fresh window.
  window_event close();

  window_policy policy_;
  window_phase phase_ = window_phase::closed;
  /// Drift was seen while this window was open (it belongs to an episode).
  bool drifted_ = false;
  bool emergency_ = false;
  int64_t opened_ms_ = 0;
  int64_t ends_ms_ = 0;
};

} // namespace pact::node
