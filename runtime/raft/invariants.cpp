// The core's state invariants, checked between inputs when
// config::check_invariants is set (Debug builds, the simulator, the raft
// unit tests). Each names where the rule comes from. They are cheap
// (O(peers)), so a violation is caught at the step that caused it, not
// at the end of a simulated run.

#include "runtime/common/assert.hpp"
#include "runtime/raft/raft.hpp"

namespace pact::raft {

void core::check_invariants() const {
  // Figure 2: currentTerm "increases monotonically"; commitIndex and
  // lastApplied likewise (a replica never forgets a commit).
  PACT_ASSERT(current_term_ >= checked_term_, "term went backwards");
  PACT_ASSERT(log_.committed() >= checked_commit_,
              "commit index went backwards");
  checked_term_ = current_term_;
  checked_commit_ = log_.committed();
  // raft_log's invariant: applied <= committed <= last_index, and the log
  // starts no later than one past what was applied (only what a snapshot
  // covers is compacted), unless a received snapshot awaits application.
  PACT_ASSERT(log_.applied() <= log_.committed(), "applied beyond commit");
  PACT_ASSERT(log_.committed() <= log_.last_index(),
              "commit index beyond the last entry");
  PACT_ASSERT(log_.unstable_snapshot().has_value()
                || log_.first_index() - 1 <= log_.applied(),
              "log compacted beyond the applied index");
  // Entries come from leaders of terms no later than ours (§5.1: a
  // replica adopts a higher term before accepting anything of it).
  PACT_ASSERT(log_.last_term() <= current_term_,
              "log holds an entry of a future term");
  // Roles (§5.2): a candidate and a leader voted for themselves in their
  // term; only a leader names itself leader; a pre-candidate knows none.
  if (role_ == node_role::candidate || role_ == node_role::leader)
    PACT_ASSERT(voted_for_ == id_, "candidate or leader without its own vote");
  PACT_ASSERT((leader_id_ == id_) == (role_ == node_role::leader),
              "leader id and role disagree");
  if (role_ == node_role::pre_candidate)
    PACT_ASSERT(leader_id_ == no_node, "pre-candidate that knows a leader");
  if (role_ != node_role::leader)
    return;
  // Figure 2, leader state: matchIndex[i] <= the leader's last index (a
  // follower cannot hold more of this term's log than the leader sent),
  // and nextIndex[i] > matchIndex[i]. The leader's own match index never
  // exceeds what the host reported durable (thesis §10.2.1: it counts
  // itself toward a commit only with durable entries).
  for (const auto& [peer, pr] : tracker_.all()) {
    PACT_ASSERT(pr.match_index <= log_.last_index(),
                "a peer's match index beyond the leader's log");
    PACT_ASSERT(pr.next_index > pr.match_index,
                "a peer's next index not beyond its match index");
    if (peer == id_)
      PACT_ASSERT(pr.match_index <= own_durable_match(),
                  "the leader counts entries of its own that are not "
                  "durable");
  }
}

} // namespace pact::raft
