#pragma once

/// The agent's service supervisor (issue 12 item 5; docs/services.md): one
/// service actor (service_actor.hpp) per declared service, started in
/// dependency order (runtime/node/service_plan.hpp plan_start) and stopped
/// in reverse; a changed declaration restarts its service, a removed one is
/// stopped. The overlay's supervisor_backend picks who runs each service
/// (service_backend.hpp: the agent itself, or systemd over D-Bus); a
/// change of backend stops every service and starts it with the new one.
/// It answers the agent API's `pact service status|restart|logs`
/// and records each operator restart and each crash as a
/// service-lifecycle entry through the journal link. Registered as
/// `service_supervisor_name`; the journal link sends it the declared
/// services after every boot. Messages: service_atoms.hpp.

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include <caf/event_based_actor.hpp>

#include "actors/agent/service_backend.hpp"
#include "actors/supervision/health.hpp"
#include "runtime/common/clock.hpp"
#include "runtime/node/service_plan.hpp"

namespace pact::agent {

struct service_supervisor_config {
  std::string node_id;
  /// --root.
  std::string root = "/";
  node::crash_loop_limits limits;
  std::chrono::milliseconds stop_grace{std::chrono::seconds(5)};
  /// The agent's supervisor: where the journal link is found by name.
  caf::actor supervisor;
  std::string journal_link_name = "agent/journal-link";
  std::shared_ptr<const pact::clock> wall;
  /// Who runs the services, by the overlay's supervisor_backend ("" is
  /// "pact"): service_backend.hpp. Empty: default_backends.
  std::map<std::string, service_backend> backends;
  /// The systemd backend's settings when `backends` is empty.
  systemd_unit_settings systemd;
};

caf::behavior service_supervisor(caf::event_based_actor* self,
                                 supervision::health_handle h,
                                 service_supervisor_config cfg);

} // namespace pact::agent
