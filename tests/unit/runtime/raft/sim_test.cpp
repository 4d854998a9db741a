// A small seeded simulation: random loss, reordering, partitions and
// crash-restarts, with Raft's safety properties (Figure 3) checked after
// every step. A failure prints its seed; rerun with that seed to replay.

#include <doctest/doctest.h>

#include <map>

#include "tests/unit/runtime/raft/network.hpp"

using namespace pact::raft;
using namespace pact::raft::test;

namespace {

struct checker {
  std::map<term_t, node_id> leader_of_term;

  /// Figure 3 "Election Safety: at most one leader can be elected in a
  /// given term" and "State Machine Safety": applied sequences are
  /// prefixes of one another.
  void check(network& net, const std::vector<node_id>& ids) {
    for (auto id : ids) {
      const auto& c = net.raft(id);
      if (c.role() != node_role::leader)
        continue;
      auto [it, fresh] = leader_of_term.emplace(c.current_term(), id);
      (void)fresh;
      if (it->second != id)
        FAIL("two leaders in term " << c.current_term());
    }
    for (auto a : ids)
      for (auto b : ids) {
        const auto& x = net.at(a).applied;
        const auto& y = net.at(b).applied;
        if (x.size() > y.size() || a == b)
          continue;
        // Snapshots replace the applied history; compare after them.
        if (!x.empty() && x[0].rfind("snapshot:", 0) == 0)
          continue;
        if (!y.empty() && y[0].rfind("snapshot:", 0) == 0)
          continue;
        for (std::size_t i = 0; i < x.size(); ++i)
          if (x[i] != y[i])
            FAIL("replicas " << a << " and " << b
                             << " applied different commands at " << i);
      }
  }
};

int run_seed(std::uint64_t seed) {
  CAPTURE(seed);
  splitmix64 rng{seed};
  std::vector<node_id> ids = {1, 2, 3, 4, 5};
  network net{ids, [seed](config& cfg) {
                cfg.random = splitmix64{seed ^ cfg.id};
              }};
  checker chk;
  net.drop_if([&rng](const message&) { return rng() % 10 == 0; });
  int proposed = 0;
  for (int step = 0; step < 1500; ++step) {
    auto dice = rng() % 100;
    if (dice < 2) {
      net.crash(ids[rng() % ids.size()]);
    } else if (dice < 6) {
      for (auto id : ids)
        if (net.is_down(id))
          net.recover(id);
    } else if (dice < 8) {
      std::set<node_id> side;
      for (auto id : ids)
        if (rng() % 2)
          side.insert(id);
      net.partition(side);
    } else if (dice < 10) {
      net.partition({});
    } else if (dice < 30) {
      if (auto l = net.leader(); l != no_node)
        if (net.node(l).propose("c" + std::to_string(proposed)) == status::ok)
          ++proposed;
    }
    for (auto id : ids)
      net.tick(id);
    net.process_all();
    // Deliver a random subset of the queue in random order.
    auto n = net.queue().size();
    for (std::size_t i = 0; i < n && !net.queue().empty(); ++i) {
      auto& q = net.queue();
      std::swap(q.front(), q[rng() % q.size()]);
      net.deliver_one();
      net.process_all();
    }
    chk.check(net, ids);
  }
  // Liveness once the network heals: everyone converges.
  net.heal();
  for (auto id : ids)
    if (net.is_down(id))
      net.recover(id);
  for (int i = 0; i < 200; ++i)
    net.tick_all();
  auto leader = net.leader();
  REQUIRE(leader != no_node);
  for (auto id : ids)
    CHECK(net.raft(id).log().committed()
          == net.raft(leader).log().committed());
  chk.check(net, ids);
  // The run made progress: most proposals were committed.
  MESSAGE("seed " << seed << ": " << proposed << " proposed, "
                  << net.at(leader).applied.size() << " applied");
  CHECK(net.at(leader).applied.size() > 10);
  return proposed;
}

} // namespace

TEST_CASE("simulation: safety under loss, reordering, partitions and "
          "crashes; convergence after healing") {
  for (std::uint64_t seed = 1; seed <= 20; ++seed)
    run_seed(seed);
}
