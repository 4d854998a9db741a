// Leader election (§5.2), the election restriction (§5.4.1), pre-vote
// (thesis §9.6), check-quorum (thesis §6.2) and vote persistence.

#include <doctest/doctest.h>

#include "tests/unit/runtime/raft/test_cluster.hpp"

using namespace pact::raft;
using namespace pact::raft::test;

namespace {

conf_state three() {
  return conf_state{{1, 2, 3}, {}};
}

void no_prevote(config& cfg) {
  cfg.pre_vote = false;
}

message vote_request(node_id from, node_id to, term_t term, index_t li,
                     term_t lt, bool pre = false) {
  message m;
  m.type = pre ? message_type::pre_vote : message_type::request_vote;
  m.from = from;
  m.to = to;
  m.term = term;
  m.log_index = li;
  m.log_term = lt;
  return m;
}

} // namespace

TEST_CASE("§5.2 a follower that hears nothing for an election timeout "
          "starts an election") {
  memory_storage s{three()};
  auto cfg = core_config(1, s);
  cfg.pre_vote = false;
  core c{cfg};
  auto timeout = c.randomized_election_timeout();
  for (int i = 0; i < timeout - 1; ++i)
    c.tick();
  CHECK(c.role() == node_role::follower);
  c.tick();
  // "a follower increments its current term and transitions to candidate
  // state. It then votes for itself and issues RequestVote RPCs".
  CHECK(c.role() == node_role::candidate);
  CHECK(c.current_term() == 1);
  CHECK(c.voted_for() == 1);
  auto votes = of_type(c.take_messages(), message_type::request_vote);
  CHECK(votes.size() == 2);
  for (const auto& m : votes)
    CHECK(m.term == 1);
}

TEST_CASE("§5.2 election timeouts are randomized in [T, 2T) and seeded") {
  memory_storage s{three()};
  std::set<int> seen;
  for (std::uint64_t seed = 1; seed < 50; ++seed) {
    auto cfg = core_config(1, s);
    cfg.random = splitmix64{seed};
    core c{cfg};
    CHECK(c.randomized_election_timeout() >= 10);
    CHECK(c.randomized_election_timeout() < 20);
    seen.insert(c.randomized_election_timeout());
    // Deterministic: the same seed gives the same timeout.
    cfg.random = splitmix64{seed};
    core again{cfg};
    CHECK(again.randomized_election_timeout()
          == c.randomized_election_timeout());
  }
  CHECK(seen.size() > 3);
}

TEST_CASE("§5.2 a candidate that receives votes from a majority becomes "
          "leader and appends a no-op of its term (§5.4.2)") {
  network net{{1, 2, 3}, no_prevote};
  net.elect(1);
  CHECK(net.raft(1).role() == node_role::leader);
  CHECK(net.raft(2).leader_id() == 1);
  CHECK(net.raft(3).leader_id() == 1);
  CHECK(net.raft(1).current_term() == 1);
  // The no-op is committed everywhere.
  for (node_id id : {1, 2, 3}) {
    CHECK(net.raft(id).log().committed() == 1);
    CHECK(net.raft(id).log().term_or_zero(1) == 1);
  }
}

TEST_CASE("§5.2 a single-voter cluster elects itself at once") {
  network net{{1}};
  net.elect(1);
  CHECK(net.raft(1).role() == node_role::leader);
  CHECK(net.raft(1).log().committed() == 1);
}

TEST_CASE("§5.2 elections happen by ticks alone and elect one leader") {
  network net{{1, 2, 3, 4, 5}};
  for (int i = 0; i < 100 && net.leader() == no_node; ++i)
    net.tick_all();
  auto leader = net.leader();
  REQUIRE(leader != no_node);
  int leaders = 0;
  for (node_id id = 1; id <= 5; ++id) {
    if (net.raft(id).role() == node_role::leader)
      ++leaders;
    CHECK(net.raft(id).leader_id() == leader);
  }
  CHECK(leaders == 1);
}

TEST_CASE("§5.2 each server votes for at most one candidate per term, "
          "first-come-first-served") {
  memory_storage s{three()};
  core c{core_config(1, s)};
  c.step(vote_request(2, 1, 1, 0, 0));
  auto out = c.take_messages();
  REQUIRE(out.size() == 1);
  CHECK(out[0].type == message_type::request_vote_response);
  CHECK_FALSE(out[0].reject);
  CHECK(c.voted_for() == 2);
  // Another candidate in the same term is refused.
  c.step(vote_request(3, 1, 1, 0, 0));
  out = c.take_messages();
  REQUIRE(out.size() == 1);
  CHECK(out[0].reject);
  // The same candidate asking again (a retransmission) is granted again.
  c.step(vote_request(2, 1, 1, 0, 0));
  out = c.take_messages();
  REQUIRE(out.size() == 1);
  CHECK_FALSE(out[0].reject);
}

TEST_CASE("§5.4.1 the voter denies its vote if its own log is more "
          "up-to-date than that of the candidate") {
  // Voter log: terms [1, 1, 2] (last index 3, last term 2).
  struct row {
    index_t last_index;
    term_t last_term;
    bool granted;
  };
  const row rows[] = {
    {3, 2, true},  // identical
    {4, 2, true},  // same term, longer
    {2, 2, false}, // same term, shorter
    {9, 1, false}, // longer but older last term
    {1, 3, true},  // newer last term wins even if shorter
    {0, 0, false}, // empty log
  };
  for (const auto& r : rows) {
    memory_storage s{three()};
    s.append(entries_with_terms({1, 1, 2}));
    s.set_hard_state({2, no_node, 0});
    core c{core_config(1, s)};
    c.step(vote_request(2, 1, 3, r.last_index, r.last_term));
    auto out = c.take_messages();
    REQUIRE(out.size() == 1);
    CAPTURE(r.last_index);
    CAPTURE(r.last_term);
    CHECK(out[0].reject == !r.granted);
    CHECK(c.current_term() == 3); // §5.1: adopts the higher term anyway.
  }
}

TEST_CASE("§5.1 a server that sees a higher term reverts to follower") {
  network net{{1, 2, 3}};
  net.elect(1);
  REQUIRE(net.raft(1).role() == node_role::leader);
  message m;
  m.type = message_type::append_entries_response;
  m.from = 2;
  m.to = 1;
  m.term = 5;
  net.node(1).step(m);
  CHECK(net.raft(1).role() == node_role::follower);
  CHECK(net.raft(1).current_term() == 5);
}

TEST_CASE("§5.1 requests with a stale term are rejected; a stale leader "
          "learns the newer term and steps down") {
  network net{{1, 2, 3}};
  net.elect(1);
  net.isolate(1);
  // 2 and 3 time out (their leader lease expires) and elect 2.
  for (int i = 0; i < 10; ++i) {
    net.tick(2);
    net.tick(3);
  }
  net.elect(2);
  REQUIRE(net.raft(2).role() == node_role::leader);
  CHECK(net.raft(1).role() == node_role::leader); // Does not know yet.
  net.heal();
  net.node(1).propose("lost");
  net.settle();
  CHECK(net.raft(1).role() == node_role::follower);
  net.tick(2); // Next heartbeat tells 1 who leads.
  net.settle();
  CHECK(net.raft(1).leader_id() == 2);
  CHECK(net.raft(1).log().committed() == net.raft(2).log().committed());
  CHECK(net.raft(1).current_term() == net.raft(2).current_term());
  // The stale leader's uncommitted entry was overwritten (§5.3).
  for (node_id id : {1, 2, 3})
    for (const auto& a : net.at(id).applied)
      CHECK(a != "lost");
}

TEST_CASE("§5.2 a candidate that loses the vote does not become leader") {
  network net{{1, 2, 3}, no_prevote};
  // 2 and 3 have longer logs: give them a leader 2 and some entries, then
  // cut 1 off before it hears of them.
  net.elect(2);
  net.isolate(1);
  net.node(2).propose("x");
  net.settle();
  net.heal();
  net.raft(2).take_messages();
  // Let 1 campaign at a higher term: everyone refuses (§5.4.1).
  net.node(1).campaign();
  net.settle();
  CHECK(net.raft(1).role() != node_role::leader);
}

TEST_CASE("thesis §9.6 pre-vote: a partitioned replica does not inflate "
          "its term and does not disrupt the leader when it returns") {
  network net{{1, 2, 3}};
  net.elect(1);
  auto term = net.raft(1).current_term();
  net.isolate(3);
  for (int i = 0; i < 100; ++i)
    net.tick_all();
  // 3 kept trying, but only pre-votes: its term did not move.
  CHECK(net.raft(3).current_term() == term);
  CHECK(net.raft(3).role() == node_role::pre_candidate);
  net.heal();
  net.tick_all(3);
  CHECK(net.raft(1).role() == node_role::leader);
  CHECK(net.raft(1).current_term() == term);
  CHECK(net.raft(3).role() == node_role::follower);
  CHECK(net.raft(3).leader_id() == 1);
}

TEST_CASE("without pre-vote a returning partitioned replica does disrupt "
          "(the failure pre-vote exists to prevent)") {
  network net{{1, 2, 3}, [](config& c) {
                c.pre_vote = false;
                c.check_quorum = false;
              }};
  net.elect(1);
  auto term = net.raft(1).current_term();
  net.isolate(3);
  for (int i = 0; i < 50; ++i)
    net.tick_all();
  CHECK(net.raft(3).current_term() > term);
  net.heal();
  net.tick_all(30);
  CHECK(net.raft(1).current_term() > term);
}

TEST_CASE("thesis §9.6 a pre-candidate becomes a candidate only after a "
          "quorum of pre-votes, and pre-votes change no one's term") {
  memory_storage s{three()};
  core c{core_config(1, s)};
  c.campaign();
  CHECK(c.role() == node_role::pre_candidate);
  CHECK(c.current_term() == 0);
  CHECK(c.voted_for() == no_node);
  auto pre = of_type(c.take_messages(), message_type::pre_vote);
  REQUIRE(pre.size() == 2);
  CHECK(pre[0].term == 1); // Asks about the next term.

  memory_storage s2{three()};
  core voter{core_config(2, s2)};
  voter.step(pre[0]);
  CHECK(voter.current_term() == 0);
  CHECK(voter.voted_for() == no_node);
  auto resp = voter.take_messages();
  REQUIRE(resp.size() == 1);
  CHECK(resp[0].type == message_type::pre_vote_response);
  CHECK_FALSE(resp[0].reject);
  c.step(resp[0]);
  CHECK(c.role() == node_role::candidate);
  CHECK(c.current_term() == 1);
  CHECK(of_type(c.take_messages(), message_type::request_vote).size() == 2);
}

TEST_CASE("thesis §4.2.3 a replica that heard from a leader within the "
          "election timeout ignores vote requests (leader lease)") {
  network net{{1, 2, 3}};
  net.elect(1);
  auto term = net.raft(2).current_term();
  net.node(2).step(vote_request(3, 2, term + 5, 100, term + 4));
  CHECK(net.raft(2).current_term() == term);
  CHECK(net.raft(2).voted_for() != 3);
  CHECK(net.raft(2).take_messages().empty());
}

TEST_CASE("thesis §6.2 check-quorum: a leader that has not heard from a "
          "quorum for an election timeout steps down") {
  network net{{1, 2, 3}};
  net.elect(1);
  net.isolate(1);
  for (int i = 0; i < 2 * 10 + 1; ++i) {
    net.node(1).tick();
    net.process(1);
  }
  CHECK(net.raft(1).role() == node_role::follower);
  CHECK(net.raft(1).leader_id() == no_node);
}

TEST_CASE("thesis §6.2 check-quorum keeps a leader that hears a quorum") {
  network net{{1, 2, 3}};
  net.elect(1);
  net.isolate(3);
  for (int i = 0; i < 50; ++i) {
    for (node_id id : {1, 2})
      net.tick(id);
    net.settle();
  }
  CHECK(net.raft(1).role() == node_role::leader);
}

TEST_CASE("Figure 2 votedFor is persisted: a restarted voter does not vote "
          "twice in one term") {
  network net{{1, 2, 3}, no_prevote};
  net.isolate(1);
  net.isolate(3);
  message req = vote_request(1, 2, 1, 0, 0);
  net.node(2).step(req);
  net.process(2);
  CHECK(net.at(2).storage.load_initial_state().hard.voted_for == 1);
  net.crash(2);
  net.recover(2);
  CHECK(net.raft(2).voted_for() == 1);
  CHECK(net.raft(2).current_term() == 1);
  net.node(2).step(vote_request(3, 2, 1, 0, 0));
  auto out = net.node(2).get_ready();
  REQUIRE(out.messages.size() == 1);
  CHECK(out.messages[0].reject);
}

TEST_CASE("thesis §4.2.1 learners never campaign") {
  network net{{1, 2}, {}, {3}};
  for (int i = 0; i < 100; ++i) {
    net.tick(3);
    net.process(3);
  }
  CHECK(net.raft(3).role() == node_role::follower);
  CHECK(net.raft(3).current_term() == 0);
  CHECK(net.queue().empty());
}

TEST_CASE("a vote-response majority counts only voters, not learners") {
  network net{{1, 2, 3}, no_prevote, {4, 5}};
  net.isolate(2);
  net.isolate(3);
  net.node(1).campaign();
  net.settle();
  CHECK(net.raft(1).role() == node_role::candidate);
}
