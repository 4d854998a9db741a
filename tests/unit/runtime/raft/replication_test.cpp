// Log replication (§5.3), the commit rule (§5.4.2), flow control
// (pipelining, batching) and heartbeats.

#include <doctest/doctest.h>

#include "tests/unit/runtime/raft/test_cluster.hpp"

using namespace pact::raft;
using namespace pact::raft::test;

namespace {

std::vector<term_t> log_terms(core& c) {
  std::vector<term_t> out;
  for (index_t i = 1; i <= c.log().last_index(); ++i)
    out.push_back(c.log().term_or_zero(i));
  return out;
}

void no_prevote(config& cfg) {
  cfg.pre_vote = false;
}

message append(node_id from, node_id to, term_t term, index_t prev,
               term_t prev_term, std::vector<entry> ents, index_t commit) {
  message m;
  m.type = message_type::append_entries;
  m.from = from;
  m.to = to;
  m.term = term;
  m.log_index = prev;
  m.log_term = prev_term;
  m.entries = std::move(ents);
  m.commit = commit;
  return m;
}

} // namespace

TEST_CASE("§5.3 the leader replicates an entry and commits it once a "
          "majority stores it; every replica applies it in order") {
  network net{{1, 2, 3}};
  net.elect(1);
  CHECK(net.node(1).propose("a") == status::ok);
  CHECK(net.node(1).propose("b") == status::ok);
  net.settle();
  net.tick_all(); // A heartbeat carries the final commit index.
  for (node_id id : {1, 2, 3}) {
    CHECK(net.raft(id).log().committed() == 3);
    CHECK(net.at(id).applied == std::vector<std::string>{"a", "b"});
  }
}

TEST_CASE("§5.3 an entry stored on a minority is not committed") {
  network net{{1, 2, 3, 4, 5}};
  net.elect(1);
  net.isolate(3);
  net.isolate(4);
  net.isolate(5);
  net.node(1).propose("x");
  net.settle();
  CHECK(net.raft(1).log().committed() == 1); // Only the no-op.
  CHECK(net.at(1).applied.empty());
  net.heal();
  net.tick_all(2);
  CHECK(net.raft(1).log().committed() == 2);
  CHECK(net.at(5).applied == std::vector<std::string>{"x"});
}

TEST_CASE("followers and candidates refuse proposals; the host forwards") {
  network net{{1, 2, 3}};
  CHECK(net.node(2).propose("x") == status::no_leader);
  net.elect(1);
  CHECK(net.node(2).propose("x") == status::not_leader);
  CHECK(net.raft(2).leader_id() == 1);
}

TEST_CASE("§5.3 Figure 7: the leader brings every follower's log in line "
          "with its own, deleting conflicting entries") {
  const std::vector<term_t> leader = {1, 1, 1, 4, 4, 5, 5, 6, 6, 6};
  const std::vector<std::vector<term_t>> followers = {
    {1, 1, 1, 4, 4, 5, 5, 6, 6},          // (a) missing one
    {1, 1, 1, 4},                         // (b) missing many
    {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6},    // (c) extra uncommitted entry
    {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7}, // (d) extra entries of term 7
    {1, 1, 1, 4, 4, 4, 4},                // (e) missing and extra
    {1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3},    // (f) extra terms 2 and 3
  };
  for (std::size_t i = 0; i < followers.size(); ++i) {
    CAPTURE(i);
    network net{{1, 2, 3}, no_prevote};
    net.load(1, entries_with_terms(leader), {7, no_node, 0});
    net.load(3, entries_with_terms(leader), {7, no_node, 0});
    net.load(2, entries_with_terms(followers[i]), {7, no_node, 0});
    net.elect(1);
    REQUIRE(net.raft(1).role() == node_role::leader);
    CHECK(net.raft(1).current_term() == 8);
    auto expected = leader;
    expected.push_back(8); // The leader's no-op.
    CHECK(log_terms(net.raft(2)) == expected);
    CHECK(log_terms(net.raft(1)) == expected);
    // Durable, too.
    CHECK(net.at(2).storage.last_index() == expected.size());
  }
}

TEST_CASE("§5.3 the conflict hint skips a whole term per round trip") {
  const std::vector<term_t> leader = {1, 1, 1, 4, 4, 5, 5, 6, 6, 6};
  network net{{1, 2, 3}, no_prevote};
  net.load(1, entries_with_terms(leader), {7, no_node, 0});
  net.load(3, entries_with_terms(leader), {7, no_node, 0});
  // Figure 7 (f): 8 entries differ from the leader's log.
  net.load(2, entries_with_terms({1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3}),
           {7, no_node, 0});
  net.elect(1);
  int rejections = 0;
  for (const auto& m : net.sent())
    if (m.type == message_type::append_entries_response && m.from == 2
        && m.reject)
      ++rejections;
  // Without the hint the leader would back off one index per rejection
  // (7 rejections); with it, one round finds the match at index 3.
  CHECK(rejections == 1);
  CHECK(net.raft(2).log().last_index() == 11);
}

TEST_CASE("§5.3 AppendEntries consistency check: reply false if the log "
          "has no entry at prevLogIndex with term prevLogTerm") {
  memory_storage s{conf_state{{1, 2, 3}, {}}};
  s.append(entries_with_terms({1, 1, 2}));
  s.set_hard_state({2, no_node, 0});
  core c{core_config(2, s)};

  SUBCASE("term mismatch at prevLogIndex") {
    c.step(append(1, 2, 3, 3, 3, {}, 0));
    auto out = c.take_messages();
    REQUIRE(out.size() == 1);
    CHECK(out[0].reject);
    CHECK(out[0].log_index == 3);
    // Hint: index 3 holds term 2 <= 3; the leader can probe from there.
    CHECK(out[0].hint_index == 3);
    CHECK(out[0].hint_term == 2);
  }
  SUBCASE("prevLogIndex beyond the log") {
    c.step(append(1, 2, 3, 7, 3, {}, 0));
    auto out = c.take_messages();
    REQUIRE(out.size() == 1);
    CHECK(out[0].reject);
    CHECK(out[0].hint_index == 3);
  }
  SUBCASE("match: entries are appended and acknowledged") {
    c.step(append(1, 2, 3, 3, 2, entries_with_terms({3, 3}, 4), 4));
    auto out = c.take_messages();
    REQUIRE(out.size() == 1);
    CHECK_FALSE(out[0].reject);
    CHECK(out[0].log_index == 5);
    // commitIndex = min(leaderCommit, index of last new entry).
    CHECK(c.log().committed() == 4);
  }
  SUBCASE("a conflicting entry and all that follow it are deleted") {
    c.step(append(1, 2, 3, 1, 1, entries_with_terms({3}, 2), 0));
    CHECK(c.log().last_index() == 2);
    CHECK(c.log().term_or_zero(2) == 3);
  }
  SUBCASE("a stale, shorter AppendEntries does not truncate the log") {
    c.step(append(1, 2, 3, 1, 1, entries_with_terms({1}, 2), 0));
    CHECK(c.log().last_index() == 3);
    CHECK(c.log().term_or_zero(3) == 2);
  }
}

TEST_CASE("§5.4.2 Figure 8: a leader does not commit an entry of an earlier "
          "term by counting replicas, only through one of its own term") {
  memory_storage s{conf_state{{1, 2, 3}, {}}};
  // Index 2 was written by the leader of term 2 and never committed.
  s.append(entries_with_terms({1, 2}));
  s.set_hard_state({2, no_node, 1});
  auto cfg = core_config(1, s);
  cfg.pre_vote = false;
  core c{cfg};
  c.campaign();
  message grant;
  grant.type = message_type::request_vote_response;
  grant.from = 2;
  grant.to = 1;
  grant.term = 3;
  c.step(grant);
  REQUIRE(c.role() == node_role::leader);
  REQUIRE(c.log().last_index() == 3); // The no-op of term 3.
  c.on_persisted(3, 3);               // ... is durable on the leader.
  c.take_messages();

  message ack;
  ack.type = message_type::append_entries_response;
  ack.from = 2;
  ack.to = 1;
  ack.term = 3;
  ack.log_index = 2; // A majority (1, 2) now stores index 2 of term 2 ...
  c.step(ack);
  CHECK(c.log().committed() == 1); // ... but it is not committed.
  ack.log_index = 3;
  c.step(ack);
  CHECK(c.log().committed() == 3); // Committing 3 commits 2 as well.
}

TEST_CASE("pipelining: at most max_inflight_msgs AppendEntries are "
          "unacknowledged per follower") {
  network net{{1, 2}, [](config& cfg) {
                cfg.max_inflight_msgs = 2;
                cfg.max_entries_per_msg = 1;
              }};
  net.elect(1);
  REQUIRE(net.raft(1).peers().find(2)->state == progress_state::replicate);
  for (int i = 0; i < 5; ++i)
    net.node(1).propose("e" + std::to_string(i));
  net.process(1);
  auto apps = of_type({net.queue().begin(), net.queue().end()},
                      message_type::append_entries);
  CHECK(apps.size() == 2);
  CHECK(net.raft(1).peers().find(2)->inflight.full());
  // Acknowledgements open the window again, until everything is sent.
  net.settle();
  CHECK(net.raft(2).log().last_index() == 6);
  CHECK(net.raft(1).log().committed() == 6);
}

TEST_CASE("batching: an AppendEntries carries at most max_entries_per_msg "
          "entries and max_bytes_per_msg bytes") {
  SUBCASE("entry count") {
    network net{{1, 2}, [](config& cfg) { cfg.max_entries_per_msg = 3; }};
    net.elect(1);
    net.cut(1, 2);
    for (int i = 0; i < 10; ++i)
      net.node(1).propose("x");
    net.settle();
    net.heal();
    net.sent().clear();
    net.tick_all(3);
    bool any = false;
    for (const auto& m : of_type(net.sent(), message_type::append_entries)) {
      CHECK(m.entries.size() <= 3);
      any = any || !m.entries.empty();
    }
    CHECK(any);
    CHECK(net.raft(2).log().last_index() == 11);
  }
  SUBCASE("bytes") {
    network net{{1, 2}, [](config& cfg) {
                  cfg.max_bytes_per_msg = 2 * (100 + entry_overhead_bytes);
                }};
    net.elect(1);
    net.cut(1, 2);
    for (int i = 0; i < 6; ++i)
      net.node(1).propose(std::string(100, 'x'));
    net.settle();
    net.heal();
    net.sent().clear();
    net.tick_all(3);
    for (const auto& m : of_type(net.sent(), message_type::append_entries))
      CHECK(m.entries.size() <= 2);
    CHECK(net.raft(2).log().last_index() == 7);
  }
}

TEST_CASE("heartbeats carry the commit index, capped at the follower's "
          "match index") {
  network net{{1, 2, 3}};
  net.elect(1);
  // 3 misses the proposal entirely.
  net.cut(1, 3);
  net.node(1).propose("x");
  net.settle();
  net.heal();
  REQUIRE(net.raft(1).log().committed() == 2);
  // 2 already stores index 2 but may not know it is committed yet.
  net.sent().clear();
  net.node(1).tick();
  net.process(1);
  for (const auto& m : net.queue()) {
    if (m.type != message_type::heartbeat)
      continue;
    if (m.to == 2)
      CHECK(m.commit == 2);
    if (m.to == 3)
      CHECK(m.commit == 1); // Its match index.
  }
  net.settle();
  CHECK(net.raft(2).log().committed() == 2);
  CHECK(net.raft(3).log().committed() == 2);
}

TEST_CASE("a follower advances its commit index from a heartbeat") {
  memory_storage s{conf_state{{1, 2}, {}}};
  s.append(entries_with_terms({1, 1, 1}));
  s.set_hard_state({1, 1, 0});
  core c{core_config(2, s)};
  message hb;
  hb.type = message_type::heartbeat;
  hb.from = 1;
  hb.to = 2;
  hb.term = 1;
  hb.commit = 2;
  c.step(hb);
  CHECK(c.log().committed() == 2);
  CHECK(c.leader_id() == 1);
  auto out = c.take_messages();
  REQUIRE(out.size() == 1);
  CHECK(out[0].type == message_type::heartbeat_response);
}

TEST_CASE("replication survives message loss: a lost AppendEntries is "
          "retried after the heartbeat response") {
  network net{{1, 2, 3}};
  net.elect(1);
  int dropped = 0;
  net.drop_if([&](const message& m) {
    if (m.type == message_type::append_entries && !m.entries.empty()
        && dropped < 2) {
      ++dropped;
      return true;
    }
    return false;
  });
  net.node(1).propose("x");
  net.settle();
  net.heal();
  CHECK(net.raft(1).log().committed() == 1);
  net.tick_all(3);
  CHECK(net.raft(1).log().committed() == 2);
  CHECK(net.at(3).applied == std::vector<std::string>{"x"});
}

TEST_CASE("a restarted follower catches up from its durable log") {
  network net{{1, 2, 3}};
  net.elect(1);
  net.node(1).propose("a");
  net.settle();
  net.crash(3);
  net.node(1).propose("b");
  net.settle();
  net.recover(3);
  net.tick_all(3);
  CHECK(net.raft(3).log().last_index() == 3);
  CHECK(net.at(3).applied == std::vector<std::string>{"a", "b"});
}

TEST_CASE("Figure 2: an acknowledgement of entries the leader never sent "
          "is dropped; matchIndex stays within the leader's log") {
  network net{{1, 2, 3}};
  net.elect(1);
  auto& leader = net.raft(1);
  auto last = leader.log().last_index();
  auto committed = leader.log().committed();
  message bogus;
  bogus.type = message_type::append_entries_response;
  bogus.from = 2;
  bogus.to = 1;
  bogus.term = leader.current_term();
  bogus.log_index = last + 5;
  net.node(1).step(bogus);
  CHECK(leader.peers().find(2)->match_index <= last);
  CHECK(leader.log().committed() == committed);
  // The invariant check agrees (it aborts on a violation).
  leader.check_invariants();
}
