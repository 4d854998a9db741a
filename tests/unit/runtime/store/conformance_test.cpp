// The raft_store conformance suite: every case runs against the in-memory
// twin and the LMDB store (STYLE.md principle 4), pinning the log_storage
// contract of docs/raft.md and the write_batch semantics of raft_store.hpp.
// `reopen()` is a no-op for the twin and a close/open for LMDB, so each
// case also checks that what it observed was durable.

#include "tests/unit/runtime/store/fixtures.hpp"

#include "runtime/raft/raw_node.hpp"

using namespace pact;
using namespace pact::store;
using namespace pact::store::test;
using raft::storage_error;

#define PACT_STORES memory_fixture, lmdb_fixture

TEST_CASE_TEMPLATE("store: an empty log", F, PACT_STORES) {
  F f;
  for (int round = 0; round < 2; ++round, f.reopen()) {
    auto& s = f.store();
    CHECK(s.first_index() == 1);
    CHECK(s.last_index() == 0);
    REQUIRE(s.term(0).ok()); // F - 1 is always answered.
    CHECK(s.term(0).value() == 0);
    CHECK(s.term(1).error() == storage_error::unavailable);
    CHECK(s.entries(1, 1, SIZE_MAX).value().empty());
    auto meta = s.snapshot_metadata().value();
    CHECK(meta.last_included_index == 0);
    CHECK(meta.conf == bootstrap_conf);
    auto init = s.load_initial_state();
    CHECK(init.hard.empty());
    CHECK(init.conf == bootstrap_conf);
    CHECK_FALSE(s.failed());
    CHECK(s.failure().empty());
  }
}

TEST_CASE_TEMPLATE("store: append, term boundaries and byte limits", F,
                   PACT_STORES) {
  F f;
  REQUIRE(f.store().append(make_entries(1, {1, 1, 2, 3, 3})));
  f.reopen();
  auto& s = f.store();
  CHECK(s.first_index() == 1);
  CHECK(s.last_index() == 5);
  CHECK(s.term(0).value() == 0);
  CHECK(s.term(1).value() == 1);
  CHECK(s.term(5).value() == 3);
  CHECK(s.term(6).error() == storage_error::unavailable);
  auto all = s.entries(1, 6, SIZE_MAX);
  REQUIRE(all.ok());
  CHECK(all.value() == make_entries(1, {1, 1, 2, 3, 3}));
  CHECK(s.entries(2, 4, SIZE_MAX).value() == make_entries(2, {1, 2}));
  // A limit smaller than one entry still returns one entry.
  CHECK(s.entries(2, 6, 0).value().size() == 1);
  CHECK(s.entries(2, 6, 1).value().size() == 1);
  auto two = raft::entry_size(all.value()[1])
             + raft::entry_size(all.value()[2]);
  CHECK(s.entries(2, 6, two).value().size() == 2);
  CHECK(s.entries(2, 6, two - 1).value().size() == 1);
  CHECK(s.entries(3, 3, 0).value().empty());
}

TEST_CASE_TEMPLATE("store: a conflicting suffix is replaced", F, PACT_STORES) {
  F f;
  auto& s0 = f.store();
  REQUIRE(s0.append(make_entries(1, {1, 1, 1, 1, 1})));
  SUBCASE("a shorter replacement drops the whole old tail") {
    REQUIRE(f.store().append(make_entries(3, {2})));
    f.reopen();
    CHECK(f.store().last_index() == 3);
    CHECK(f.store().entries(1, 4, SIZE_MAX).value()
          == make_entries(1, {1, 1, 2}));
    CHECK(f.store().term(4).error() == storage_error::unavailable);
  }
  SUBCASE("a longer replacement overwrites and extends") {
    REQUIRE(f.store().append(make_entries(4, {3, 3, 3, 3})));
    f.reopen();
    CHECK(f.store().last_index() == 7);
    CHECK(f.store().entries(1, 8, SIZE_MAX).value()
          == make_entries(1, {1, 1, 1, 3, 3, 3, 3}));
  }
  SUBCASE("replacing from the first entry") {
    REQUIRE(f.store().append(make_entries(1, {4})));
    f.reopen();
    CHECK(f.store().last_index() == 1);
    CHECK(f.store().term(1).value() == 4);
  }
  SUBCASE("entries below first_index() are ignored") {
    REQUIRE(f.store().create_snapshot(3, bootstrap_conf, "img"));
    REQUIRE(f.store().compact(3));
    // 2..3 are compacted; only 4.. is applied, truncating 5.
    REQUIRE(f.store().append(make_entries(2, {9, 9, 5})));
    REQUIRE(f.store().append(make_entries(1, {9, 9}))); // all compacted
    f.reopen();
    CHECK(f.store().first_index() == 4);
    CHECK(f.store().last_index() == 4);
    CHECK(f.store().term(3).value() == 1);
    CHECK(f.store().term(4).value() == 5);
  }
}

TEST_CASE_TEMPLATE("store: hard state and membership round trip", F,
                   PACT_STORES) {
  F f;
  raft::hard_state hs{7, 2, 5};
  REQUIRE(f.store().set_hard_state(hs));
  raft::conf_state cs{{1, 2, 4}, {9}};
  REQUIRE(f.store().set_conf_state(cs));
  f.reopen();
  auto init = f.store().load_initial_state();
  CHECK(init.hard == hs);
  CHECK(init.conf == cs);
  // One batch writing all four parts at once.
  auto ents = make_entries(1, {7, 7});
  raft::hard_state hs2{8, 3, 2};
  raft::conf_state cs2{{1, 2}, {}};
  write_batch b;
  b.hard_state = &hs2;
  b.entries = &ents;
  b.conf_state = &cs2;
  REQUIRE(f.store().save(b));
  REQUIRE(f.store().save(write_batch{})); // empty: nothing to do
  f.reopen();
  CHECK(f.store().load_initial_state().hard == hs2);
  CHECK(f.store().load_initial_state().conf == cs2);
  CHECK(f.store().last_index() == 2);
}

TEST_CASE_TEMPLATE("store: snapshot creation and compaction", F, PACT_STORES) {
  F f;
  REQUIRE(f.store().append(make_entries(1, {1, 1, 2, 3, 3, 3})));
  raft::conf_state cs{{1, 2}, {3}};
  REQUIRE(f.store().create_snapshot(4, cs, "image-at-4"));
  f.reopen();
  auto meta = f.store().snapshot_metadata().value();
  CHECK(meta.last_included_index == 4);
  CHECK(meta.last_included_term == 3);
  CHECK(meta.conf == cs);
  CHECK(f.store().first_index() == 1); // the log is kept
  // Membership is what the host applied, not the snapshot's.
  CHECK(f.store().load_initial_state().conf == bootstrap_conf);
  // Not newer: ignored.
  REQUIRE(f.store().create_snapshot(3, cs, "older"));
  CHECK(f.store().load_snapshot()->data == "image-at-4");

  REQUIRE(f.store().compact(2)); // below the snapshot is allowed
  CHECK(f.store().first_index() == 3);
  REQUIRE(f.store().compact(4));
  f.reopen();
  auto& s = f.store();
  CHECK(s.first_index() == 5);
  CHECK(s.last_index() == 6);
  CHECK(s.term(4).value() == 3); // term(F - 1) is still answered
  CHECK(s.term(3).error() == storage_error::compacted);
  CHECK(s.entries(4, 6, SIZE_MAX).error() == storage_error::compacted);
  CHECK(s.entries(5, 7, SIZE_MAX).value() == make_entries(5, {3, 3}));
  REQUIRE(s.compact(3)); // already compacted: nothing to do
  CHECK(s.first_index() == 5);
  // Appending after compaction continues the log.
  REQUIRE(s.append(make_entries(7, {4})));
  CHECK(s.last_index() == 7);
}

TEST_CASE_TEMPLATE("store: compacting the whole log", F, PACT_STORES) {
  F f;
  REQUIRE(f.store().append(make_entries(1, {1, 2, 2})));
  REQUIRE(f.store().create_snapshot(3, bootstrap_conf, "all"));
  REQUIRE(f.store().compact(3));
  f.reopen();
  CHECK(f.store().first_index() == 4);
  CHECK(f.store().last_index() == 3);
  CHECK(f.store().term(3).value() == 2);
  CHECK(f.store().term(4).error() == storage_error::unavailable);
  CHECK(f.store().entries(4, 4, SIZE_MAX).value().empty());
  REQUIRE(f.store().append(make_entries(4, {5})));
  CHECK(f.store().term(4).value() == 5);
}

TEST_CASE_TEMPLATE("store: applying a received snapshot", F, PACT_STORES) {
  F f;
  REQUIRE(f.store().append(make_entries(1, {1, 1, 1})));
  raft::snapshot snap;
  snap.meta = raft::snapshot_meta{10, 4, raft::conf_state{{1, 2, 5}, {}}};
  snap.data = "received image";
  SUBCASE("alone") {
    REQUIRE(f.store().apply_snapshot(snap));
    f.reopen();
    auto& s = f.store();
    CHECK(s.first_index() == 11);
    CHECK(s.last_index() == 10);
    CHECK(s.term(10).value() == 4);
    CHECK(s.term(9).error() == storage_error::compacted);
    CHECK(s.term(11).error() == storage_error::unavailable);
    CHECK(s.load_initial_state().conf == snap.meta.conf);
    CHECK(s.snapshot_metadata().value().last_included_index == 10);
    CHECK(s.load_snapshot()->data == snap.data);
    // An older (or the same) snapshot is ignored.
    raft::snapshot old;
    old.meta = raft::snapshot_meta{7, 3, bootstrap_conf};
    REQUIRE(s.apply_snapshot(old));
    REQUIRE(s.apply_snapshot(snap));
    CHECK(s.first_index() == 11);
    CHECK(s.load_initial_state().conf == snap.meta.conf);
  }
  SUBCASE("with entries and hard state in the same batch") {
    auto ents = make_entries(11, {4, 5});
    raft::hard_state hs{5, 1, 10};
    write_batch b;
    b.snapshot = &snap;
    b.entries = &ents;
    b.hard_state = &hs;
    REQUIRE(f.store().save(b));
    f.reopen();
    CHECK(f.store().first_index() == 11);
    CHECK(f.store().last_index() == 12);
    CHECK(f.store().entries(11, 13, SIZE_MAX).value() == ents);
    CHECK(f.store().load_initial_state().hard == hs);
  }
  SUBCASE("a snapshot inside the current log still discards it (§7)") {
    REQUIRE(f.store().append(make_entries(4, {1, 1, 1, 1, 1, 1, 1, 1, 1})));
    snap.meta.last_included_index = 5;
    REQUIRE(f.store().apply_snapshot(snap));
    f.reopen();
    CHECK(f.store().first_index() == 6);
    CHECK(f.store().last_index() == 5);
  }
}

TEST_CASE_TEMPLATE("store: snapshot chunks", F, PACT_STORES) {
  F f;
  REQUIRE(f.store().append(make_entries(1, {1, 1})));
  // Larger than two LMDB image records, with a non-repeating pattern.
  std::string image;
  for (std::size_t i = 0;
       image.size() < 2 * lmdb_store::image_chunk_bytes + 12345; ++i)
    image += std::to_string(i * 7919) + ";";
  REQUIRE(f.store().create_snapshot(2, bootstrap_conf, image));
  f.reopen();
  auto& s = f.store();
  for (std::size_t chunk :
       {std::size_t{1}, std::size_t{300000}, lmdb_store::image_chunk_bytes,
        image.size(), image.size() + 1}) {
    CAPTURE(chunk);
    std::string got;
    std::uint64_t offset = 0;
    for (bool done = false; !done;) {
      // Byte-wise: spot-check the start and the end only.
      if (chunk == 1 && offset > 100 && offset < image.size() - 3)
        offset = image.size() - 3;
      auto part = s.read_snapshot_chunk(2, offset, chunk);
      REQUIRE(part.ok());
      CHECK(part.value().data == image.substr(offset, chunk));
      offset += part.value().data.size();
      done = part.value().done;
    }
    CHECK(offset == image.size());
  }
  // The end of the image: empty and done.
  auto end = s.read_snapshot_chunk(2, image.size(), 10);
  CHECK(end.value().data.empty());
  CHECK(end.value().done);
  // A replaced snapshot makes the sender restart.
  CHECK(s.read_snapshot_chunk(1, 0, 10).error() == storage_error::compacted);
  REQUIRE(s.append(make_entries(3, {2})));
  REQUIRE(s.create_snapshot(3, bootstrap_conf, "small"));
  CHECK(s.read_snapshot_chunk(2, 0, 10).error() == storage_error::compacted);
  auto small = s.read_snapshot_chunk(3, 0, 100);
  CHECK(small.value().data == "small");
  CHECK(small.value().done);
  f.reopen();
  CHECK(f.store().load_snapshot()->data == "small");
}

TEST_CASE_TEMPLATE("store: an empty snapshot image", F, PACT_STORES) {
  F f;
  REQUIRE(f.store().append(make_entries(1, {1})));
  REQUIRE(f.store().create_snapshot(1, bootstrap_conf, ""));
  f.reopen();
  auto c = f.store().read_snapshot_chunk(1, 0, 10);
  CHECK(c.value().data.empty());
  CHECK(c.value().done);
  CHECK(f.store().load_snapshot()->data.empty());
}

namespace {

/// The host loop of docs/raft.md with the store as its durable storage.
void drain(raft::raw_node& node, raft_store& s) {
  while (node.has_ready()) {
    auto rd = node.get_ready();
    auto st = s.save(batch_of(rd));
    REQUIRE_MESSAGE(st.ok(), (st ? "" : st.err().message));
    // Step 1b: save() returned, so the write is durable and durable_end()
    // names the last stored entry; only now does the leader count it.
    auto end = s.durable_end();
    CHECK(end.first == s.last_index());
    node.persisted(end.first, end.second);
    node.advance(rd); // aborts unless step 1 is readable back
  }
}

raft::config single_voter(const raft_store& s) {
  raft::config cfg;
  cfg.id = 1;
  cfg.storage = &s;
  return cfg;
}

} // namespace

TEST_CASE_TEMPLATE("store: drives a raw_node through the ready contract", F,
                   PACT_STORES) {
  F f;
  REQUIRE(f.store().set_conf_state(raft::conf_state{{1}, {}}));
  {
    raft::raw_node node{single_voter(f.store())};
    node.campaign();
    drain(node, f.store());
    REQUIRE(node.core().role() == raft::node_role::leader);
    for (int i = 0; i < 5; ++i)
      REQUIRE(node.propose("cmd" + std::to_string(i)) == raft::status::ok);
    drain(node, f.store());
    CHECK(node.core().log().committed() == 6); // no-op + 5 commands
  }
  f.reopen();
  auto& s = f.store();
  CHECK(s.last_index() == 6);
  auto hs = s.load_initial_state().hard;
  CHECK(hs.current_term >= 1);
  CHECK(hs.voted_for == 1);
  CHECK(hs.commit_index == 6);
  CHECK(s.entries(6, 7, SIZE_MAX).value().front().data == "cmd4");
  // A restarted node recovers its term and log from the store.
  raft::raw_node again{single_voter(s)};
  CHECK(again.core().hard().current_term == hs.current_term);
  CHECK(again.core().log().last_index() == 6);
}
