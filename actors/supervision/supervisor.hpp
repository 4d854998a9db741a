#pragma once

/// A one-for-one supervisor (DESIGN.md §7), in the manner of Erlang/OTP.
///
/// The supervisor starts its children in order, registers each with the
/// health registry and monitors it. When a child terminates abnormally it is
/// restarted alone (one-for-one). If more than `max_restarts` restarts happen
/// within `within`, the supervisor gives up: it stops its other children and
/// terminates with `supervision_escalated`, so that *its* supervisor (or the
/// process) sees the failure: escalation. Time is CAF's actor clock, which the
/// deterministic test coordinator controls.
///
/// On an exit message (shutdown) the supervisor stops its children in
/// reverse start order and terminates with the same reason.
///
/// Messages: (child_atom, name) -> caf::actor (current incarnation, or an
/// invalid handle); (children_atom) -> std::vector<std::string>.

#include <functional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/timespan.hpp>

#include "actors/supervision/health.hpp"

namespace pact::supervision {

/// When a terminated child is restarted.
enum class restart_type {
  /// Always (services that must run).
  permanent,
  /// Only after an abnormal exit.
  transient,
  /// Never.
  temporary,
};

/// Starts one incarnation of a child. Runs inside the supervisor: spawn with
/// `sup->spawn(...)` and pass `h` to the child so it can report health.
using child_factory = std::function<caf::actor(caf::event_based_actor* sup,
                                               const health_handle& h)>;

struct child_spec {
  /// Unique name within the process ("journal/gateway").
  std::string name;
  /// Kind shown in the tree ("gateway").
  std::string kind;
  child_factory start;
  restart_type restart = restart_type::permanent;
};

struct restart_intensity {
  /// Restarts allowed within `within` before escalating.
  size_t max_restarts = 3;
  caf::timespan within = std::chrono::seconds(5);
};

struct supervisor_spec {
  health_handle self;
  std::vector<child_spec> children;
  restart_intensity intensity;
};

/// Exit reason of a supervisor whose child exceeded the restart intensity;
/// names the child and its last failure so the operator sees the cause.
caf::error supervision_escalated(const std::string& child,
                                 const std::string& last_reason);

/// The supervisor behavior; spawn with `sys.spawn(supervisor, spec)` or from
/// a parent supervisor's child_factory.
caf::behavior supervisor(caf::event_based_actor* self, supervisor_spec spec);

/// A child_spec whose child is itself a supervisor of `children`.
child_spec nested_supervisor(std::string name, std::vector<child_spec> children,
                             restart_intensity intensity = {});

} // namespace pact::supervision
