// Supervisor and health registry under CAF's deterministic test coordinator:
// no threads, no sleeps; time advances only when the test says so.

#include <doctest/doctest.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduled_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "actors/supervision/health_registry.hpp"
#include "actors/supervision/supervisor.hpp"
#include "protocol/caf_types.hpp"
#include "tests/unit/actors/coordinator_config.hpp"

using namespace pact;
using namespace pact::supervision;
using pact::protocol::HealthTree;

namespace {

using crash_atom = caf::atom_constant<caf::atom("crash")>;

/// A child that reports RUNNING and dies abnormally on `crash`.
caf::behavior crasher(caf::event_based_actor* self, health_handle h) {
  report(self, h, protocol::ACTOR_STATE_RUNNING, "ok");
  return {
    [self](crash_atom) {
      self->quit(caf::make_error(caf::sec::runtime_error, "boom"));
    },
  };
}

struct fixture : pact::test::coordinated_system {
  caf::actor registry = spawn_health_registry(sys, {"test", "n1", "0"}, wall);
  caf::actor sup;

  void start(restart_intensity intensity) {
    child_spec c;
    c.name = "root/crasher";
    c.kind = "crasher";
    c.start = [](caf::event_based_actor* s, const health_handle& h) {
      return s->spawn(crasher, h);
    };
    child_spec other = c;
    other.name = "root/bystander";
    sup = sys.spawn(supervisor,
                    supervisor_spec{{registry, "root"}, {c, other}, intensity});
    caf::anon_send(registry, protocol::health_register_atom::value,
                   std::string("root"), std::string("supervisor"),
                   std::string(), sup);
    run();
  }

  caf::actor child(const std::string& name) {
    caf::actor result;
    auto probe = sys.spawn([&](caf::event_based_actor* self) {
      self->request(sup, caf::infinite, protocol::child_atom::value, name)
        .then([&](const caf::actor& a) { result = a; });
    });
    run();
    return result;
  }

  HealthTree tree() {
    HealthTree t;
    auto probe = sys.spawn([&](caf::event_based_actor* self) {
      self
        ->request(registry, caf::infinite,
                  protocol::health_snapshot_atom::value)
        .then(
          [&](const std::string& bytes) { CHECK(t.ParseFromString(bytes)); });
    });
    run();
    return t;
  }

  const protocol::ActorHealth& row(const HealthTree& t,
                                   const std::string& name) {
    for (auto& a : t.actors())
      if (a.name() == name)
        return a;
    FAIL("no row " << name);
    return t.actors(0);
  }

  void crash(const std::string& name) {
    auto c = child(name);
    REQUIRE(c);
    caf::anon_send(c, crash_atom::value);
    run();
  }

  ~fixture() {
    caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
    if (sup)
      caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
    run();
  }
};

} // namespace

TEST_CASE_FIXTURE(fixture, "children are registered with kind, parent and "
                           "running state") {
  start({});
  auto t = tree();
  CHECK(t.component() == "test");
  REQUIRE(t.actors_size() == 3);
  CHECK(t.actors(0).name() == "root");
  auto& c = row(t, "root/crasher");
  CHECK(c.kind() == "crasher");
  CHECK(c.parent() == "root");
  CHECK(c.state() == protocol::ACTOR_STATE_RUNNING);
  CHECK(c.restarts() == 0);
  CHECK(c.last_activity_unix_ms() == 1'700'000'000'000);
  CHECK(row(t, "root").state() == protocol::ACTOR_STATE_RUNNING);
}

TEST_CASE_FIXTURE(fixture, "a crashing child is restarted alone") {
  start({3, std::chrono::seconds(5)});
  auto before = child("root/crasher");
  auto bystander = child("root/bystander");
  wall->advance_ms(250);
  crash("root/crasher");
  auto after = child("root/crasher");
  REQUIRE(after);
  CHECK(after != before);
  CHECK(child("root/bystander") == bystander); // one-for-one
  auto t = tree();
  auto& c = row(t, "root/crasher");
  CHECK(c.restarts() == 1);
  CHECK(c.state() == protocol::ACTOR_STATE_RUNNING);
  CHECK(c.last_activity_unix_ms() == 1'700'000'000'250);
  CHECK(row(t, "root/bystander").restarts() == 0);
}

TEST_CASE_FIXTURE(fixture, "exceeding the restart intensity escalates") {
  start({2, std::chrono::seconds(5)});
  caf::error sup_reason;
  bool sup_down = false;
  auto watcher = sys.spawn([&](caf::event_based_actor* self) {
    self->monitor(sup);
    self->set_down_handler([&](caf::down_msg& dm) {
      sup_down = true;
      sup_reason = dm.reason;
    });
    // A behavior keeps the watcher alive until the test stops it.
    return caf::behavior{[](int) {}};
  });
  run();
  crash("root/crasher");
  crash("root/crasher");
  CHECK_FALSE(sup_down);
  CHECK(row(tree(), "root/crasher").restarts() == 2);
  crash("root/crasher"); // third crash within 5 s: over the limit
  CHECK(sup_down);
  REQUIRE(sup_reason);
  auto why = sys.render(sup_reason);
  CHECK(why.find("restart intensity exceeded by root/crasher")
        != std::string::npos);
  CHECK(why.find("boom") != std::string::npos);
  auto t = tree();
  CHECK(row(t, "root/crasher").state() == protocol::ACTOR_STATE_FAILED);
  CHECK(row(t, "root").state() == protocol::ACTOR_STATE_FAILED);
  // The bystander was stopped, not abandoned.
  CHECK(row(t, "root/bystander").state() == protocol::ACTOR_STATE_STOPPED);
  caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
  sup = nullptr;
}

TEST_CASE_FIXTURE(fixture, "restarts outside the intensity window are "
                           "forgiven") {
  start({2, std::chrono::seconds(5)});
  crash("root/crasher");
  crash("root/crasher");
  sched.advance_time(std::chrono::seconds(6));
  run();
  crash("root/crasher");
  auto t = tree();
  CHECK(row(t, "root/crasher").restarts() == 3);
  CHECK(row(t, "root/crasher").state() == protocol::ACTOR_STATE_RUNNING);
  CHECK(row(t, "root").state() != protocol::ACTOR_STATE_FAILED);
}

TEST_CASE_FIXTURE(fixture, "heartbeats report mailbox depth and liveness") {
  start({});
  wall->advance_ms(5000);
  sched.advance_time(default_heartbeat_interval);
  run();
  auto t = tree();
  CHECK(row(t, "root").last_activity_unix_ms() == 1'700'000'005'000);
  CHECK(row(t, "root").detail() == "2/2 children alive");
}

TEST_CASE_FIXTURE(fixture, "shutdown stops children, which are not "
                           "restarted") {
  start({});
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  run();
  auto t = tree();
  CHECK(row(t, "root/crasher").state() == protocol::ACTOR_STATE_STOPPED);
  CHECK(row(t, "root/bystander").state() == protocol::ACTOR_STATE_STOPPED);
  CHECK(row(t, "root").state() == protocol::ACTOR_STATE_STOPPED);
  sup = nullptr;
}
