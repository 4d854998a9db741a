#pragma once

/// The host-facing wrapper of the Raft core: feed inputs, collect a `ready`,
/// persist it, send its messages, apply its committed entries, advance().

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/raft/raft.hpp"

namespace pact::raft {

/// One batch of work for the host. The host MUST process it in this order:
///
///  0. It MAY send `early_messages` at once, before step 1. Only a leader
///     whose own term is already durable puts messages there, and only
///     AppendEntries and heartbeats of that term (thesis §10.2.1: "the
///     leader can write to its disk in parallel with replicating to the
///     followers"; etcd-io/raft lets MsgApp leave before the leader's
///     append). Why each is safe:
///     - AppendEntries carries the leader's entries, possibly of this very
///       ready. A follower stores and acknowledges them only after its own
///       persist (step 2 below), and the leader counts itself only once
///       the host reports its write durable (step 1b), so a commit always
///       rests on a quorum of durable copies. If the leader crashes before
///       its write, the entries survive on followers or are overwritten;
///       Raft never assumed the leader's copy. Its `commit` field is a
///       commit index that already rests on a durable quorum.
///     - Heartbeats carry min(commit, the follower's match) and a ReadIndex
///       context; neither depends on the leader's unwritten state.
///     - Both name the leader's term. That term and the vote for itself
///       are durable (an entry of the term is, and the store writes batches
///       in order and atomically, so the hard state naming the term was
///       written with or before it). A leader whose term is not yet durable
///       (a single voter that just elected itself) sends nothing early:
///       after a crash it could otherwise win the same term again and send
///       a different entry under the same index and term (Log Matching).
///  1. Persist `hard_state`, `entries` and `snapshot` to the log_storage
///     (one write transaction / fsync for the batch: group commit). When
///     `must_sync` is false (only the commit index moved) the host may
///     defer the hard state to its next synced write.
///  1b. Report the durable end of the log with raw_node::persisted(), as
///     soon as the write is durable (not when it is merely written: a host
///     with asynchronous writes reports at fsync completion). Until then
///     the leader does not count these entries toward the commit index.
///  2. Only then send `messages`. They may depend on step 1: a vote grant
///     relies on the persisted voted_for (§5.2), an AppendEntries answer on
///     persisted entries (Figure 2: "Updated on stable storage before
///     responding to RPCs"). Vote requests and answers, append and snapshot
///     answers, and everything a follower or candidate sends are here.
///  3. Apply `snapshot` then `committed_entries` to the state machine (call
///     raw_node::apply_conf_change for conf_change entries); serve
///     `read_states` once applied >= their index.
///  4. Call raw_node::advance(ready).
///
/// advance() checks step 1 against the storage and aborts if the batch was
/// not written (a stored commit index may lag, see `must_sync`):
/// "durability order is data" (STYLE.md principle 3).
struct ready {
  /// Sequence number of this batch; advance() must receive the latest one.
  std::uint64_t sequence = 0;
  /// Leader or role changed (volatile; not persisted).
  std::optional<raft::soft_state> soft_state;
  /// Must be persisted before sending `messages`, if set.
  std::optional<raft::hard_state> hard_state;
  /// Must be appended (replacing any conflicting suffix) before sending.
  std::vector<entry> entries;
  /// Must be installed before sending, if set.
  std::optional<raft::snapshot> snapshot;
  /// Committed entries to apply, in order.
  std::vector<entry> committed_entries;
  /// Messages that may leave before step 1 (step 0).
  std::vector<message> early_messages;
  /// Messages to send after step 1.
  std::vector<message> messages;
  /// Linearizable read points (thesis §6.4).
  std::vector<read_state> read_states;

  /// Whether step 1 must reach the disk before step 2: entries, a
  /// snapshot, or a hard state whose term or vote changed. A hard state
  /// that differs from the last one only in commit_index need not (etcd's
  /// raft.MustSync): the commit index is not required for safety (a
  /// restarted replica relearns it), so the host may write it later, with
  /// its next synced batch, and advance() accepts a stored commit index
  /// that lags. Without this, a leader that counts itself only once
  /// durable (step 1b) would pay a second fsync per batch for the commit
  /// index alone.
  bool must_sync = false;

  /// Whether step 1 has anything to persist.
  bool must_persist() const {
    return hard_state.has_value() || !entries.empty() || snapshot.has_value();
  }
  bool empty() const {
    return !soft_state && !must_persist() && committed_entries.empty()
           && early_messages.empty() && messages.empty() && read_states.empty();
  }
};

/// Wraps one `core` and tracks what was handed out in readies.
class raw_node {
public:
  explicit raw_node(config cfg);

  void tick() {
    core_.tick();
  }
  void step(const message& m) {
    core_.step(m);
  }
  status propose(std::string data) {
    return core_.propose(std::move(data));
  }
  status propose_conf_change(const conf_change& cc) {
    return core_.propose_conf_change(cc);
  }
  status read_index(std::string context) {
    return core_.read_index(std::move(context));
  }
  status transfer_leadership(node_id to) {
    return core_.transfer_leadership(to);
  }
  void campaign() {
    core_.campaign();
  }
  conf_state apply_conf_change(const conf_change& cc) {
    return core_.apply_conf_change(cc);
  }
  /// Step 1b of the ready contract: the log is durable through entry
  /// `index` of term `term` (core::on_persisted).
  void persisted(index_t index, term_t term) {
    core_.on_persisted(index, term);
  }

  /// Whether ready() would return a non-empty batch.
  bool has_ready() const;
  /// Collects the pending work. At most one ready may be outstanding:
  /// call advance() before the next ready().
  ready get_ready();
  /// Acknowledges that `rd` was processed as described on `ready`.
  /// Aborts if its hard state, entries or snapshot are not in storage.
  void advance(const ready& rd);

  const raft::core& core() const {
    return core_;
  }
  raft::core& core() {
    return core_;
  }

private:
  void check_durable(const ready& rd) const;
  /// Splits the core's messages into rd.early_messages and rd.messages.
  void split_messages(ready& rd);

  raft::core core_;
  const log_storage& storage_;
  raft::soft_state prev_soft_;
  raft::hard_state prev_hard_;
  std::uint64_t sequence_ = 0;
  bool outstanding_ = false;
  std::size_t max_committed_bytes_;
};

} // namespace pact::raft
