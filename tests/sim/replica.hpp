#pragma once

/// One simulated replica: a `raw_node`, the host loop that serves it
/// exactly as the `ready` contract says, a disk, the key-value state
/// machine, and the client requests it is answering.
///
/// The disk is a durable `memory_storage` plus at most one batch being
/// fsynced. The host takes a ready, starts its fsync (latency drawn per
/// batch, in global ticks) and only when the fsync completes does it make
/// the batch durable, send its messages, apply its committed entries and
/// call advance(). A crash drops the batch in flight with everything
/// volatile (the node, the state machine, pending client requests); a
/// restart rebuilds them from the durable storage and its latest snapshot.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "runtime/raft/memory_storage.hpp"
#include "runtime/raft/raw_node.hpp"
#include "tests/sim/network.hpp"
#include "tests/sim/rng.hpp"
#include "tests/sim/state_machine.hpp"

namespace pact::sim {

/// Sees every entry a replica applies and every state it restores, so that
/// state-machine safety is checked as it happens.
class apply_observer {
public:
  virtual ~apply_observer() = default;
  /// `e` was applied; `chain` is the state machine's hash chain after it.
  virtual void on_apply(node_id id, const raft::entry& e,
                        std::uint64_t chain) = 0;
  /// The state machine was replaced by a snapshot image at `index`.
  virtual void on_restore(node_id id, raft::index_t index,
                          std::uint64_t chain) = 0;
  /// A batch became durable (before its messages are sent, and before a
  /// crash that may strike right after it).
  virtual void on_persisted(const class replica& r) = 0;
};

/// Deliberate host bugs, to prove that the simulator finds such bugs
/// (a simulator that never fails proves nothing). Never set in CI runs
/// except by the test that expects them to be caught.
enum class planted_bug : std::uint8_t {
  none,
  /// Send a ready's messages before its fsync (breaks the ready contract:
  /// votes and acknowledgements can be lost in a crash).
  send_before_fsync,
  /// Serve reads from the local state machine without ReadIndex.
  local_reads,
  /// Serve reads on a replica that believes it leads, from its state
  /// machine, without confirming leadership (a lease read with no lease:
  /// a deposed leader answers stale values).
  leader_reads,
  /// Lose voted_for in a crash (a disk that does not keep the hard state).
  forget_vote,
};

struct replica_options {
  int election_timeout_ticks = 10;
  int heartbeat_interval_ticks = 1;
  bool pre_vote = true;
  bool check_quorum = true;
  std::size_t max_entries_per_msg = 64;
  std::size_t max_inflight_msgs = 256;
  std::size_t max_snapshot_chunk_bytes = 1U << 20;
  /// fsync latency, in global ticks, drawn per batch.
  std::uint64_t min_fsync_ticks = 0;
  std::uint64_t max_fsync_ticks = 0;
  /// Snapshot once this many entries were applied past the last snapshot
  /// (0: never), keeping `compact_keep` entries below it in the log.
  std::uint64_t snapshot_every = 0;
  std::uint64_t compact_keep = 0;
  /// Raft ticks per 1000 global ticks (clock-rate skew; 1000 = nominal).
  std::uint64_t clock_rate_permille = 1000;
  planted_bug bug = planted_bug::none;
};

struct replica_stats {
  std::uint64_t fsyncs = 0;
  std::uint64_t crashes = 0;
  /// Batches that were being fsynced when the replica crashed.
  std::uint64_t lost_batches = 0;
  std::uint64_t snapshots_taken = 0;
  std::uint64_t snapshots_installed = 0;
};

class replica {
public:
  replica(node_id id, raft::conf_state conf, replica_options opts,
          rng stream, apply_observer* observer);

  node_id id() const {
    return id_;
  }
  bool up() const {
    return node_ != nullptr;
  }
  /// (Re)starts from durable state. Precondition: !up().
  void start();
  /// Loses everything volatile and the batch being fsynced.
  void crash();
  /// Crashes right after the next fsync completes, before its messages are
  /// sent (a power loss between the disk write and the sends).
  void crash_after_next_fsync() {
    crash_after_fsync_ = true;
  }
  /// Cancels crash_after_next_fsync().
  void disarm() {
    crash_after_fsync_ = false;
  }
  /// Replaces the durable log and hard state and restarts (scenarios).
  void load(const std::vector<raft::entry>& ents, const raft::hard_state& hs);

  /// One global tick: ticks the node as often as its clock rate says.
  void on_tick();
  /// Exactly one raft tick (scenarios).
  void tick_node();
  void step(const raft::message& m);
  void on_request(const client_request& rq, std::vector<packet>& out);
  /// The host loop: processes readies as far as the disk allows at `now`.
  void pump(std::uint64_t now, std::vector<packet>& out);
  /// Tick at which the batch being fsynced completes, if any.
  std::optional<std::uint64_t> fsync_due() const {
    if (!pending_)
      return std::nullopt;
    return pending_->done_at;
  }

  /// Precondition: up().
  const raft::raw_node& node() const {
    return *node_;
  }
  raft::raw_node& node() {
    return *node_;
  }
  const raft::memory_storage& storage() const {
    return storage_;
  }
  const kv_state_machine& state() const {
    return sm_;
  }
  const replica_stats& stats() const {
    return stats_;
  }
  replica_options& options() {
    return opts_;
  }

private:
  struct in_flight_batch {
    raft::ready rd;
    std::uint64_t done_at = 0;
  };
  struct waiting_read {
    std::uint64_t client = 0;
    std::uint64_t seq = 0;
    std::string key;
    std::optional<raft::index_t> index;
  };

  void finish(raft::ready& rd, std::vector<packet>& out);
  void send_messages(raft::ready& rd, std::vector<packet>& out);
  void persist(const raft::ready& rd);
  void apply(const raft::entry& e, std::vector<packet>& out);
  void restore_state(const raft::snapshot& snap);
  void serve_reads(std::vector<packet>& out);
  void maybe_snapshot();
  void forget_older(std::uint64_t client, std::uint64_t seq);
  packet reply(std::uint64_t client, std::uint64_t seq, reply_status st,
               std::string value = {}) const;

  node_id id_;
  raft::conf_state conf_;
  replica_options opts_;
  rng rng_;
  apply_observer* observer_;
  raft::memory_storage storage_;
  std::unique_ptr<raft::raw_node> node_;
  std::optional<in_flight_batch> pending_;
  bool crash_after_fsync_ = false;
  kv_state_machine sm_;
  std::uint64_t clock_ = 0;
  /// (client, seq) of writes this replica proposed and must answer.
  std::set<std::pair<std::uint64_t, std::uint64_t>> waiting_writes_;
  /// ReadIndex context -> read to answer once applied >= index.
  std::map<std::string, waiting_read> waiting_reads_;
  replica_stats stats_;
};

} // namespace pact::sim
