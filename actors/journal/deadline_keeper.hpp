#pragma once

/// The journal's approval actors and emergency session actors (issue 14
/// items 1, 3 and 4; docs/approval.md, docs/emergency.md). One keeper per
/// replica, supervised as "journal/deadlines". While its replica leads, it
/// reads the replicated state every `poll` and keeps one child actor per
/// deadline (runtime/journal/deadlines.hpp): an approval actor per pending
/// approval or unredeemed grant, an emergency session actor per active
/// emergency. Each child sleeps until its deadline by the injected wall
/// clock, then proposes the command that records it passing, retrying
/// until the state shows it recorded. When the replica stops leading the
/// keeper stops its children; the new leader's keeper starts its own from
/// the same replicated deadlines, so a failover (even kill -9) loses none.

#include <chrono>
#include <memory>

#include <caf/event_based_actor.hpp>

#include "actors/supervision/health.hpp"
#include "runtime/common/clock.hpp"

namespace pact::journal {

struct deadline_keeper_config {
  /// The clock deadlines are compared with (the leader stamps commands
  /// with the same one).
  std::shared_ptr<const pact::clock> wall;
  /// How often the keeper checks leadership and re-reads the deadlines.
  std::chrono::milliseconds poll{1000};
  /// One proposal's limit; a failed one is retried after `poll`.
  std::chrono::milliseconds propose_timeout{5000};
};

caf::behavior deadline_keeper(caf::event_based_actor* self,
                              supervision::health_handle h,
                              deadline_keeper_config cfg);

} // namespace pact::journal
