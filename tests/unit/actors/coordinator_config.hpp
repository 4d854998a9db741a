#pragma once

// The actor-system configuration of every deterministic actor test: CAF's
// test coordinator instead of the scheduler (no threads; time moves only
// when a test advances it) and CAF's simulated network instead of sockets.

#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>

#include "protocol/caf_types.hpp"

namespace pact::test {

struct coordinator_config : caf::actor_system_config {
  coordinator_config() {
    protocol::configure(*this);
    // After configure(): the deterministic test coordinator replaces the
    // production scheduler policy.
    set("scheduler.policy", caf::atom("testing"));
    set("logger.verbosity", caf::atom("quiet"));
    set("middleman.network-backend", caf::atom("testing"));
    set("middleman.manual-multiplexing", true);
    set("middleman.workers", size_t{0});
  }
};

} // namespace pact::test
