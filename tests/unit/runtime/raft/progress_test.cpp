// Flow control (inflights, probe/replicate/snapshot) and quorum counting.

#include <doctest/doctest.h>

#include "runtime/raft/progress.hpp"

using namespace pact::raft;

TEST_CASE("inflights is a bounded window freed by acknowledgements") {
  inflights in{3};
  in.add(5);
  in.add(9);
  in.add(12);
  CHECK(in.full());
  in.free_le(9);
  CHECK(in.count() == 1);
  in.free_first_one();
  CHECK(in.count() == 0);
}

TEST_CASE("progress: probe sends one message at a time") {
  progress pr{4};
  pr.next_index = 5;
  CHECK_FALSE(pr.is_paused());
  pr.probe_sent = true;
  CHECK(pr.is_paused());
  // An answer to the outstanding probe (prev index 4) un-pauses.
  CHECK(pr.maybe_decr_to(4, 2));
  CHECK(pr.next_index == 3);
  CHECK_FALSE(pr.is_paused());
  // A stale rejection (for a different prev index) is ignored.
  CHECK_FALSE(pr.maybe_decr_to(4, 0));
}

TEST_CASE("progress: replicate rejections below match are stale") {
  progress pr{4};
  pr.match_index = 5;
  pr.become_replicate();
  CHECK(pr.next_index == 6);
  pr.optimistic_update(9);
  CHECK(pr.next_index == 10);
  CHECK_FALSE(pr.maybe_decr_to(4, 0));
  CHECK(pr.maybe_decr_to(7, 0));
  CHECK(pr.next_index == 6);
}

TEST_CASE("progress: snapshot state pauses, probe resumes after it") {
  progress pr{4};
  pr.match_index = 2;
  pr.become_snapshot(10);
  CHECK(pr.is_paused());
  pr.become_probe();
  CHECK(pr.next_index == 11);
}

TEST_CASE("§5.3 tracker::committed is the index stored on a majority") {
  tracker t{8};
  t.reset(conf_state{{1, 2, 3, 4, 5}, {6}}, 1);
  index_t matches[] = {9, 7, 7, 3, 1};
  for (node_id id = 1; id <= 5; ++id)
    t.find(id)->match_index = matches[id - 1];
  t.find(6)->match_index = 100; // Learners do not count (thesis §4.2.1).
  CHECK(t.quorum() == 3);
  CHECK(t.committed() == 7);
}

TEST_CASE("§5.2 votes: a majority wins, a blocking minority loses") {
  tracker t{8};
  t.reset(conf_state{{1, 2, 3, 4}, {5}}, 1);
  t.record_vote(1, true);
  t.record_vote(5, true); // Learner: ignored.
  t.record_vote(2, true);
  CHECK(t.tally_votes() == vote_result::pending);
  t.record_vote(2, false); // A voter's second answer does not count.
  t.record_vote(3, true);
  CHECK(t.tally_votes() == vote_result::won);
  t.reset_votes();
  t.record_vote(1, true);
  t.record_vote(2, false);
  t.record_vote(3, false);
  CHECK(t.tally_votes() == vote_result::lost);
}

TEST_CASE("tracker: membership edits keep lists sorted and disjoint") {
  tracker t{8};
  t.reset(conf_state{{1, 3}, {}}, 5);
  t.add_learner(2, 5);
  CHECK(t.conf() == conf_state{{1, 3}, {2}});
  t.add_voter(2, 5); // Promotion.
  CHECK(t.conf() == conf_state{{1, 2, 3}, {}});
  CHECK_FALSE(t.find(2)->is_learner);
  t.remove(3);
  CHECK(t.conf() == conf_state{{1, 2}, {}});
  CHECK(t.find(3) == nullptr);
}
