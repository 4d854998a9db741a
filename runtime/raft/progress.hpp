#pragma once

/// The leader's view of each peer (Figure 2, "Volatile state on leaders":
/// nextIndex[], matchIndex[]) plus flow control: a probe/replicate/snapshot
/// state per follower and a bounded window of in-flight AppendEntries
/// (TigerBeetle's "put a limit on everything"). `tracker` also holds the
/// membership and counts votes and quorums.

#include <cstddef>
#include <deque>
#include <map>
#include <vector>

#include "runtime/raft/types.hpp"

namespace pact::raft {

/// Bounded FIFO of the last index of each in-flight AppendEntries.
class inflights {
public:
  explicit inflights(std::size_t capacity) : capacity_(capacity) {
  }

  /// Records a message ending at `last`. Precondition: !full().
  void add(index_t last);
  /// Frees all messages ending at or before `i` (acknowledged).
  void free_le(index_t i);
  /// Frees the oldest message (a heartbeat response says the peer is alive).
  void free_first_one();
  bool full() const {
    return window_.size() >= capacity_;
  }
  std::size_t count() const {
    return window_.size();
  }
  void reset() {
    window_.clear();
  }

private:
  std::size_t capacity_;
  std::deque<index_t> window_;
};

/// How the leader currently sends to a follower.
enum class progress_state : std::uint8_t {
  /// Unknown match: one AppendEntries at a time until one is accepted.
  probe,
  /// Match known: stream entries optimistically, bounded by inflights.
  replicate,
  /// The needed entries are compacted: a snapshot is being sent (§7).
  snapshot,
};

const char* to_string(progress_state s);

/// Replication progress of one peer.
struct progress {
  explicit progress(std::size_t max_inflight) : inflight(max_inflight) {
  }

  /// Highest index known to be replicated on the peer (matchIndex).
  index_t match_index = 0;
  /// Next index to send (nextIndex).
  index_t next_index = 1;
  progress_state state = progress_state::probe;
  /// In probe state: an AppendEntries is outstanding, wait for its answer.
  bool probe_sent = false;
  /// In snapshot state: index of the snapshot being sent.
  index_t pending_snapshot = 0;
  /// In snapshot state: next byte of the image to send.
  std::uint64_t snapshot_offset = 0;
  /// In snapshot state: the chunk at snapshot_offset was sent and is not
  /// answered yet (stop-and-wait: one chunk on the way at a time).
  bool snapshot_chunk_sent = false;
  /// In snapshot state: heartbeat answers since that chunk was sent; it is
  /// sent again only after an election timeout's worth of them, so that a
  /// follower slower than the heartbeat is not sent copies it must refuse
  /// (each refusal asked for the next chunk again, a copy per heartbeat).
  int snapshot_beats_unanswered = 0;
  /// Heard from the peer since the last check-quorum round (thesis §6.2).
  bool recent_active = false;
  /// Learners receive the log but do not vote (thesis §4.2.1).
  bool is_learner = false;
  inflights inflight;

  void become_probe();
  void become_replicate();
  void become_snapshot(index_t snapshot_index);
  /// The peer acknowledged up to `n`. Returns true if match_index grew.
  bool maybe_update(index_t n);
  /// Entries up to `n` were sent (pipelining): next_index = n + 1.
  void optimistic_update(index_t n) {
    next_index = n + 1;
  }
  /// The peer rejected prevLogIndex `rejected`; `match_hint` is the largest
  /// index that may match. Returns false for a stale rejection.
  bool maybe_decr_to(index_t rejected, index_t match_hint);
  /// Whether the leader must hold back AppendEntries to this peer.
  bool is_paused() const;

private:
  void reset_state(progress_state s);
};

/// Outcome of counting votes.
enum class vote_result : std::uint8_t { pending, won, lost };

/// Membership plus per-peer progress and votes.
class tracker {
public:
  explicit tracker(std::size_t max_inflight) : max_inflight_(max_inflight) {
  }

  /// Replaces membership by `cs`; every peer starts probing at `next`.
  void reset(const conf_state& cs, index_t next);
  /// Forgets match/next/flow state (new term), keeping membership.
  void reset_progress(node_id self, index_t last_index);

  progress* find(node_id id);
  const progress* find(node_id id) const;
  std::map<node_id, progress>& all() {
    return progress_;
  }
  const std::map<node_id, progress>& all() const {
    return progress_;
  }

  bool is_voter(node_id id) const;
  bool is_learner(node_id id) const;
  const std::vector<node_id>& voters() const {
    return conf_.voters;
  }
  const conf_state& conf() const {
    return conf_;
  }
  /// Majority of voters: floor(n / 2) + 1 (§5.2).
  std::size_t quorum() const {
    return conf_.voters.size() / 2 + 1;
  }

  /// Largest index replicated on a majority of voters (§5.3).
  index_t committed() const;
  /// Whether a majority of voters was heard from recently (thesis §6.2).
  bool quorum_active() const;

  void add_voter(node_id id, index_t next);
  void add_learner(node_id id, index_t next);
  void remove(node_id id);

  void reset_votes() {
    votes_.clear();
  }
  void record_vote(node_id id, bool granted);
  vote_result tally_votes() const;

private:
  progress& ensure(node_id id, index_t next);

  std::size_t max_inflight_;
  conf_state conf_;
  std::map<node_id, progress> progress_;
  std::map<node_id, bool> votes_;
};

} // namespace pact::raft
