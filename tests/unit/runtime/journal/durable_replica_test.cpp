// Replicas whose journal state lives in the Raft store's tables (issue 10
// items 1 and 2): the driver persists the state machine's writes in its
// Raft transactions, a restarted replica starts from the durable applied
// index in the tables (no snapshot image), a follower that fell behind
// installs a snapshot into its tables, and every replica ends with the
// same digest.

#include <doctest/doctest.h>

#include <deque>
#include <functional>
#include <memory>

#include "runtime/replica/replica_driver.hpp"
#include "runtime/store/codec.hpp"
#include "runtime/store/memory_store.hpp"
#include "tests/unit/runtime/journal/config_test_util.hpp"
#include "tests/unit/runtime/replica/driver_cluster.hpp"

using namespace pact;
using namespace pact::journal;
using namespace pact::journal::test;
using pact::replica::driver_config;
using pact::replica::replica_driver;

namespace {

struct node {
  std::unique_ptr<store::memory_store> store;
  std::unique_ptr<config_state_machine> sm;
  std::unique_ptr<replica_driver> driver;
  bool up = true;
};

struct cluster : pact::replica::test::driver_cluster<node> {
  /// The replicas' monotonic clock.
  uint64_t now_us = 0;
  /// driver_config::state_write_interval_us for (re)started replicas.
  uint64_t state_interval_us = 100'000;

  explicit cluster(size_t n) : driver_cluster(n) {
    raft::conf_state conf;
    for (size_t i = 1; i <= n; ++i)
      conf.voters.push_back(i);
    for (size_t i = 0; i < n; ++i) {
      nodes[i].store = std::make_unique<store::memory_store>(conf);
      start(i + 1);
    }
  }

  /// (Re)starts a replica over its store, as a restarted process would.
  void start(raft::node_id id) {
    auto& r = at(id);
    r.driver.reset();
    r.sm = std::make_unique<config_state_machine>(r.store->tables(), 8);
    driver_config cfg;
    cfg.raft.id = id;
    cfg.raft.election_timeout_ticks = 10;
    cfg.snapshot_interval = 20;
    cfg.compact_retain = 5;
    // Snapshots span many chunks: the stream continues across them.
    cfg.raft.max_snapshot_chunk_bytes = 256;
    cfg.monotonic_us = [this] { return now_us; };
    cfg.state_write_interval_us = state_interval_us;
    r.driver = std::make_unique<replica_driver>(cfg, *r.store, *r.sm);
    REQUIRE(r.driver->start());
    r.up = true;
  }

  void propose_commits(int from, int count) {
    auto l = elect();
    for (int i = from; i < from + count; ++i) {
      auto c = node_commit("n" + std::to_string(i % 5), "vm.a",
                           std::to_string(i));
      c.set_timestamp_unix_ms(t0_ms + i);
      REQUIRE(
        at(l).driver->propose(static_cast<uint64_t>(i), c.SerializeAsString())
        == raft::status::ok);
      pump();
    }
    ticks(3);
  }
};

/// The applied index the replica's state tables hold (what a restart
/// starts from).
uint64_t tables_applied(node& r) {
  auto v = r.store->tables().get(store::state_table::meta, "applied");
  REQUIRE(v);
  REQUIRE(v->has_value());
  REQUIRE((*v)->size() == 8);
  return store::codec::read_u64((*v)->data());
}

} // namespace

TEST_CASE("durable replicas: the state rides in a Raft write once per "
          "interval; reads see it before; a restart replays the rest") {
  cluster c{3};
  c.propose_commits(0, 3); // ends with ticks: the tables are current
  auto l = c.elect();
  auto& lead = c.at(l);
  auto base = tables_applied(lead);
  CHECK(base == lead.sm->applied());
  // Under load within one interval: the Raft writes carry only the log.
  for (int i = 3; i < 8; ++i) {
    auto cmd = node_commit("n1", "vm.a", std::to_string(i));
    cmd.set_timestamp_unix_ms(t0_ms + i);
    REQUIRE(
      lead.driver->propose(static_cast<uint64_t>(i), cmd.SerializeAsString())
      == raft::status::ok);
    c.pump();
  }
  CHECK(lead.sm->last_sequence() == 8);
  CHECK(tables_applied(lead) == base);          // not yet in the tables ...
  CHECK(entry_at(*lead.sm, 8).sequence() == 8); // ... but readable
  // Once the interval has passed, the next Raft write carries it.
  c.now_us += 100'000;
  auto cmd = node_commit("n1", "vm.a", "8");
  cmd.set_timestamp_unix_ms(t0_ms + 8);
  REQUIRE(lead.driver->propose(8, cmd.SerializeAsString()) == raft::status::ok);
  c.pump();
  auto carried = tables_applied(lead);
  CHECK(carried > base);
  CHECK(carried < lead.sm->applied()); // applied after that write
  // A crash now loses the pending state, never an entry: the restarted
  // replica replays the log from the tables' applied index.
  c.start(l);
  CHECK(c.at(l).sm->applied() == carried);
  c.elect();
  c.ticks(5);
  CHECK(c.at(l).sm->last_sequence() == 9);
  for (raft::node_id id = 1; id <= 3; ++id) {
    CAPTURE(id);
    CHECK(c.at(id).sm->applied() == c.at(l).sm->applied());
    CHECK(c.at(id).sm->digest() == c.at(l).sm->digest());
  }
  // With no Raft write to ride in (idle), a tick writes it.
  CHECK(tables_applied(c.at(l)) == c.at(l).sm->applied());
}

TEST_CASE("durable replicas: restart from the tables, catch up by snapshot, "
          "agree") {
  cluster c{3};
  c.propose_commits(0, 30);
  auto l = c.elect();
  auto lagging = l == 3 ? 2 : 3;
  c.at(lagging).up = false;
  auto lagging_last = c.at(lagging).store->last_index();
  c.propose_commits(30, 60); // past several snapshots and compactions
  l = c.elect();
  auto& lead = *c.at(l).sm;
  CHECK(lead.last_sequence() == 90);
  CHECK(lead.entries().cached() <= 8);
  CHECK(c.at(l).store->first_index() > 40); // compacted
  // Restart the leader: it starts from its tables, not from an image.
  auto digest = lead.digest();
  auto applied = lead.applied();
  c.start(l);
  CHECK(c.at(l).sm->applied() == applied);
  CHECK(c.at(l).sm->digest() == digest);
  CHECK(entry_at(*c.at(l).sm, 1).sequence() == 1);
  // The lagging follower needs a snapshot (the entries it lacks are gone
  // from the leader's log): it installs it into its tables.
  CHECK(c.at(c.elect()).store->first_index() > lagging_last + 1);
  c.at(lagging).up = true;
  c.ticks(20);
  c.propose_commits(90, 5);
  auto want = c.at(c.elect()).sm->digest();
  for (raft::node_id id = 1; id <= 3; ++id) {
    CAPTURE(id);
    CHECK(c.at(id).sm->last_sequence() == 95);
    CHECK(c.at(id).sm->digest() == want);
    // ... and each restarts from its own tables to the same state.
    c.start(id);
    CHECK(c.at(id).sm->digest() == want);
  }
  c.ticks(5);
  for (raft::node_id id = 1; id <= 3; ++id)
    CHECK(all_entries(*c.at(id).sm).size() == 95);
}

TEST_CASE("durable replicas: a damaged snapshot chunk is refused, nothing is "
          "installed, and the transfer starts over") {
  cluster c{3};
  c.propose_commits(0, 10);
  auto l = c.elect();
  raft::node_id lagging = l == 3 ? 2 : 3;
  c.at(lagging).up = false;
  auto before = c.at(lagging).sm->digest();
  auto applied = c.at(lagging).sm->applied();
  c.propose_commits(10, 60);
  int refused = 0;
  int chunks = 0;
  bool damage = true;
  c.tamper = [&](raft::message& m) {
    if (m.type == raft::message_type::install_snapshot && m.to == lagging) {
      ++chunks;
      if (damage && m.chunk_offset == 256 && m.chunk.size() > 3)
        m.chunk[3] = static_cast<char>(m.chunk[3] ^ 0x40);
    }
    if (m.type == raft::message_type::install_snapshot_response
        && m.from == lagging && m.reject && m.hint_index == 0)
      ++refused;
  };
  c.at(lagging).up = true;
  c.ticks(30);
  // Every transfer had its second chunk damaged: each was refused whole.
  CHECK(chunks > 2);
  CHECK(refused >= 1);
  CHECK(c.at(lagging).store->snapshot_metadata().value().last_included_index
        == 0);
  CHECK(c.at(lagging).sm->applied() == applied);
  CHECK(c.at(lagging).sm->digest() == before);
  // Undamaged, the next transfer installs.
  damage = false;
  c.ticks(30);
  c.propose_commits(70, 2);
  auto want = c.at(c.elect()).sm->digest();
  CHECK(c.at(lagging).sm->digest() == want);
  CHECK(c.at(lagging).sm->last_sequence() == 72);
}

TEST_CASE("durable replicas: a snapshot's read view older than its bound is "
          "replaced by a fresh snapshot once entries were applied") {
  cluster c{3};
  c.propose_commits(0, 25); // one snapshot, at the interval (20)
  auto l = c.elect();
  auto& s = *c.at(l).store;
  auto first = s.snapshot_metadata().value().last_included_index;
  REQUIRE(first > 0);
  auto applied = c.at(l).sm->applied();
  REQUIRE(applied > first);
  // Younger than the bound: kept.
  c.now_us = 59'000'000;
  c.ticks(1);
  CHECK(s.snapshot_metadata().value().last_included_index == first);
  // Older, with entries applied since: a fresh snapshot at the applied
  // index replaces it, and a lagging replica is served from the new one.
  c.now_us = 61'000'000;
  c.ticks(1);
  auto fresh = s.snapshot_metadata().value().last_included_index;
  CHECK(fresh >= applied);
  // Older again but nothing applied since: nothing to replace it with.
  c.now_us = 200'000'000;
  c.ticks(1);
  CHECK(s.snapshot_metadata().value().last_included_index
        == c.at(l).sm->applied());
}
