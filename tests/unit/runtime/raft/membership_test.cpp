// Membership changes one server at a time (thesis §4.1) and learners
// (thesis §4.2.1).

#include <doctest/doctest.h>

#include "tests/unit/runtime/raft/test_cluster.hpp"

using namespace pact::raft;
using namespace pact::raft::test;

namespace {

conf_change cc(conf_change_type t, node_id n) {
  return conf_change{t, n};
}

} // namespace

TEST_CASE("thesis §4.1 adding a voter: the new server catches up and "
          "counts towards the quorum once the change is applied") {
  network net{{1, 2, 3}};
  net.elect(1);
  net.node(1).propose("a");
  net.settle();
  // A joining replica starts with the membership that includes it.
  net.add_replica(4, conf_state{{1, 2, 3, 4}, {}});
  REQUIRE(net.node(1).propose_conf_change(cc(conf_change_type::add_voter, 4))
          == status::ok);
  net.settle();
  net.tick_all(2);
  CHECK(net.at(1).conf == conf_state{{1, 2, 3, 4}, {}});
  CHECK(net.raft(1).peers().quorum() == 3);
  CHECK(net.at(4).applied == std::vector<std::string>{"a"});
  // With 2 and 3 down, 1 and 4 are not a majority of four.
  net.isolate(2);
  net.isolate(3);
  net.node(1).propose("b");
  net.settle();
  CHECK(net.at(1).applied.back() == "a");
  net.heal();
  net.tick_all(2);
  CHECK(net.at(1).applied.back() == "b");
}

TEST_CASE("thesis §4.1 only one configuration change may be pending") {
  network net{{1, 2, 3}};
  net.elect(1);
  net.cut(1, 2);
  net.cut(1, 3);
  REQUIRE(net.node(1).propose_conf_change(cc(conf_change_type::add_learner, 4))
          == status::ok);
  net.settle();
  CHECK(net.node(1).propose_conf_change(cc(conf_change_type::add_learner, 5))
        == status::conf_change_pending);
  net.heal();
  net.tick_all(2);
  // Applied: the next change is accepted.
  CHECK(net.node(1).propose_conf_change(cc(conf_change_type::add_learner, 5))
        == status::ok);
}

TEST_CASE("thesis §4.1 removing a voter shrinks the quorum") {
  network net{{1, 2, 3}};
  net.elect(1);
  REQUIRE(net.node(1).propose_conf_change(cc(conf_change_type::remove_node, 3))
          == status::ok);
  net.settle();
  net.tick_all();
  CHECK(net.at(1).conf == conf_state{{1, 2}, {}});
  CHECK(net.raft(1).peers().find(3) == nullptr);
  net.isolate(3);
  net.node(1).propose("x");
  net.settle();
  net.tick_all();
  CHECK(net.at(2).applied == std::vector<std::string>{"x"});
}

TEST_CASE("thesis §4.2.2 a leader that removed itself steps down") {
  network net{{1, 2, 3}};
  net.elect(1);
  REQUIRE(net.node(1).propose_conf_change(cc(conf_change_type::remove_node, 1))
          == status::ok);
  net.settle();
  CHECK(net.raft(1).role() == node_role::follower);
  for (int i = 0; i < 50 && net.leader() == no_node; ++i) {
    net.tick(2);
    net.tick(3);
    net.settle();
  }
  auto leader = net.leader();
  CHECK((leader == 2 || leader == 3));
}

TEST_CASE("thesis §4.2.1 learners receive the log but neither vote nor "
          "count towards commitment") {
  network net{{1, 2}, {}, {3}};
  net.elect(1);
  net.node(1).propose("a");
  net.settle();
  net.tick_all();
  CHECK(net.at(3).applied == std::vector<std::string>{"a"});
  // No vote request ever reached the learner.
  for (const auto& m : net.sent())
    if (m.to == 3)
      CHECK(m.type != message_type::request_vote);
  net.isolate(2);
  net.node(1).propose("b");
  net.settle();
  CHECK(net.raft(3).log().last_index() == 3); // The learner has it ...
  CHECK(net.raft(1).log().committed() == 2);  // ... but it does not count.
}

TEST_CASE("thesis §4.2.1 promoting a learner makes it a voter") {
  network net{{1, 2}, {}, {3}};
  net.elect(1);
  REQUIRE(net.node(1).propose_conf_change(cc(conf_change_type::add_voter, 3))
          == status::ok);
  net.settle();
  net.tick_all();
  for (node_id id : {1, 2, 3})
    CHECK(net.at(id).conf == conf_state{{1, 2, 3}, {}});
  CHECK(net.raft(3).peers().is_voter(3));
  // 3 can now lead.
  REQUIRE(net.node(1).transfer_leadership(3) == status::ok);
  net.settle();
  CHECK(net.raft(3).role() == node_role::leader);
}

TEST_CASE("invalid membership changes are refused") {
  network net{{1, 2}, {}, {3}};
  net.elect(1);
  auto& n = net.node(1);
  CHECK(n.propose_conf_change(cc(conf_change_type::add_voter, 2))
        == status::invalid_argument);
  CHECK(n.propose_conf_change(cc(conf_change_type::add_learner, 3))
        == status::invalid_argument);
  CHECK(n.propose_conf_change(cc(conf_change_type::add_learner, 2))
        == status::invalid_argument);
  CHECK(n.propose_conf_change(cc(conf_change_type::remove_node, 9))
        == status::invalid_argument);
  CHECK(net.node(2).propose_conf_change(cc(conf_change_type::add_voter, 4))
        == status::not_leader);
}

TEST_CASE("conf_change encoding round-trips and rejects garbage") {
  conf_change c{conf_change_type::remove_node, 0x0102030405060708ULL};
  auto back = decode_conf_change(encode_conf_change(c));
  REQUIRE(back);
  CHECK(*back == c);
  CHECK_FALSE(decode_conf_change(""));
  CHECK_FALSE(decode_conf_change(std::string(9, '\x07')));
}
