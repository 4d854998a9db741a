// memory_storage against the log_storage contract, and raft_log (stable +
// unstable view).

#include <doctest/doctest.h>

#include "runtime/raft/log.hpp"
#include "tests/unit/runtime/raft/test_cluster.hpp"

using namespace pact::raft;
using namespace pact::raft::test;

TEST_CASE("log_storage contract: an empty log") {
  memory_storage s;
  CHECK(s.first_index() == 1);
  CHECK(s.last_index() == 0);
  REQUIRE(s.term(0).ok()); // F - 1 is always answered.
  CHECK(s.term(0).value() == 0);
  CHECK(s.term(1).error() == storage_error::unavailable);
  CHECK(s.snapshot_metadata().value().last_included_index == 0);
}

TEST_CASE("log_storage contract: ranges, byte limits and compaction") {
  memory_storage s;
  s.append(entries_with_terms({1, 1, 2, 3, 3}));
  CHECK(s.first_index() == 1);
  CHECK(s.last_index() == 5);
  CHECK(s.term(4).value() == 3);
  CHECK(s.term(6).error() == storage_error::unavailable);

  auto all = s.entries(1, 6, SIZE_MAX);
  REQUIRE(all.ok());
  CHECK(all.value().size() == 5);
  // A limit smaller than one entry still returns one entry.
  CHECK(s.entries(2, 6, 1).value().size() == 1);
  CHECK(s.entries(2, 6, 2 * entry_overhead_bytes).value().size() == 2);

  REQUIRE(s.create_snapshot(3, conf_state{{1}, {}}, "img"));
  REQUIRE(s.compact(3));
  CHECK(s.first_index() == 4);
  CHECK(s.last_index() == 5);
  CHECK(s.term(3).value() == 2); // The snapshot's last_included_term.
  CHECK(s.term(2).error() == storage_error::compacted);
  CHECK(s.entries(3, 5, SIZE_MAX).error() == storage_error::compacted);
  CHECK(s.entries(4, 6, SIZE_MAX).value().size() == 2);
  CHECK_FALSE(s.compact(2)); // Already compacted.
}

TEST_CASE("log_storage contract: append replaces a conflicting suffix") {
  memory_storage s;
  s.append(entries_with_terms({1, 1, 1, 1}));
  s.append(entries_with_terms({2, 2}, 3));
  CHECK(s.last_index() == 4);
  CHECK(s.term(3).value() == 2);
  s.append(entries_with_terms({3}, 2));
  CHECK(s.last_index() == 2);
  CHECK(s.term(2).value() == 3);
}

TEST_CASE("log_storage contract: snapshot chunks and replacement") {
  memory_storage s;
  s.append(entries_with_terms({1, 1, 1}));
  REQUIRE(s.create_snapshot(2, conf_state{{1}, {}}, "abcdefg"));
  auto c1 = s.read_snapshot_chunk(2, 0, 3);
  REQUIRE(c1.ok());
  CHECK(c1.value().data == "abc");
  CHECK_FALSE(c1.value().done);
  auto c3 = s.read_snapshot_chunk(2, 6, 3);
  CHECK(c3.value().data == "g");
  CHECK(c3.value().done);
  // A newer snapshot replaces the old one: readers of the old must restart.
  REQUIRE(s.create_snapshot(3, conf_state{{1}, {}}, "xyz"));
  CHECK(s.read_snapshot_chunk(2, 3, 3).error() == storage_error::compacted);

  snapshot snap;
  snap.meta.last_included_index = 10;
  snap.meta.last_included_term = 4;
  snap.data = "new";
  REQUIRE(s.apply_snapshot(snap));
  CHECK(s.first_index() == 11);
  CHECK(s.last_index() == 10);
  CHECK(s.term(10).value() == 4);
  CHECK_FALSE(s.apply_snapshot(snap)); // Not newer.
}

TEST_CASE("raft_log: unstable entries overlay the stable log") {
  memory_storage s;
  s.append(entries_with_terms({1, 1, 2}));
  raft_log log{s};
  CHECK(log.last_index() == 3);
  CHECK(log.unstable_entries().empty());
  CHECK(log.append(entries_with_terms({3, 3}, 4)) == 5);
  CHECK(log.unstable_entries().size() == 2);
  CHECK(log.term(5).value() == 3);
  auto sl = log.slice(2, 6, SIZE_MAX);
  REQUIRE(sl.ok());
  CHECK(sl.value().size() == 4); // Across stable and unstable.
  CHECK(log.slice(2, 6, 1).value().size() == 1);
  // Persisting moves the boundary.
  s.append(log.unstable_entries());
  log.stable_to(5, 3);
  CHECK(log.unstable_entries().empty());
  CHECK(log.last_index() == 5);
}

TEST_CASE("raft_log: stable_to ignores entries replaced meanwhile") {
  memory_storage s;
  raft_log log{s};
  log.append(entries_with_terms({1, 1}));
  // Before the host persisted index 2 (term 1), it was replaced by term 2.
  log.append(entries_with_terms({2}, 2));
  log.stable_to(2, 1);
  CHECK(log.unstable_entries().size() == 2);
}

TEST_CASE("§5.4.1 raft_log::is_up_to_date compares last term, then length") {
  memory_storage s;
  s.append(entries_with_terms({1, 2, 2}));
  raft_log log{s};
  CHECK(log.is_up_to_date(3, 2));
  CHECK(log.is_up_to_date(4, 2));
  CHECK_FALSE(log.is_up_to_date(2, 2));
  CHECK(log.is_up_to_date(1, 3));
  CHECK_FALSE(log.is_up_to_date(10, 1));
}

TEST_CASE("raft_log::find_conflict_by_term gives the largest index with a "
          "term not above the given one") {
  memory_storage s;
  s.append(entries_with_terms({1, 1, 1, 4, 4, 5, 5, 6, 6, 6}));
  raft_log log{s};
  CHECK(log.find_conflict_by_term(10, 6) == std::pair<index_t, term_t>{10, 6});
  CHECK(log.find_conflict_by_term(10, 3) == std::pair<index_t, term_t>{3, 1});
  CHECK(log.find_conflict_by_term(10, 5) == std::pair<index_t, term_t>{7, 5});
  CHECK(log.find_conflict_by_term(10, 0) == std::pair<index_t, term_t>{0, 0});
}

TEST_CASE("raft_log: compacted indices report `compacted`") {
  memory_storage s;
  s.append(entries_with_terms({1, 1, 1, 2}));
  s.create_snapshot(3, {}, "");
  s.compact(3);
  raft_log log{s};
  CHECK(log.first_index() == 4);
  CHECK(log.term(3).value() == 1);
  CHECK(log.term(2).error() == storage_error::compacted);
  CHECK(log.slice(2, 4, SIZE_MAX).error() == storage_error::compacted);
  CHECK(log.term(9).error() == storage_error::unavailable);
}

TEST_CASE("raft_log: committed entries are handed out once") {
  memory_storage s;
  s.append(entries_with_terms({1, 1, 1}));
  raft_log log{s};
  CHECK_FALSE(log.has_next_committed_entries());
  log.commit_to(2);
  CHECK(log.next_committed_entries(SIZE_MAX).size() == 2);
  log.applied_to(2);
  CHECK_FALSE(log.has_next_committed_entries());
  log.commit_to(1); // Never decreases.
  CHECK(log.committed() == 2);
}
