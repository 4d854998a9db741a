// The simulated disk (sim_store) and the host that drives the shipped
// replica_driver over it (replica): fsync latency holds the driver's output,
// a crash loses unsynced writes, the planted disk faults do what they say,
// and a failed write sends the driver down its fatal path.

#include <doctest/doctest.h>

#include "tests/sim/replica.hpp"

namespace store = pact::store;
namespace raft = pact::raft;
using namespace pact::sim;

namespace {

raft::conf_state three() {
  raft::conf_state cs;
  cs.voters = {1, 2, 3};
  return cs;
}

std::vector<raft::entry> entries(raft::index_t from, raft::index_t to,
                                 raft::term_t term) {
  std::vector<raft::entry> out;
  for (auto i = from; i <= to; ++i) {
    raft::entry e;
    e.index = i;
    e.term = term;
    e.data = "e" + std::to_string(i);
    out.push_back(e);
  }
  return out;
}

store::write_batch batch(const std::vector<raft::entry>& ents,
                         const raft::hard_state& hs) {
  store::write_batch b;
  b.entries = &ents;
  b.hard_state = &hs;
  return b;
}

/// Records what the replica reports; checks nothing.
struct quiet_observer final : apply_observer {
  void on_apply(node_id, const raft::entry&, std::uint64_t) override {
    ++applied;
  }
  void on_restore(node_id, raft::index_t, std::uint64_t) override {
  }
  void on_persisted(const replica&) override {
    ++persisted;
  }
  int applied = 0;
  int persisted = 0;
};

} // namespace

TEST_CASE("sim_store: a write is visible at once and durable at its tick") {
  sim_store s{three(), rng{1}};
  s.set_fsync_ticks(3, 3);
  s.set_now(10);
  auto ents = entries(1, 2, 1);
  raft::hard_state hs{1, 1, 0};
  REQUIRE(s.save(batch(ents, hs)).ok());
  CHECK(s.last_index() == 2); // The page cache answers reads.
  CHECK(s.durable().last_index() == 0);
  REQUIRE(s.sync_due());
  CHECK(*s.sync_due() == 13);
  CHECK_FALSE(s.complete(12));
  CHECK(s.complete(13));
  CHECK_FALSE(s.sync_due());
  CHECK(s.durable().last_index() == 2);
  CHECK(s.durable().load_initial_state().hard == hs);
  CHECK(s.stats().fsyncs == 1);
}

TEST_CASE("sim_store: writes complete in order and a crash loses the "
          "unsynced ones") {
  sim_store s{three(), rng{2}};
  s.set_now(0);
  s.set_fsync_ticks(5, 5);
  auto first = entries(1, 1, 1);
  raft::hard_state hs1{1, 2, 0};
  REQUIRE(s.save(batch(first, hs1)).ok()); // done at 5
  s.set_fsync_ticks(0, 0);
  auto second = entries(2, 2, 1);
  raft::hard_state hs2{1, 2, 1};
  REQUIRE(s.save(batch(second, hs2)).ok()); // not before the first: 5
  CHECK(*s.sync_due() == 5);
  CHECK_FALSE(s.complete(4));
  s.crash();
  CHECK(s.stats().lost_batches == 2);
  CHECK(s.last_index() == 0); // The volatile view is the disk again.
  CHECK(s.load_initial_state().hard.empty());
  CHECK_FALSE(s.sync_due());
}

TEST_CASE("sim_store: the lying disk acknowledges at once, yet loses the "
          "write in a crash") {
  sim_store s{three(), rng{3}};
  s.set_fsync_ticks(4, 4);
  s.lie_about_fsync(true);
  auto ents = entries(1, 1, 1);
  raft::hard_state hs{1, 1, 0};
  REQUIRE(s.save(batch(ents, hs)).ok());
  CHECK_FALSE(s.sync_due()); // The host thinks it is durable ...
  s.crash();
  CHECK(s.last_index() == 0); // ... and it was not.
}

TEST_CASE("sim_store: the forgetful disk drops voted_for in a crash") {
  sim_store s{three(), rng{4}};
  std::vector<raft::entry> none;
  raft::hard_state hs{3, 2, 0};
  REQUIRE(s.save(batch(none, hs)).ok());
  REQUIRE(s.complete(0));
  s.forget_vote_on_crash(true);
  s.crash();
  CHECK(s.load_initial_state().hard.current_term == 3);
  CHECK(s.load_initial_state().hard.voted_for == raft::no_node);
}

TEST_CASE("sim_store: a failed write changes nothing and leaves the store "
          "failed until a crash reopens it") {
  sim_store s{three(), rng{5}};
  s.fail_next_write("simulated full disk", true);
  auto ents = entries(1, 1, 1);
  raft::hard_state hs{1, 1, 0};
  CHECK_FALSE(s.save(batch(ents, hs)).ok());
  CHECK(s.failed());
  CHECK(s.full());
  CHECK(s.last_index() == 0);
  CHECK_FALSE(s.sync_due());
  CHECK_FALSE(s.save(batch(ents, hs)).ok()); // Refused after a failure.
  s.crash();
  CHECK_FALSE(s.failed());
  CHECK(s.save(batch(ents, hs)).ok());
}

TEST_CASE("replica: the driver's output waits for the fsync of its write") {
  quiet_observer obs;
  replica_options ro;
  ro.min_fsync_ticks = 3;
  ro.max_fsync_ticks = 3;
  replica r{1, three(), ro, rng{6}, &obs};
  r.start();
  r.driver().campaign(); // Pre-vote: no write, so the requests leave.
  std::vector<packet> out;
  r.pump(0, out);
  CHECK(out.size() == 2);
  // Both grant the pre-vote; the real campaign persists term and vote
  // first, and its vote requests must wait for that fsync.
  for (node_id from : {2, 3}) {
    raft::message m;
    m.type = raft::message_type::pre_vote_response;
    m.from = from;
    m.to = 1;
    m.term = 1;
    r.step(m);
  }
  out.clear();
  r.pump(0, out);
  CHECK(out.empty());
  REQUIRE(r.fsync_due());
  CHECK(*r.fsync_due() == 3);
  r.pump(2, out);
  CHECK(out.empty()); // Still not durable.
  r.pump(3, out);
  CHECK(out.size() == 2);
  for (const auto& p : out)
    CHECK(p.raft.type == raft::message_type::request_vote);
  CHECK(r.store().durable().load_initial_state().hard.voted_for == 1);
}

TEST_CASE("replica: a crash before the fsync loses the vote and its "
          "requests") {
  quiet_observer obs;
  replica_options ro;
  ro.pre_vote = false;
  ro.min_fsync_ticks = 2;
  ro.max_fsync_ticks = 2;
  replica r{1, three(), ro, rng{7}, &obs};
  r.start();
  r.driver().campaign();
  std::vector<packet> out;
  r.pump(0, out);
  CHECK(out.empty());
  r.crash();
  CHECK(r.store().stats().lost_batches == 1);
  r.start();
  CHECK(r.node().core().current_term() == 0);
  CHECK(r.node().core().voted_for() == raft::no_node);
}

TEST_CASE("replica: a failed write stops the driver, which sends nothing "
          "and refuses writes until restarted") {
  quiet_observer obs;
  replica_options ro;
  ro.pre_vote = false;
  replica r{1, three(), ro, rng{8}, &obs};
  r.start();
  r.fail_next_write(false);
  r.driver().campaign();
  std::vector<packet> out;
  r.pump(0, out);
  CHECK(out.empty()); // The vote was never durable: no request left.
  CHECK(r.failed());
  CHECK(r.stats().store_failures == 1);
  client_request rq;
  rq.kind = lin::op_kind::write;
  rq.client = 1;
  rq.seq = 1;
  rq.key = "k";
  rq.value = "v";
  r.on_request(rq, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].reply.status != reply_status::ok);
  r.crash();
  r.start();
  CHECK_FALSE(r.failed());
}
