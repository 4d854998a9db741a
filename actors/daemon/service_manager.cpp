#include "actors/daemon/service_manager.hpp"

#include <string>

#include <caf/scoped_actor.hpp>

#include "protocol/caf_types.hpp"

namespace pact::daemon {

std::unique_ptr<sd::watchdog_pinger> start_watchdog(caf::actor_system& sys,
                                                    caf::actor registry) {
  return sd::watchdog_pinger::start(
    [&sys, registry](std::chrono::milliseconds budget) {
      caf::scoped_actor self{sys};
      bool answered = false;
      self->request(registry, budget, protocol::health_snapshot_atom::value)
        .receive([&](const std::string&) { answered = true; },
                 [](const caf::error&) {});
      return answered;
    });
}

} // namespace pact::daemon
