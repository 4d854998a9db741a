#pragma once

// The actor-system configuration of every deterministic actor test: CAF's
// test coordinator instead of the scheduler (no threads; time moves only
// when a test advances it) and CAF's simulated network instead of sockets.

#include <memory>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "protocol/caf_types.hpp"
#include "runtime/common/clock.hpp"

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
    // No BASP heartbeat timers in deterministic tests.
    set("middleman.heartbeat-interval", caf::timespan{0});
  }
};

/// An actor system on the test coordinator, and the wall clock its actors
/// are given (manual: it moves only when a test moves it).
struct coordinated_system {
  coordinator_config cfg;
  caf::actor_system sys{cfg};
  caf::scheduler::test_coordinator& sched
    = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  std::shared_ptr<manual_clock> wall
    = std::make_shared<manual_clock>(1'700'000'000'000);

  /// Runs every actor until nothing is left to do at the current time.
  void run() {
    sched.run();
  }
};

} // namespace pact::test
