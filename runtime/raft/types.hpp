#pragma once

/// Plain value types of the Raft core: log entries, persistent state,
/// membership, snapshots and messages. They mirror protocol/raft.proto field
/// by field so that a later conversion is mechanical, but the core itself is
/// free of protobuf. Names follow the Raft paper (Ongaro & Ousterhout 2014,
/// "§5.x") and thesis (Ongaro 2014, "thesis §x.y").

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pact::raft {

/// Replica id. `no_node` (0) means "nobody": no vote cast, no known leader.
using node_id = std::uint64_t;
/// Position in the log, starting at 1; 0 means "before the first entry".
using index_t = std::uint64_t;
/// Election term (§5.1); 0 only before the first election.
using term_t = std::uint64_t;

inline constexpr node_id no_node = 0;

/// Payload kind of an entry (RaftEntryKind).
enum class entry_kind : std::uint8_t {
  /// Opaque state-machine command.
  normal = 1,
  /// Membership change; `data` is an encoded `conf_change`.
  conf_change = 2,
  /// Empty entry a new leader appends to commit earlier terms (§5.4.2).
  noop = 3,
};

/// One log entry (RaftEntry).
struct entry {
  index_t index = 0;
  term_t term = 0;
  entry_kind kind = entry_kind::normal;
  /// Opaque bytes.
  std::string data;

  friend bool operator==(const entry& a, const entry& b) {
    return a.index == b.index && a.term == b.term && a.kind == b.kind
           && a.data == b.data;
  }
  friend bool operator!=(const entry& a, const entry& b) {
    return !(a == b);
  }
};

/// Fixed per-entry overhead counted by byte limits, so that a batch of empty
/// entries is still bounded.
inline constexpr std::size_t entry_overhead_bytes = 24;

/// Size of an entry for batching limits (payload plus fixed overhead).
inline std::size_t entry_size(const entry& e) {
  return e.data.size() + entry_overhead_bytes;
}

/// State that must be durable before any message depending on it is sent
/// (Figure 2, "Persistent state on all servers"; RaftHardState).
struct hard_state {
  /// Latest term this replica has seen (currentTerm, §5.1).
  term_t current_term = 0;
  /// Candidate voted for in current_term, or no_node (votedFor, §5.2).
  node_id voted_for = no_node;
  /// Highest index known committed. Not required for safety, saves replay.
  index_t commit_index = 0;

  bool empty() const {
    return current_term == 0 && voted_for == no_node && commit_index == 0;
  }
  friend bool operator==(const hard_state& a, const hard_state& b) {
    return a.current_term == b.current_term && a.voted_for == b.voted_for
           && a.commit_index == b.commit_index;
  }
  friend bool operator!=(const hard_state& a, const hard_state& b) {
    return !(a == b);
  }
};

/// Cluster membership (RaftConfState). Both lists are sorted, no duplicates,
/// and disjoint.
struct conf_state {
  /// Replicas that vote and count towards quorum.
  std::vector<node_id> voters;
  /// Replicas that receive the log but neither vote nor count (thesis §4.2.1).
  std::vector<node_id> learners;

  friend bool operator==(const conf_state& a, const conf_state& b) {
    return a.voters == b.voters && a.learners == b.learners;
  }
  friend bool operator!=(const conf_state& a, const conf_state& b) {
    return !(a == b);
  }
};

/// What a snapshot captures (RaftSnapshotMeta, §7).
struct snapshot_meta {
  /// Last log index included in the snapshot; 0 = no snapshot.
  index_t last_included_index = 0;
  /// Term of that entry.
  term_t last_included_term = 0;
  /// Membership as of last_included_index.
  conf_state conf;
};

/// A complete snapshot: metadata plus the state machine image.
struct snapshot {
  snapshot_meta meta;
  std::string data;
  /// A received snapshot whose image the host's snapshot_receiver kept
  /// outside this struct (data is empty): the host installs it from there.
  bool staged = false;

  bool empty() const {
    return meta.last_included_index == 0;
  }
};

/// Type of a message between replicas (RaftMessageType).
enum class message_type : std::uint8_t {
  pre_vote = 1,
  pre_vote_response = 2,
  request_vote = 3,
  request_vote_response = 4,
  append_entries = 5,
  append_entries_response = 6,
  install_snapshot = 7,
  install_snapshot_response = 8,
  timeout_now = 9,
  read_index = 10,
  read_index_response = 11,
  heartbeat = 12,
  heartbeat_response = 13,
};

/// Name of a message type, for logs and test transcripts.
const char* to_string(message_type t);

/// Any message between two replicas (RaftMessage). Unused fields keep their
/// defaults. Field meaning per type:
/// - votes: log_index/log_term = candidate's lastLogIndex/lastLogTerm (§5.4.1)
/// - append_entries: log_index/log_term = prevLogIndex/prevLogTerm, entries,
///   commit = leaderCommit (§5.3)
/// - append_entries_response: log_index = highest matching index, or on
///   reject the rejected prevLogIndex with hint_index/hint_term a back-off hint
/// - heartbeat: commit, context = pending ReadIndex context (thesis §6.4)
/// - install_snapshot: snapshot, chunk_offset, chunk, chunk_done
/// - install_snapshot_response: log_index = snapshot index, hint_index = next
///   chunk offset the receiver expects
/// - read_index / read_index_response: context, log_index = read index
struct message {
  message_type type = message_type::heartbeat;
  node_id from = no_node;
  node_id to = no_node;
  /// Sender's term; 0 on a read_index forwarded by a follower (local request).
  term_t term = 0;
  index_t log_index = 0;
  term_t log_term = 0;
  std::vector<entry> entries;
  index_t commit = 0;
  bool reject = false;
  index_t hint_index = 0;
  term_t hint_term = 0;
  snapshot_meta snapshot;
  std::uint64_t chunk_offset = 0;
  std::string chunk;
  bool chunk_done = false;
  std::string context;
};

/// Result of a ReadIndex request (thesis §6.4): once the local state machine
/// has applied `index`, a read tagged `context` is linearizable.
struct read_state {
  index_t index = 0;
  std::string context;
};

/// Role of a replica. pre_candidate is the pre-vote phase (thesis §9.6).
enum class node_role : std::uint8_t {
  follower,
  pre_candidate,
  candidate,
  leader,
};

const char* to_string(node_role r);

/// Volatile state worth reporting to the host (not persisted).
struct soft_state {
  node_id leader_id = no_node;
  node_role role = node_role::follower;

  friend bool operator==(const soft_state& a, const soft_state& b) {
    return a.leader_id == b.leader_id && a.role == b.role;
  }
  friend bool operator!=(const soft_state& a, const soft_state& b) {
    return !(a == b);
  }
};

/// One membership change (thesis §4.1: one server at a time).
enum class conf_change_type : std::uint8_t {
  /// Add a voter, or promote an existing learner to voter.
  add_voter = 1,
  /// Add a non-voting learner (thesis §4.2.1).
  add_learner = 2,
  /// Remove a voter or learner.
  remove_node = 3,
};

struct conf_change {
  conf_change_type type = conf_change_type::add_voter;
  node_id node = no_node;

  friend bool operator==(const conf_change& a, const conf_change& b) {
    return a.type == b.type && a.node == b.node;
  }
};

/// Encodes a conf_change as the `data` of a conf_change entry: one type byte
/// followed by the node id as 8 big-endian bytes.
std::string encode_conf_change(const conf_change& cc);

/// Decodes `encode_conf_change` output; nullopt if malformed.
std::optional<conf_change> decode_conf_change(const std::string& data);

/// Why an input was refused. Operating errors, returned as values.
enum class status : std::uint8_t {
  ok = 0,
  /// This replica is not the leader; the host forwards to leader_id().
  not_leader,
  /// No leader is known (election in progress); retry later.
  no_leader,
  /// A leadership transfer is in progress (thesis §3.10); retry later.
  transferring,
  /// A configuration change is still unapplied (thesis §4.1).
  conf_change_pending,
  /// The request is malformed (unknown node, empty context ...).
  invalid_argument,
};

const char* to_string(status s);

} // namespace pact::raft
