// The replica host loop over in-memory stores: proposals complete once
// applied on the leader, every replica applies the same commands, a new
// leader takes over, snapshots compact the log, a failed store stops the
// replica instead of acknowledging.

#include <doctest/doctest.h>

#include <deque>
#include <memory>

#include "runtime/replica/replica_driver.hpp"
#include "runtime/store/memory_store.hpp"
#include "tests/unit/runtime/replica/driver_cluster.hpp"

using namespace pact;
using namespace pact::replica;

namespace {

struct test_replica {
  std::unique_ptr<store::memory_store> store;
  digest_machine sm;
  std::unique_ptr<replica_driver> driver;
  bool up = true;
};

struct cluster : test::driver_cluster<test_replica> {
  uint64_t snapshot_interval = 1000000;

  /// With `hook_early`, early messages leave through driver_config's
  /// send_early, and each batch is logged with the sender's stored last
  /// index at that moment.
  struct early_batch {
    raft::node_id from = 0;
    raft::index_t stored_last = 0;
    std::vector<raft::message> messages;
  };
  std::vector<early_batch> early;

  explicit cluster(size_t n, uint64_t snap_interval = 1000000,
                   bool hook_early = false)
    : driver_cluster(n), snapshot_interval(snap_interval) {
    raft::conf_state conf;
    for (size_t i = 1; i <= n; ++i)
      conf.voters.push_back(i);
    for (size_t i = 0; i < n; ++i) {
      auto& r = nodes[i];
      r.store = std::make_unique<store::memory_store>(conf);
      driver_config cfg;
      cfg.raft.id = i + 1;
      cfg.raft.election_timeout_ticks = 10;
      cfg.snapshot_interval = snapshot_interval;
      cfg.compact_retain = 5;
      if (hook_early)
        cfg.send_early = [this, &r, i](std::vector<raft::message>& ms) {
          early.push_back({i + 1, r.store->last_index(), ms});
          for (auto& m : ms)
            wire.push_back(std::move(m));
        };
      r.driver = std::make_unique<replica_driver>(cfg, *r.store, r.sm);
      REQUIRE(r.driver->start());
    }
  }
};

} // namespace

TEST_CASE("a proposal completes with its index once applied") {
  cluster c(3);
  auto lead = c.elect();
  auto st = c.at(lead).driver->propose(77, "hello");
  REQUIRE(st == raft::status::ok);
  c.pump();
  REQUIRE(c.done.size() == 1);
  CHECK(c.done[0].tag == 77);
  CHECK(c.done[0].ok);
  CHECK(c.done[0].index == c.at(lead).driver->applied_index());
  c.ticks(2); // followers learn the commit index from heartbeats
  for (auto& r : c.nodes)
    CHECK(r.sm.digest() == c.at(lead).sm.digest());
}

TEST_CASE("followers refuse proposals and name the leader") {
  cluster c(3);
  auto lead = c.elect();
  auto follower = lead == 1 ? 2 : 1;
  CHECK(c.at(follower).driver->propose(1, "x") == raft::status::not_leader);
  CHECK(c.at(follower).driver->leader() == lead);
}

TEST_CASE("after the leader fails a new one is elected and history holds") {
  cluster c(3);
  auto lead = c.elect();
  for (uint64_t i = 0; i < 20; ++i)
    REQUIRE(c.at(lead).driver->propose(i, "v" + std::to_string(i))
            == raft::status::ok);
  c.pump();
  CHECK(c.done.size() == 20);
  c.at(lead).up = false;
  auto term = c.at(lead).driver->term();
  auto next = c.elect();
  CHECK(next != lead);
  CHECK(c.at(next).driver->term() > term);
  REQUIRE(c.at(next).driver->propose(100, "after") == raft::status::ok);
  c.pump();
  CHECK(c.done.back().tag == 100);
  CHECK(c.done.back().ok);
  CHECK(c.at(next).sm.commands() == 21);
}

TEST_CASE("linearizable reads complete once the read point is applied") {
  cluster c(3);
  auto lead = c.elect();
  REQUIRE(c.at(lead).driver->propose(1, "w") == raft::status::ok);
  c.pump();
  REQUIRE(c.at(lead).driver->read_index(9) == raft::status::ok);
  c.pump();
  REQUIRE(c.done.size() == 2);
  CHECK(c.done[1].tag == 9);
  CHECK(c.done[1].ok);
  CHECK(c.done[1].index >= c.done[0].index);
}

TEST_CASE("snapshots compact the log and a lagging follower catches up") {
  cluster c(3, 10);
  auto lead = c.elect();
  auto lagging = lead == 3 ? 2 : 3;
  c.at(lagging).up = false;
  for (uint64_t i = 0; i < 60; ++i) {
    REQUIRE(c.at(lead).driver->propose(i, "e" + std::to_string(i))
            == raft::status::ok);
    c.pump();
  }
  CHECK(c.at(lead).store->first_index() > 1); // compacted
  c.at(lagging).up = true;
  c.ticks(30);
  CHECK(c.at(lagging).sm.digest() == c.at(lead).sm.digest());
  CHECK(c.at(lagging).sm.commands() == 60);
}

TEST_CASE("a failed store write stops the replica instead of acknowledging") {
  cluster c(3);
  auto lead = c.elect();
  REQUIRE(c.at(lead).driver->propose(1, "ok") == raft::status::ok);
  c.pump();
  REQUIRE(c.done.size() == 1);
  CHECK(c.done[0].ok);
  c.at(lead).store->fail_next_write("disk full (injected)");
  REQUIRE(c.at(lead).driver->propose(2, "lost?") == raft::status::ok);
  auto out = c.at(lead).driver->process();
  REQUIRE(out.fatal);
  CHECK(out.fatal->find("disk full (injected)") != std::string::npos);
  // Nothing that depends on the write leaves; the leader's AppendEntries
  // may (ready step 0), so the outcome is unknown, not "not applied".
  for (const auto& m : out.messages)
    CHECK(m.type == raft::message_type::append_entries);
  REQUIRE(out.done.size() == 1);
  CHECK(out.done[0].tag == 2);
  CHECK_FALSE(out.done[0].ok);
  CHECK(out.done[0].error.find("stopped accepting writes")
        != std::string::npos);
  CHECK(c.at(lead).driver->failed());
  CHECK(c.at(lead).driver->propose(3, "refused")
        == raft::status::invalid_argument);
}

TEST_CASE("reads with the same tag on different replicas all complete") {
  // Issue 8 item 1: each replica counts its tags from 1, and the leader
  // ignored a ReadIndex whose context was already pending, so a follower's
  // read could wait forever while the leader's own read of the same tag was
  // queued.
  cluster c(3);
  auto lead = c.elect();
  auto f1 = lead == 1 ? 2 : 1;
  auto f2 = 6 - lead - f1;
  REQUIRE(c.at(lead).driver->read_index(7) == raft::status::ok);
  REQUIRE(c.at(f1).driver->read_index(7) == raft::status::ok);
  REQUIRE(c.at(f2).driver->read_index(7) == raft::status::ok);
  c.pump();
  c.ticks(2);
  size_t answered = 0;
  for (auto& d : c.done)
    if (d.tag == 7 && d.ok)
      ++answered;
  CHECK(answered == 3);
}

namespace {

/// How many successful completions `tag` got.
size_t answers(const cluster& c, uint64_t tag) {
  size_t n = 0;
  for (auto& d : c.done)
    n += d.tag == tag && d.ok;
  return n;
}

} // namespace

TEST_CASE("a follower's read asked of a leader that then fails completes "
          "through the next leader") {
  // Issue 10, a tester's finding: a read sent to a follower just after the
  // leader died waited out the gateway's deadline (5 s) and failed, though
  // a new leader was elected within it.
  cluster c(3);
  auto lead = c.elect();
  auto f1 = lead == 1 ? 2 : 1;
  REQUIRE(c.at(lead).driver->propose(1, "w") == raft::status::ok);
  c.pump();
  c.at(lead).up = false; // the forwarded ReadIndex is lost with it
  REQUIRE(c.at(f1).driver->read_index(5) == raft::status::ok);
  c.pump();
  CHECK(c.done.size() == 1);
  auto next = c.elect();
  REQUIRE(next != lead);
  c.ticks(3);
  CHECK(answers(c, 5) == 1);
  for (auto& d : c.done)
    if (d.tag == 5)
      CHECK(d.index >= c.done[0].index);
  // Asked again once more does not answer twice.
  c.ticks(5);
  CHECK(answers(c, 5) == 1);
}

TEST_CASE("a read on a leader that loses its office completes through the "
          "next one") {
  cluster c(3);
  auto lead = c.elect();
  REQUIRE(c.at(lead).driver->propose(1, "w") == raft::status::ok);
  c.pump();
  // The leader asks its followers to confirm its office; none answers.
  auto f1 = lead == 1 ? 2 : 1;
  auto f2 = 6 - lead - f1;
  c.at(f1).up = false;
  c.at(f2).up = false;
  REQUIRE(c.at(lead).driver->read_index(6) == raft::status::ok);
  c.pump();
  // The old leader is cut off for good; the two others elect one of them.
  c.at(lead).up = false;
  c.at(f1).up = true;
  c.at(f2).up = true;
  auto next = c.elect();
  REQUIRE(next != lead);
  c.at(lead).up = true; // back, and told of the new term
  c.ticks(10);
  CHECK(answers(c, 6) == 1);
}

TEST_CASE("a full store is told apart from other failures; health is "
          "durable") {
  cluster c(1);
  auto lead = c.elect();
  REQUIRE(c.at(lead).driver->propose(1, "ok") == raft::status::ok);
  c.pump();
  auto durable = c.at(lead).driver->durable_index();
  CHECK(c.at(lead).driver->durable_commit_index() == durable);
  c.at(lead).store->fail_next_write("map full (injected)", true);
  REQUIRE(c.at(lead).driver->propose(2, "lost") == raft::status::ok);
  auto out = c.at(lead).driver->process();
  REQUIRE(out.fatal);
  CHECK(c.at(lead).driver->store_full());
  REQUIRE(out.done.size() == 1);
  CHECK(out.done[0].reason == protocol::ERROR_REASON_STORE_FULL);
  // The core's log holds the unpersisted entry; health must not count it.
  CHECK(c.at(lead).driver->last_index() > durable);
  CHECK(c.at(lead).driver->durable_index() == durable);
  CHECK(c.at(lead).driver->durable_commit_index() <= durable);
}

TEST_CASE("a leader's AppendEntries leave through send_early before its "
          "write; acknowledgements only after the follower's write") {
  cluster c(3, 1000000, true);
  auto lead = c.elect();
  c.ticks(2);
  auto& leader = c.at(lead);
  c.early.clear();
  auto before = leader.store->last_index();
  REQUIRE(leader.driver->propose(9, "x") == raft::status::ok);
  auto out = leader.driver->process();
  REQUIRE(c.early.size() == 1);
  CHECK(c.early[0].from == lead);
  CHECK(c.early[0].stored_last == before); // x was not on disk yet ...
  REQUIRE(c.early[0].messages.size() == 2);
  for (const auto& m : c.early[0].messages) {
    CHECK(m.type == raft::message_type::append_entries);
    REQUIRE(m.entries.size() == 1);
    CHECK(m.entries[0].data == "x");
  }
  CHECK(leader.store->last_index() == before + 1); // ... and is now.
  CHECK(leader.driver->commit_index() < before + 1);
  // A follower's acknowledgement comes out of process(), after its write.
  auto m = c.wire.front();
  auto& f = c.at(m.to);
  f.driver->step(m);
  auto fout = f.driver->process();
  CHECK(f.store->last_index() == before + 1);
  bool acked = false;
  for (const auto& a : fout.messages)
    acked |= a.type == raft::message_type::append_entries_response;
  CHECK(acked);
  for (const auto& b : c.early)
    CHECK(b.from == lead); // Followers send nothing early.
  leader.driver->step(fout.messages.front());
  c.pump();
  REQUIRE(c.done.size() == 1);
  CHECK(c.done[0].ok);
}
