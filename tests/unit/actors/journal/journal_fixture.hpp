#pragma once

// The one fixture of the journal actor tests (issue 9 item 6): a
// single-voter replica (and, when asked, a gateway) under their supervisor
// on CAF's deterministic test coordinator, over an in-memory Raft store and
// CAF's simulated network. No threads, no sleeps, no real ports or files:
// time moves only when a test advances it, in replica ticks.

#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <caf/actor_registry.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/network/test_multiplexer.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/send.hpp>

#include "actors/journal/gateway.hpp"
#include "actors/journal/replica.hpp"
#include "actors/supervision/health_registry.hpp"
#include "actors/supervision/supervisor.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/store/memory_store.hpp"
#include "tests/unit/actors/coordinator_config.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::journal::test {

/// The answer to one request made through journal_fixture::ask: `done` once
/// it came, then either `value` or `err`.
template <class... Rs>
struct answer {
  bool done = false;
  std::tuple<Rs...> value;
  caf::error err;
};

struct journal_fixture : pact::test::coordinated_system {
  /// The replica's tick; the fixture advances time in these steps.
  static constexpr std::chrono::milliseconds tick{10};

  /// The replica's "disk": it outlives the replica's incarnations.
  std::shared_ptr<store::memory_store> disk;
  replica_config rc;
  caf::actor registry;
  caf::actor sup;
  caf::actor gateway;

  /// Replica 1, and a gateway when `gw` is given; returns once the replica
  /// leads (and the gateway serves). With other `voters` (whose replicas
  /// never run) no leader can be elected: it returns at once.
  /// `tune` adjusts the replica's configuration before it starts.
  explicit journal_fixture(std::optional<gateway_config> gw = std::nullopt,
                           std::vector<uint64_t> members = {1},
                           const std::function<void(replica_config&)>& tune
                           = {}) {
    raft::conf_state voters;
    voters.voters = members;
    disk = std::make_shared<store::memory_store>(voters);
    registry = supervision::spawn_health_registry(sys, {"t", "1", "0"}, wall);
    rc.node_id = 1;
    for (auto id : members)
      if (id != rc.node_id)
        rc.peers[id] = endpoint{false, "127.0.0.1",
                                static_cast<uint16_t>(7000 + id)};
    rc.listen
      = {"127.0.0.1", std::make_shared<std::atomic<uint16_t>>(0), nullptr, {}};
    rc.bootstrap = voters;
    rc.tick = tick;
    rc.metrics = std::make_shared<raft_metrics>("1");
    rc.wall = wall;
    if (tune)
      tune(rc);
    rc.open_store =
      [d = disk](
        const replica_config&) -> expected<std::shared_ptr<store::raft_store>> {
      return std::shared_ptr<store::raft_store>(d);
    };
    using supervision::health_handle;
    std::vector<supervision::child_spec> children{
      {"journal/replica", "raft-replica",
       [r = rc](caf::event_based_actor* s, const health_handle& h) {
         return spawn_replica(s, h, r);
       }}};
    if (gw) {
      auto g = *gw;
      g.listen = {
        "127.0.0.1", std::make_shared<std::atomic<uint16_t>>(0), nullptr, {}};
      g.registry = registry;
      g.wall = wall;
      children.push_back(
        {"journal/gateway", "gateway",
         [g](caf::event_based_actor* s, const health_handle& h) {
           return s->spawn(journal::gateway, h, g);
         }});
    }
    sup = sys.spawn(
      supervision::supervisor,
      supervision::supervisor_spec{{registry, "journal"}, children, {}});
    if (members.size() > 1) {
      run();
      return;
    }
    REQUIRE(until([&] { return status().role() == "leader"; }));
    if (gw) {
      auto g = ask<caf::actor>(sup, protocol::child_atom::value,
                               std::string("journal/gateway"));
      REQUIRE(g->done);
      gateway = std::get<0>(g->value);
      REQUIRE(gateway);
    }
  }

  ~journal_fixture() {
    caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
    run();
  }

  /// Moves time forward by `d`, one tick at a time, running every actor
  /// after each step.
  void advance(std::chrono::milliseconds d) {
    for (auto t = std::chrono::milliseconds(0); t < d; t += tick) {
      sched.advance_time(tick);
      run();
    }
  }

  /// Runs, then advances tick by tick until `p()` holds; false when it
  /// does not within `limit` of actor time.
  template <class Pred>
  bool
  until(Pred p, std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    run();
    for (auto t = std::chrono::milliseconds(0); !p(); t += tick) {
      if (t >= limit)
        return false;
      advance(tick);
    }
    return true;
  }

  /// The actor clock's time (the replica's deadlines read it).
  caf::actor_clock::time_point now() {
    return sched.clock().now();
  }

  /// The current replica incarnation, by its registered name.
  caf::actor replica() {
    return caf::actor_cast<caf::actor>(sys.registry().get(replica_name));
  }

  /// Sends `xs` to `dest` from a fresh actor and runs every actor until
  /// nothing is left to do; the answer (of types Rs) is filled in when it
  /// came. `timeout` is the request's deadline in actor time.
  template <class... Rs, class... Ts>
  std::shared_ptr<answer<Rs...>>
  ask_within(caf::duration timeout, const caf::actor& dest, Ts... xs) {
    auto a = std::make_shared<answer<Rs...>>();
    sys.spawn([a, timeout, dest, xs...](caf::event_based_actor* self) {
      self->request(dest, timeout, xs...)
        .then(
          [a](Rs&... rs) {
            a->done = true;
            a->value = std::make_tuple(rs...);
          },
          [a](caf::error& err) {
            a->done = true;
            a->err = err;
          });
    });
    run();
    return a;
  }

  template <class... Rs, class... Ts>
  std::shared_ptr<answer<Rs...>> ask(const caf::actor& dest, Ts... xs) {
    return ask_within<Rs...>(caf::infinite, dest, xs...);
  }

  /// The replica's Raft status; empty when there is no replica.
  protocol::RaftStatus status() {
    protocol::RaftStatus s;
    auto r = replica();
    if (!r)
      return s;
    auto a = ask<std::string>(r, protocol::raft_status_atom::value);
    if (a->done && !a->err)
      CHECK(s.ParseFromString(std::get<0>(a->value)));
    return s;
  }

  /// Proposes `c` at the replica; its index and result.
  std::pair<uint64_t, protocol::CommandResult>
  propose(const protocol::JournalCommand& c) {
    auto a = ask<uint64_t, std::string>(
      replica(), protocol::propose_atom::value, c.SerializeAsString());
    run();
    REQUIRE(a->done);
    REQUIRE_MESSAGE(!a->err, caf::to_string(a->err));
    protocol::CommandResult r;
    REQUIRE(r.ParseFromString(std::get<1>(a->value)));
    return {std::get<0>(a->value), r};
  }

  /// Proposes `c`, requires it to apply; its last sequence.
  uint64_t ok(const protocol::JournalCommand& c) {
    auto r = propose(c).second;
    INFO(r.status().message());
    REQUIRE(r.status().code() == protocol::STATUS_CODE_OK);
    REQUIRE(r.sequences_size() >= 1);
    return r.sequences(r.sequences_size() - 1);
  }

  /// Queries the replica; requires an answer.
  protocol::JournalAnswer query(const protocol::JournalQuery& q) {
    auto a = ask<std::string>(replica(), protocol::query_atom::value,
                              q.SerializeAsString());
    REQUIRE(a->done);
    REQUIRE_MESSAGE(!a->err, caf::to_string(a->err));
    protocol::JournalAnswer out;
    REQUIRE(out.ParseFromString(std::get<0>(a->value)));
    return out;
  }

  /// Lets a later incarnation of a published actor bind `port` again: on a
  /// real host the OS reuses the port once the old incarnation closed it;
  /// the simulated network only hands out ports it was given.
  void reopenable(uint16_t port) {
    auto& mpx = dynamic_cast<caf::io::network::test_multiplexer&>(
      sys.middleman().backend());
    mpx.provide_acceptor(
      port, caf::io::accept_handle::from_int(mpx.next_endpoint_id()));
  }
};

} // namespace pact::journal::test
