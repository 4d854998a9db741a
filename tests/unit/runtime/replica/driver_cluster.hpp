#pragma once

/// A cluster of replica_drivers wired by a FIFO "wire" for unit tests: no
/// network, no clock, every message delivered in order unless the replica
/// at either end is down. `Node` has `driver` (a pointer to a started
/// replica_driver) and `up`; the test builds and starts the drivers.

#include <doctest/doctest.h>

#include <deque>
#include <functional>
#include <vector>

#include "runtime/replica/replica_driver.hpp"

namespace pact::replica::test {

template <class Node>
struct driver_cluster {
  std::vector<Node> nodes;
  std::deque<raft::message> wire;
  /// Every completion the drivers reported, in order.
  std::vector<completion> done;
  /// Sees (and may change) every message on the wire.
  std::function<void(raft::message&)> tamper;

  explicit driver_cluster(size_t n) : nodes(n) {
  }

  Node& at(raft::node_id id) {
    return nodes[id - 1];
  }

  /// Runs every ready loop and delivers messages until the wire is empty.
  void pump() {
    for (int round = 0; round < 1000; ++round) {
      for (auto& r : nodes) {
        if (!r.up)
          continue;
        auto out = r.driver->process();
        for (auto& m : out.messages)
          wire.push_back(std::move(m));
        for (auto& c : out.done)
          done.push_back(std::move(c));
      }
      if (wire.empty())
        return;
      while (!wire.empty()) {
        auto m = std::move(wire.front());
        wire.pop_front();
        if (tamper)
          tamper(m);
        if (at(m.to).up && at(m.from).up)
          at(m.to).driver->step(m);
      }
    }
  }

  void ticks(int n) {
    for (int i = 0; i < n; ++i) {
      for (auto& r : nodes)
        if (r.up)
          r.driver->tick();
      pump();
    }
  }

  raft::node_id leader() {
    for (auto& r : nodes)
      if (r.up && r.driver->role() == raft::node_role::leader)
        return r.driver->id();
    return 0;
  }

  raft::node_id elect() {
    for (int i = 0; i < 100 && leader() == 0; ++i)
      ticks(1);
    REQUIRE(leader() != 0);
    return leader();
  }
};

} // namespace pact::replica::test
