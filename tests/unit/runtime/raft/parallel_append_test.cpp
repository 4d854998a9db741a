// Thesis §10.2.1: the leader appends to its own disk in parallel with
// replicating. Its AppendEntries may leave before its write (ready step 0);
// it counts itself toward a commit only once the host reports the write
// durable (step 1b); followers and candidates still persist before they
// answer (step 2).

#include <doctest/doctest.h>

#include "tests/unit/runtime/raft/test_cluster.hpp"

using namespace pact::raft;
using namespace pact::raft::test;

namespace {

bool has_type(const std::vector<message>& ms, message_type t) {
  return !of_type(ms, t).empty();
}

/// A three-voter cluster with replica 1 elected and everything settled.
network elected_three() {
  network net{{1, 2, 3}};
  net.elect(1);
  REQUIRE(net.leader() == 1);
  return net;
}

} // namespace

TEST_CASE("a leader's AppendEntries for new entries leave before its write; "
          "a follower's answer waits for the follower's write") {
  auto net = elected_three();
  REQUIRE(net.node(1).propose("x") == status::ok);
  auto rd = net.node(1).get_ready();
  REQUIRE(rd.entries.size() == 1);
  auto early = of_type(rd.early_messages, message_type::append_entries);
  REQUIRE(early.size() == 2);
  CHECK(early[0].entries == rd.entries);
  CHECK_FALSE(has_type(rd.messages, message_type::append_entries));
  // The follower's side: its acknowledgement is never early.
  net.node(2).step(early[0]);
  auto frd = net.node(2).get_ready();
  CHECK(frd.early_messages.empty());
  REQUIRE(frd.entries.size() == 1);
  CHECK(has_type(frd.messages, message_type::append_entries_response));
}

TEST_CASE("vote requests and vote answers never leave before the hard state "
          "they depend on") {
  network net{{1, 2, 3}, [](config& cfg) { cfg.pre_vote = false; }};
  net.node(2).campaign();
  auto rd = net.node(2).get_ready();
  REQUIRE(rd.hard_state);
  CHECK(rd.early_messages.empty());
  auto reqs = of_type(rd.messages, message_type::request_vote);
  REQUIRE(reqs.size() == 2);
  net.node(3).step(reqs[1]);
  auto vrd = net.node(3).get_ready();
  REQUIRE(vrd.hard_state);
  CHECK(vrd.hard_state->voted_for == 2);
  CHECK(vrd.early_messages.empty());
  CHECK(has_type(vrd.messages, message_type::request_vote_response));
}

TEST_CASE("a single voter commits only after the host reports its write "
          "durable, never because it appended") {
  memory_storage s{conf_state{{1}, {}}};
  raw_node n{core_config(1, s)};
  auto write = [&s](const ready& rd) {
    if (rd.hard_state)
      s.set_hard_state(*rd.hard_state);
    s.append(rd.entries);
  };
  n.campaign();
  REQUIRE(n.core().role() == node_role::leader);
  auto rd = n.get_ready();
  REQUIRE(rd.entries.size() == 1); // The no-op.
  CHECK(rd.committed_entries.empty());
  CHECK(n.core().log().committed() == 0);
  write(rd);
  n.advance(rd);
  // Written but not reported durable: still nothing committed.
  CHECK(n.core().log().committed() == 0);
  n.persisted(1, 1);
  CHECK(n.core().log().committed() == 1);
  REQUIRE(n.core().propose("x") == status::ok);
  CHECK(n.core().log().committed() == 1);
  rd = n.get_ready();
  write(rd);
  n.advance(rd);
  CHECK(n.core().log().committed() == 1);
  n.persisted(2, 1);
  CHECK(n.core().log().committed() == 2);
  rd = n.get_ready();
  REQUIRE(rd.committed_entries.size() == 1);
  CHECK(rd.committed_entries[0].data == "x");
}

TEST_CASE("a single voter that just elected itself sends nothing early: "
          "its term is not durable yet") {
  memory_storage s{conf_state{{1}, {2}}};
  raw_node n{core_config(1, s)};
  n.campaign();
  REQUIRE(n.core().role() == node_role::leader);
  n.tick(); // A heartbeat to the learner.
  auto rd = n.get_ready();
  REQUIRE(rd.hard_state);
  CHECK(rd.early_messages.empty());
  CHECK(has_type(rd.messages, message_type::heartbeat));
  s.set_hard_state(*rd.hard_state);
  s.append(rd.entries);
  n.persisted(1, 1);
  n.advance(rd);
  // Now its term is durable: the next entry goes out before its write.
  REQUIRE(n.core().propose("x") == status::ok);
  rd = n.get_ready();
  CHECK(has_type(rd.early_messages, message_type::append_entries));
  CHECK_FALSE(has_type(rd.messages, message_type::append_entries));
}

TEST_CASE("while the leader's write is pending, the acknowledgements of a "
          "quorum of followers commit its entry") {
  auto net = elected_three();
  net.stall_disk(1);
  REQUIRE(net.node(1).propose("x") == status::ok);
  auto x = net.raft(1).log().last_index();
  net.settle();
  REQUIRE(net.write_pending(1));
  CHECK(net.raft(1).durable_index() < x);
  // Replicas 2 and 3 persisted and acknowledged: a quorum without the
  // leader's own copy.
  CHECK(net.raft(1).log().committed() == x);
  net.finish_write(1);
  net.settle();
  CHECK(net.at(1).applied.back() == "x");
}

TEST_CASE("while the leader's write is pending, one follower's "
          "acknowledgement does not commit: the leader's copy is not "
          "durable yet") {
  auto net = elected_three();
  net.cut(1, 3);
  net.stall_disk(1);
  REQUIRE(net.node(1).propose("x") == status::ok);
  auto x = net.raft(1).log().last_index();
  net.settle();
  REQUIRE(net.write_pending(1));
  CHECK(net.raft(1).peers().find(2)->match_index == x);
  CHECK(net.raft(1).peers().find(1)->match_index < x);
  CHECK(net.raft(1).log().committed() < x);
  // The write completes: leader + replica 2 are a durable quorum.
  net.finish_write(1);
  CHECK(net.raft(1).log().committed() == x);
}

TEST_CASE("a leader that crashes before its write keeps entries a quorum of "
          "followers persisted committed; the next leader has them") {
  auto net = elected_three();
  net.stall_disk(1);
  REQUIRE(net.node(1).propose("x") == status::ok);
  auto x = net.raft(1).log().last_index();
  net.settle();
  REQUIRE(net.raft(1).log().committed() == x);
  net.crash(1); // The pending write is lost.
  net.recover(1);
  CHECK(net.raft(1).log().last_index() < x);
  net.tick_all(40); // Replica 2 or 3 times out and wins.
  auto leader = net.leader();
  REQUIRE((leader == 2 || leader == 3));
  for (node_id id : {1, 2, 3}) {
    CAPTURE(id);
    CHECK(net.raft(id).log().committed() > x);
    REQUIRE_FALSE(net.at(id).applied.empty());
    CHECK(net.at(id).applied.back() == "x");
  }
}

TEST_CASE("a leader that crashes before its write, with only one follower "
          "holding the entry, had not committed it: the next leader may "
          "drop it and loses nothing committed") {
  // Before §10.2.1 counting, the leader counted its unwritten copy: 1 and
  // 2 made a quorum, x was committed, and the crash below lost it.
  auto net = elected_three();
  net.cut(1, 3);
  net.stall_disk(1);
  REQUIRE(net.node(1).propose("x") == status::ok);
  auto x = net.raft(1).log().last_index();
  net.settle();
  auto committed = net.raft(1).log().committed();
  REQUIRE(committed < x);
  auto old_term = net.raft(1).current_term();
  net.crash(1);
  net.heal();
  net.recover(1);
  net.isolate(2); // The only durable copy of x is out of reach.
  net.tick_all(40);
  auto leader = net.leader();
  REQUIRE((leader == 1 || leader == 3));
  const auto& log = net.raft(leader).log();
  CHECK(log.term_or_zero(x) != old_term);  // x is gone ...
  for (index_t i = 1; i <= committed; ++i) // ... nothing committed is.
    CHECK(log.match_term(i, net.raft(2).log().term_or_zero(i)));
  for (node_id id : {1, 3})
    for (const auto& a : net.at(id).applied)
      CHECK(a != "x");
}

TEST_CASE("a ready that moves only the commit index need not be synced, "
          "and advance() accepts the stored commit index lagging") {
  // etcd's raft.MustSync: without this, counting the leader's copy only
  // once durable would cost a second fsync per batch for the commit index.
  memory_storage s{conf_state{{1}, {}}};
  raw_node n{core_config(1, s)};
  n.campaign();
  auto rd = n.get_ready();
  CHECK(rd.must_sync); // term, vote and the no-op
  s.set_hard_state(*rd.hard_state);
  s.append(rd.entries);
  n.persisted(1, 1);
  n.advance(rd);
  rd = n.get_ready();
  REQUIRE(rd.hard_state);
  CHECK(rd.hard_state->commit_index == 1);
  CHECK(rd.entries.empty());
  CHECK_FALSE(rd.must_sync);
  REQUIRE(rd.committed_entries.size() == 1);
  n.advance(rd); // the commit index was not written: accepted
  CHECK(s.load_initial_state().hard.commit_index == 0);
  CHECK(n.core().log().applied() == 1);
  // A restart whose state machine applied past the stored commit index
  // (a snapshot taken meanwhile) trusts the applied index.
  auto cfg = core_config(1, s);
  cfg.applied = 1;
  raw_node again{cfg};
  CHECK(again.core().log().committed() == 1);
}

TEST_CASE("advance() still refuses a ready whose term or vote was not "
          "written") {
  memory_storage s{conf_state{{1, 2, 3}, {}}};
  raw_node n{core_config(2, s)};
  message req;
  req.type = message_type::request_vote;
  req.from = 1;
  req.to = 2;
  req.term = 1;
  n.step(req);
  auto rd = n.get_ready();
  CHECK(rd.must_sync);
  REQUIRE(rd.hard_state);
  CHECK(rd.hard_state->voted_for == 1);
}
