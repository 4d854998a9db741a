#pragma once

/// How an actor reports its health to the process's health registry
/// (DESIGN.md §7). The supervisor registers each child (name, kind, parent);
/// the child itself reports state changes and, on a heartbeat timer, its
/// mailbox depth, so `pact status` shows which actor is sick or stuck.

#include <chrono>
#include <string>

#include <caf/actor.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message_handler.hpp>
#include <caf/scheduled_actor.hpp>

#include "protocol/caf_types.hpp"
#include <pact/protocol/health.pb.h>

namespace pact::supervision {

using actor_state = pact::protocol::ActorState;

/// Identity of a supervised actor, handed to it by its supervisor.
struct health_handle {
  /// The process's health registry; may be null (reports are dropped).
  caf::actor registry;
  /// Unique name within the process, e.g. "agent/journal-link".
  std::string name;
};

/// Sends one report: `state`, a detail line, and the caller's mailbox depth.
/// Must be called from within `self`'s own message handler (it reads the
/// mailbox).
void report(caf::scheduled_actor* self, const health_handle& h,
            actor_state state, const std::string& detail = {});

/// Default interval between heartbeat reports.
inline constexpr std::chrono::seconds default_heartbeat_interval{2};

/// A handler fragment that answers heartbeat_atom by reporting `state()`
/// and re-arming the timer. Combine with `.or_else(...)`; call
/// `start_heartbeat` once from the actor's initialisation.
template <class StateFn>
caf::message_handler
heartbeat_behavior(caf::event_based_actor* self, health_handle h, StateFn state,
                   caf::timespan interval = default_heartbeat_interval) {
  return {
    [=](protocol::heartbeat_atom) {
      auto [st, detail] = state();
      report(self, h, st, detail);
      self->delayed_send(self, interval, protocol::heartbeat_atom::value);
    },
  };
}

/// Arms the first heartbeat.
void start_heartbeat(caf::event_based_actor* self,
                     caf::timespan interval = default_heartbeat_interval);

/// Operator-readable text of an actor error: the human message it carries
/// when there is one (pact's own errors carry exactly one string), else
/// CAF's rendering.
std::string error_text(caf::actor_system& sys, const caf::error& err);

} // namespace pact::supervision
