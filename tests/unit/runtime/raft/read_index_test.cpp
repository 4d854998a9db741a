// ReadIndex linearizable reads (thesis §6.4).

#include <doctest/doctest.h>

#include "tests/unit/runtime/raft/test_cluster.hpp"

using namespace pact::raft;
using namespace pact::raft::test;

TEST_CASE("thesis §6.4 the leader answers a read only after a heartbeat "
          "round confirmed it is still leader") {
  network net{{1, 2, 3}};
  net.elect(1);
  net.node(1).propose("a");
  net.settle();
  net.tick_all();
  REQUIRE(net.node(1).read_index("r1") == status::ok);
  net.process(1);
  // Step 2: the read index is recorded but not yet released.
  CHECK(net.at(1).reads.empty());
  auto hbs = of_type({net.queue().begin(), net.queue().end()},
                     message_type::heartbeat);
  REQUIRE(hbs.size() == 2);
  CHECK(hbs[0].context == "r1");
  // Step 3: a majority acknowledges.
  net.settle();
  REQUIRE(net.at(1).reads.size() == 1);
  CHECK(net.at(1).reads[0].context == "r1");
  CHECK(net.at(1).reads[0].index == 2);
}

TEST_CASE("thesis §6.4 a deposed leader cut off from the majority never "
          "answers a read (it could be stale)") {
  network net{{1, 2, 3}};
  net.elect(1);
  net.tick_all();
  net.isolate(1);
  for (int i = 0; i < 10; ++i) {
    net.tick(2);
    net.tick(3);
  }
  net.elect(2);
  REQUIRE(net.raft(2).role() == node_role::leader);
  net.node(2).propose("newer");
  net.settle();
  REQUIRE(net.node(1).read_index("stale") == status::ok);
  for (int i = 0; i < 5; ++i) {
    net.node(1).tick();
    net.settle();
  }
  CHECK(net.at(1).reads.empty());
}

TEST_CASE("thesis §6.4 step 1: a new leader defers reads until an entry "
          "of its term (the no-op) is committed") {
  memory_storage s{conf_state{{1, 2, 3}, {}}};
  auto cfg = core_config(1, s);
  cfg.pre_vote = false;
  core c{cfg};
  c.campaign();
  message grant;
  grant.type = message_type::request_vote_response;
  grant.from = 2;
  grant.to = 1;
  grant.term = 1;
  c.step(grant);
  REQUIRE(c.role() == node_role::leader);
  c.on_persisted(1, 1); // The no-op is durable on the leader.
  c.take_messages();
  REQUIRE(c.read_index("early") == status::ok);
  // No heartbeat with the context yet: the commit index is not current.
  for (const auto& m : c.take_messages())
    CHECK(m.context.empty());
  message ack;
  ack.type = message_type::append_entries_response;
  ack.from = 2;
  ack.to = 1;
  ack.term = 1;
  ack.log_index = 1;
  c.step(ack);
  REQUIRE(c.log().committed() == 1);
  auto hbs = of_type(c.take_messages(), message_type::heartbeat);
  REQUIRE(hbs.size() == 2);
  CHECK(hbs[0].context == "early");
  message hb_ack;
  hb_ack.type = message_type::heartbeat_response;
  hb_ack.from = 3;
  hb_ack.to = 1;
  hb_ack.term = 1;
  hb_ack.context = "early";
  c.step(hb_ack);
  auto rs = c.take_read_states();
  REQUIRE(rs.size() == 1);
  CHECK(rs[0].index == 1);
}

TEST_CASE("thesis §6.4.1 a follower asks the leader for the read index") {
  network net{{1, 2, 3}};
  net.elect(1);
  net.node(1).propose("a");
  net.settle();
  net.tick_all();
  REQUIRE(net.node(3).read_index("f") == status::ok);
  net.settle();
  REQUIRE(net.at(3).reads.size() == 1);
  CHECK(net.at(3).reads[0].context == "f");
  CHECK(net.at(3).reads[0].index == net.raft(1).log().committed());
  CHECK(net.at(1).reads.empty());
}

TEST_CASE("later reads confirm earlier ones; each context answered once") {
  network net{{1, 2, 3}};
  net.elect(1);
  net.tick_all();
  net.cut(2, 1);
  net.cut(3, 1);
  net.node(1).read_index("a");
  net.settle();
  net.heal();
  net.node(1).read_index("b");
  net.settle();
  REQUIRE(net.at(1).reads.size() == 2);
  CHECK(net.at(1).reads[0].context == "a");
  CHECK(net.at(1).reads[1].context == "b");
}

TEST_CASE("read_index input validation and single-voter clusters") {
  network net{{1}};
  CHECK(net.node(1).read_index("x") == status::no_leader);
  net.elect(1);
  CHECK(net.node(1).read_index("") == status::invalid_argument);
  CHECK(net.node(1).read_index("x") == status::ok);
  net.process(1);
  REQUIRE(net.at(1).reads.size() == 1);
  CHECK(net.at(1).reads[0].index == 1);
}
