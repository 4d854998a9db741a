#pragma once

/// One declared service run as a systemd unit (supervisor_backend =
/// "systemd"; docs/services.md, "systemd backend"): starts NAME.service
/// over D-Bus (runtime/node/systemd_bus.hpp), sets its MemoryMax when the
/// service declares a limit, polls the unit's properties and tells the
/// supervisor each change, restarts it when asked, stops it when the
/// service is removed. It speaks the service-actor protocol of
/// service_atoms.hpp, so the supervisor drives it as it drives the pact
/// backend's service_actor. Every D-Bus call blocks: spawn it detached
/// (systemd_backend does).

#include <chrono>
#include <memory>

#include <caf/event_based_actor.hpp>

#include "actors/agent/service_actor.hpp"
#include "actors/supervision/health.hpp"
#include "runtime/common/clock.hpp"

namespace pact::agent {

struct systemd_unit_settings {
  /// How often the unit's properties are read.
  std::chrono::milliseconds poll{std::chrono::seconds(1)};
  /// Wall clock for uptimes (systemd stamps start times in wall time);
  /// null: the system clock.
  std::shared_ptr<const pact::clock> wall;
};

caf::behavior
systemd_unit_actor(caf::event_based_actor* self, supervision::health_handle h,
                   service_actor_config cfg, systemd_unit_settings settings);

} // namespace pact::agent
