#pragma once

/// What the journal's own actors wait for (issue 14 items 1, 3 and 4;
/// docs/approval.md, docs/emergency.md): every pending approval expires
/// at its deadline, an approved agent action's grant at its own, and an
/// emergency ends when its window runs out. The deadlines live in the
/// replicated state, so whichever replica leads knows them all; the
/// leader's approval and emergency session actors (actors/journal/
/// deadline_keeper) hold one per item and propose the command that records
/// it passing. Pure: a state answer in, deadlines and commands out; time
/// is whatever the caller's clock says.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <pact/protocol/api.pb.h>

namespace pact::journal {

struct deadline {
  enum class kind { approval, emergency };
  kind what = kind::approval;
  /// The approval id, or the emergency's scope key ("node:X", "vc:X").
  std::string key;
  /// When it passes, ms since the epoch (leader time).
  int64_t due_unix_ms = 0;
  /// The emergency's scope (emergencies only).
  protocol::Scope scope;

  /// "approval ap-…" / "emergency node:X": the name of its actor.
  std::string name() const;
  friend bool operator==(const deadline& a, const deadline& b) {
    return a.what == b.what && a.key == b.key && a.due_unix_ms == b.due_unix_ms;
  }
};

/// Every deadline in a state answer, by name: pending approvals, approved
/// agent-action grants not yet redeemed, active emergencies.
std::map<std::string, deadline> deadlines_of(const protocol::StateReply& st);

/// What to change so that one actor watches each deadline: the names to
/// stop (gone, or moved) and the deadlines to start.
struct deadline_diff {
  std::vector<std::string> stop;
  std::vector<deadline> start;
};
deadline_diff diff_deadlines(const std::map<std::string, deadline>& running,
                             const std::map<std::string, deadline>& wanted);

/// The command that records `d` passing: APPROVAL_EXPIRE, or EMERGENCY_END
/// with window_ran_out, authored by the journal itself (the state machine
/// applies it only once the deadline has passed in leader time, so
/// proposing early or twice is harmless).
protocol::JournalCommand expiry_command(const deadline& d);

/// Milliseconds from `now_ms` until `d` is due (0 when it already is).
int64_t wait_ms(const deadline& d, int64_t now_ms);

} // namespace pact::journal
