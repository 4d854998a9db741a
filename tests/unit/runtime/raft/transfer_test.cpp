// Leadership transfer (thesis §3.10).

#include <doctest/doctest.h>

#include "tests/unit/runtime/raft/test_cluster.hpp"

using namespace pact::raft;
using namespace pact::raft::test;

TEST_CASE("thesis §3.10 the leader hands over to an up-to-date target with "
          "TimeoutNow; the target wins without pre-vote") {
  network net{{1, 2, 3}};
  net.elect(1);
  auto term = net.raft(1).current_term();
  REQUIRE(net.node(1).transfer_leadership(2) == status::ok);
  net.settle();
  CHECK(net.raft(2).role() == node_role::leader);
  CHECK(net.raft(2).current_term() == term + 1);
  CHECK(net.raft(1).role() == node_role::follower);
  CHECK(net.raft(1).leader_id() == 2);
  bool timeout_now = false;
  for (const auto& m : net.sent())
    timeout_now = timeout_now || m.type == message_type::timeout_now;
  CHECK(timeout_now);
}

TEST_CASE("thesis §3.10 a lagging target is first brought up to date") {
  network net{{1, 2, 3}};
  net.elect(1);
  net.cut(1, 3);
  net.node(1).propose("a");
  net.node(1).propose("b");
  net.settle();
  net.heal();
  REQUIRE(net.raft(3).log().last_index() < net.raft(1).log().last_index());
  net.sent().clear();
  REQUIRE(net.node(1).transfer_leadership(3) == status::ok);
  net.settle();
  CHECK(net.raft(3).role() == node_role::leader);
  // TimeoutNow was sent only after 3 caught up.
  bool caught_up_first = false;
  for (const auto& m : net.sent()) {
    if (m.type == message_type::append_entries && m.to == 3
        && !m.entries.empty())
      caught_up_first = true;
    if (m.type == message_type::timeout_now)
      CHECK(caught_up_first);
  }
}

TEST_CASE("thesis §3.10 during a transfer the leader refuses proposals, and "
          "it aborts after an election timeout") {
  network net{{1, 2, 3}};
  net.elect(1);
  net.isolate(2); // The target never answers.
  REQUIRE(net.node(1).transfer_leadership(2) == status::ok);
  CHECK(net.raft(1).lead_transferee() == 2);
  CHECK(net.node(1).propose("x") == status::transferring);
  for (int i = 0; i < 10; ++i) {
    net.tick(1);
    net.tick(3);
    net.settle();
  }
  CHECK(net.raft(1).lead_transferee() == no_node);
  CHECK(net.raft(1).role() == node_role::leader);
  CHECK(net.node(1).propose("x") == status::ok);
}

TEST_CASE("thesis §3.10 the target's vote requests bypass the leader "
          "lease that would otherwise make voters ignore them") {
  network net{{1, 2, 3}};
  net.elect(1);
  net.tick_all();
  net.node(1).transfer_leadership(3);
  net.settle();
  CHECK(net.raft(3).role() == node_role::leader);
}

TEST_CASE("transfer_leadership input validation") {
  network net{{1, 2}, {}, {3}};
  CHECK(net.node(1).transfer_leadership(2) == status::no_leader);
  net.elect(1);
  CHECK(net.node(2).transfer_leadership(2) == status::not_leader);
  CHECK(net.node(1).transfer_leadership(3) == status::invalid_argument);
  CHECK(net.node(1).transfer_leadership(9) == status::invalid_argument);
  CHECK(net.node(1).transfer_leadership(1) == status::ok);
  CHECK(net.raft(1).lead_transferee() == no_node);
}
