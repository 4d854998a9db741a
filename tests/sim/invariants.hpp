#pragma once

/// Raft's safety properties (Figure 3 of the paper), checked incrementally
/// after every simulated step over the whole run:
///
/// - Election Safety: at most one leader per term. A map term -> leader
///   that is never cleared.
/// - Log Matching: if two logs contain an entry with the same index and
///   term, the logs are identical up to it. Checked as: every (index, term)
///   ever seen in any log names one entry digest and one previous term; by
///   induction over the index this is the property itself. Each step looks
///   only at entries not yet persisted (the only place logs change).
/// - Leader Completeness: an entry committed in term t is in the log of
///   every leader of a term > t. Each commit is recorded with the term of
///   the leader that made it; every new leader is checked against all
///   commits of lower terms, every new commit against the current leaders
///   of higher terms.
/// - State Machine Safety: no two replicas apply different entries at one
///   index. Each applied entry is compared with the first one applied at
///   that index, and the state machine's hash chain with the chain there
///   (which also covers snapshots installed or restored after a crash).
/// Additionally every replica's commit index must name the committed entry.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "tests/sim/replica.hpp"

namespace pact::sim {

class invariants final : public apply_observer {
public:
  using replicas = std::vector<std::unique_ptr<replica>>;

  /// After every step.
  void check_step(const replicas& rs);
  /// Records every entry of a replica's whole log (after a scenario loads
  /// a log, and as an end-of-run cross-check of the incremental checks).
  void check_whole_log(const replica& r);
  /// Trusts a loaded replica's commit index (scenarios start from logs of
  /// the paper's figures, committed in its current term at the latest).
  void adopt_commits(const replica& r);

  void on_apply(node_id id, const raft::entry& e, std::uint64_t chain) override;
  void on_restore(node_id id, raft::index_t index,
                  std::uint64_t chain) override;
  /// Records a leader's commits before a crash can hide them.
  void on_persisted(const replica& r) override;

  bool failed() const {
    return !violation_.empty();
  }
  /// The first violation found (empty if none).
  const std::string& violation() const {
    return violation_;
  }
  /// Terms in which some replica was leader.
  std::size_t leaders() const {
    return leader_of_term_.size();
  }
  /// Highest index known committed.
  raft::index_t committed() const {
    return committed_term_.size() - 1;
  }

private:
  struct entry_fact {
    std::uint64_t digest;
    raft::term_t prev_term;
  };
  struct pair_hash {
    std::size_t
    operator()(const std::pair<raft::index_t, raft::term_t>& p) const {
      return static_cast<std::size_t>(p.first * 0x9e3779b97f4a7c15ULL
                                      ^ p.second);
    }
  };
  /// What was last checked of a replica's unstable entries.
  struct unstable_mark {
    raft::index_t first = 0;
    std::size_t count = 0;
    raft::term_t last_term = 0;
  };

  void fail(const std::string& what);
  void check_entry(node_id id, const raft::entry& e, raft::term_t prev_term);
  void check_unstable(const replica& r);
  void check_leader(const replica& r);
  void record_commits(const replica& r);
  void check_replica_commit(const replica& r);
  void check_completeness(const replica& leader, raft::index_t from,
                          raft::index_t to);

  std::string violation_;
  std::map<raft::term_t, node_id> leader_of_term_;
  std::unordered_map<std::pair<raft::index_t, raft::term_t>, entry_fact,
                     pair_hash>
    facts_;
  std::map<node_id, unstable_mark> unstable_seen_;
  /// Per index (0 unused): term of the committed entry, and the term of the
  /// leader that committed it (0: unknown, e.g. compacted on that leader).
  std::vector<raft::term_t> committed_term_{0};
  std::vector<raft::term_t> commit_term_{0};
  /// Commits from here on were made in the current step.
  raft::index_t completeness_from_ = 1;
  /// Replica -> term in which it was last verified as a new leader.
  std::map<node_id, raft::term_t> leader_checked_;
  /// Replica -> commit index up to which its committed entries were checked.
  std::map<node_id, raft::index_t> commit_checked_;
  /// Per index: digest of the first entry applied there, and the chain.
  std::vector<std::uint64_t> applied_digest_{0};
  std::vector<std::uint64_t> chain_at_{0};
};

} // namespace pact::sim
