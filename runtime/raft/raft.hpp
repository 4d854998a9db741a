#pragma once

/// The pure, deterministic Raft consensus core (DESIGN.md §3), in the style of
/// etcd-io/raft. Inputs: step() for messages from peers, tick() for abstract
/// time, and the client requests propose(), propose_conf_change(),
/// read_index() and transfer_leadership(). Outputs accumulate inside the core
/// and are collected as a `ready` batch by `raw_node` (raw_node.hpp), which is
/// what hosts use. No threads, clocks, sockets, storage writes or random
/// engines: time is ticks and election jitter comes from `config::random`.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "runtime/raft/log.hpp"
#include "runtime/raft/progress.hpp"
#include "runtime/raft/read_only.hpp"
#include "runtime/raft/snapshot_receiver.hpp"
#include "runtime/raft/storage.hpp"
#include "runtime/raft/types.hpp"

namespace pact::raft {

/// Tunables of one replica. Every limit is bounded; units are in the names.
struct config {
  /// This replica's id (non-zero).
  node_id id = no_node;
  /// A follower that hears nothing for a random number of ticks in
  /// [election_timeout_ticks, 2 * election_timeout_ticks) starts an election
  /// (§5.2). Must be greater than heartbeat_interval_ticks.
  int election_timeout_ticks = 10;
  /// The leader sends heartbeats every this many ticks.
  int heartbeat_interval_ticks = 1;
  /// Durable state; must outlive the core. Not owned.
  const log_storage* storage = nullptr;
  /// Index the host's state machine has applied (on restart).
  index_t applied = 0;
  /// Batching: most entries and bytes in one AppendEntries.
  std::size_t max_entries_per_msg = 64;
  std::size_t max_bytes_per_msg = 1U << 20;
  /// Pipelining: most unacknowledged AppendEntries per follower.
  std::size_t max_inflight_msgs = 256;
  /// Most bytes of committed entries handed out in one ready.
  std::size_t max_committed_bytes_per_ready = 64U << 20;
  /// Largest InstallSnapshot chunk.
  std::size_t max_snapshot_chunk_bytes = 1U << 20;
  /// Optional: judges a snapshot received in full before it is restored
  /// (the host checks the checksum its image carries). False discards it
  /// and asks the leader to send it again from byte 0. Used by the default
  /// in-memory receiver only.
  std::function<bool(const snapshot&)> accept_snapshot;
  /// Optional: where a follower keeps the chunks of a snapshot it receives
  /// (snapshot_receiver.hpp); not owned, must outlive the core. Null keeps
  /// them in memory.
  snapshot_receiver* receiver = nullptr;
  /// Run a pre-vote round before incrementing the term (thesis §9.6).
  bool pre_vote = true;
  /// Leader steps down without a quorum of recent contact (thesis §6.2);
  /// followers ignore votes while a leader is known (thesis §4.2.3).
  bool check_quorum = true;
  /// Source of election jitter; when empty, splitmix64 seeded with `id`.
  std::function<std::uint64_t()> random;
  /// Run core::check_invariants() after every input (step, tick, client
  /// request); a violation aborts. Always on in Debug builds (the build
  /// defines PACT_RAFT_INVARIANTS for pact_raft); the simulator and the
  /// raft unit tests turn it on in every build. O(peers) per input.
  bool check_invariants = false;

  /// Returns nullptr if valid, otherwise what is wrong.
  const char* validate() const;
};

/// Context of a vote request sent on behalf of a leadership transfer: the
/// receiver must not ignore it because of a current leader (thesis §3.10).
inline const char* const transfer_context = "pact.raft.transfer";

class core {
public:
  /// Restores state from `cfg.storage` and starts as a follower.
  /// Precondition: cfg.validate() == nullptr.
  explicit core(config cfg);

  /// Advances abstract time by one tick.
  void tick();
  /// Handles a message from a peer. Messages for other replicas, or from
  /// old terms, are dropped as the paper prescribes.
  void step(const message& m);
  /// Appends a client command (leader only; followers answer not_leader
  /// and the host forwards to leader_id()).
  status propose(std::string data);
  /// Appends a membership change (leader only). At most one change may be
  /// unapplied at a time (thesis §4.1).
  status propose_conf_change(const conf_change& cc);
  /// Requests a linearizable read point (thesis §6.4); the answer arrives
  /// as a read_state with the same context. `context` must be non-empty and
  /// unique among pending requests.
  status read_index(std::string context);
  /// Hands leadership to `to` (thesis §3.10). Leader only.
  status transfer_leadership(node_id to);
  /// Starts an election now (as if the election timeout elapsed).
  void campaign();
  /// The host reports that its log is durable through entry `index` of
  /// term `term` (every entry up to it, as the log stood when written, and
  /// every hard state written with or before it). The leader counts itself
  /// toward the commit index only for entries reported here, never merely
  /// because it appended them (thesis §10.2.1: the leader may write its log
  /// in parallel with replicating it, "counting itself" once the write
  /// completes). A report that no longer matches the log (the entry was
  /// replaced since) counts nothing. Reports may repeat.
  void on_persisted(index_t index, term_t term);
  /// Applies a committed membership change; the host calls this when it
  /// applies a conf_change entry. Returns the new membership, which the
  /// host persists with its state machine.
  conf_state apply_conf_change(const conf_change& cc);

  node_id id() const {
    return id_;
  }
  node_role role() const {
    return role_;
  }
  node_id leader_id() const {
    return leader_id_;
  }
  term_t current_term() const {
    return current_term_;
  }
  node_id voted_for() const {
    return voted_for_;
  }
  hard_state hard() const {
    return {current_term_, voted_for_, log_.committed()};
  }
  soft_state soft() const {
    return {leader_id_, role_};
  }
  const raft_log& log() const {
    return log_;
  }
  raft_log& log() {
    return log_;
  }
  const tracker& peers() const {
    return tracker_;
  }
  node_id lead_transferee() const {
    return lead_transferee_;
  }
  int randomized_election_timeout() const {
    return randomized_election_timeout_;
  }
  /// Last durable position the host reported (on_persisted), or the
  /// storage's last entry at start-up.
  index_t durable_index() const {
    return durable_index_;
  }
  term_t durable_term() const {
    return durable_term_;
  }
  /// Whether a leader's AppendEntries and heartbeats may leave before the
  /// host persists the ready that carries them: this leader's term is
  /// durable (an entry of its term is durable, and the hard state naming
  /// that term was written with or before it). See raw_node.hpp.
  bool may_send_before_persist() const {
    return role_ == node_role::leader && durable_term_ == current_term_;
  }
  bool has_pending_messages() const {
    return !msgs_.empty() || !read_states_.empty();
  }
  /// Checks the state invariants of Figure 2 and Figure 3 that hold
  /// between inputs (invariants.cpp lists them with their sources) and
  /// aborts with the broken one. Run after every input when
  /// config::check_invariants is set.
  void check_invariants() const;
  std::vector<message> take_messages();
  std::vector<read_state> take_read_states();

private:
  /// Checks the invariants when a public input returns, if configured.
  struct input_scope {
    const core& self;
    ~input_scope() {
      if (self.cfg_.check_invariants)
        self.check_invariants();
    }
  };

  // raft.cpp: roles, ticks, elections, term rules.
  void reset(term_t term);
  void become_follower(term_t term, node_id leader);
  void become_pre_candidate();
  void become_candidate();
  void become_leader();
  void reset_randomized_election_timeout();
  void tick_election();
  void tick_heartbeat();
  void hup(bool transfer);
  void start_campaign(bool pre, bool transfer);
  vote_result poll(node_id from, bool granted);
  bool step_term(const message& m);
  void handle_vote_request(const message& m);
  void step_candidate(const message& m);
  void step_follower(const message& m);
  bool promotable() const;
  bool has_unapplied_conf_change() const;
  void send(message m);

  // raft_leader.cpp: replication, commit, read index, transfer.
  void step_leader(const message& m);
  bool append_entry(std::vector<entry> ents);
  void bcast_append();
  void send_append(node_id to);
  bool maybe_send_append(node_id to, bool send_if_empty);
  void send_snapshot_chunk(node_id to, progress& pr);
  void bcast_heartbeat();
  void send_heartbeat(node_id to, const std::string& context);
  void send_timeout_now(node_id to);
  bool maybe_commit();
  /// The leader's own match index: the durable position if it is still in
  /// the log, else 0.
  index_t own_durable_match() const;
  bool committed_entry_in_current_term() const;
  void handle_append_response(const message& m, progress& pr);
  void handle_heartbeat_response(const message& m, progress& pr);
  void handle_snapshot_response(const message& m, progress& pr);
  void handle_read_index_request(node_id from, std::string context);
  void release_pending_read_index();
  void answer_read(node_id from, index_t index, std::string context);
  void abort_leader_transfer();
  void check_quorum_active();

  // raft_follower.cpp: the receiving side of replication.
  void handle_append(const message& m);
  void handle_heartbeat(const message& m);
  void handle_snapshot_chunk(const message& m);
  bool restore(snapshot snap);
  snapshot_receiver& receiver() {
    return cfg_.receiver != nullptr ? *cfg_.receiver : own_receiver_;
  }

  config cfg_;
  node_id id_;
  term_t current_term_ = 0;
  node_id voted_for_ = no_node;
  node_role role_ = node_role::follower;
  node_id leader_id_ = no_node;
  node_id lead_transferee_ = no_node;
  raft_log log_;
  tracker tracker_;
  read_only read_only_;
  /// Read requests that arrived before this leader committed an entry of
  /// its term (thesis §6.4 step 1): {from, context}.
  std::vector<std::pair<node_id, std::string>> pending_reads_;
  /// Index of the latest conf_change entry this leader appended.
  index_t pending_conf_index_ = 0;
  /// Durable position the host last reported (on_persisted).
  index_t durable_index_ = 0;
  term_t durable_term_ = 0;
  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  int randomized_election_timeout_ = 0;
  /// Where a snapshot being received in chunks is kept (follower) when
  /// the host gives no receiver.
  memory_snapshot_receiver own_receiver_;
  std::vector<message> msgs_;
  std::vector<read_state> read_states_;
  /// Highest term and commit index check_invariants() saw (both are
  /// monotonic, Figure 2).
  mutable term_t checked_term_ = 0;
  mutable index_t checked_commit_ = 0;
};

} // namespace pact::raft
