#pragma once

/// One declared service's actor (docs/services.md): runs its process
/// (runtime/node/service_process.hpp), restarts it as its policy says
/// (runtime/node/service_plan.hpp after_exit), keeps its bounded log, and
/// tells the supervisor each change of state. Messages: service_atoms.hpp.

#include <chrono>
#include <memory>
#include <string>

#include <caf/event_based_actor.hpp>

#include "actors/supervision/health.hpp"
#include "runtime/node/service_plan.hpp"

namespace pact::agent {

struct service_actor_config {
  node::service_spec spec;
  /// --root: the binary and the working directory are under it.
  std::string root = "/";
  node::crash_loop_limits limits;
  /// SIGTERM, then SIGKILL after this long.
  std::chrono::milliseconds stop_grace{std::chrono::seconds(5)};
  /// Told (service_status_atom, name, status) on each change.
  caf::actor supervisor;
  /// Start at once (else on the first service_start_atom).
  bool start = true;
};

caf::behavior service_actor(caf::event_based_actor* self,
                            supervision::health_handle h,
                            service_actor_config cfg);

} // namespace pact::agent
