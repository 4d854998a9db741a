#pragma once

/// The health registry: one actor per process that keeps the actor tree with
/// each actor's name, kind, parent, state, restarts, mailbox depth and last
/// activity. Supervisors register children and count restarts; children
/// report state; the registry monitors every registered actor so that a
/// crash is visible even if nobody reports it.
///
/// Messages (atoms in protocol/caf_types.hpp):
///   (health_register_atom, name, kind, parent, caf::actor) -> void
///   (health_report_atom, name, int32 state, detail, uint64 depth) -> void
///   (health_restart_atom, name, uint32 restarts) -> void
///   (health_snapshot_atom) -> std::string (serialized HealthTree)

#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "runtime/common/clock.hpp"

namespace pact::supervision {

struct registry_identity {
  /// "journal" or "agent".
  std::string component;
  /// Replica id or node id.
  std::string node_id;
  /// pact version.
  std::string version;
};

/// Spawns the registry. `wall` provides last-activity timestamps (injected
/// so tests control time); it must outlive the actor.
caf::actor spawn_health_registry(caf::actor_system& sys, registry_identity id,
                                 std::shared_ptr<const pact::clock> wall);

} // namespace pact::supervision
