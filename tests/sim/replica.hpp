#pragma once

/// One simulated replica: the shipped host loop
/// (`pact::replica::replica_driver`, runtime/replica, the class pact-journal's
/// replica actor drives) over a simulated disk (`sim_store`), the key-value
/// state machine behind the shipped state-machine interface, and the client
/// requests it is answering.
///
/// The driver's `save()` lands in the disk's volatile view at once; its
/// fsync completes at a later global tick. A leader's early messages
/// (ready step 0) leave at once, before the fsync; everything else
/// `process()` produced (messages and client replies) waits for it, and
/// `process()` is not called again until then, so that to the outside the
/// driver's write simply has not returned yet (the ready contract). The
/// driver learns what is durable from the disk (`durable_end`, step 1b),
/// so a leader counts its own entries only once their fsync completed,
/// while its followers' acknowledgements may already arrive. A crash drops the
/// pending writes with everything volatile (the driver, the state machine,
/// held output, pending client requests); a restart builds a new driver
/// over what the disk made durable.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/replica/replica_driver.hpp"
#include "tests/sim/network.hpp"
#include "tests/sim/rng.hpp"
#include "tests/sim/sim_store.hpp"
#include "tests/sim/state_machine.hpp"

namespace pact::sim {

/// Deliberate faults, to prove that the simulator finds such bugs (a
/// simulator that never fails proves nothing). Never set in CI runs except
/// by the test that expects them to be caught. The disk faults live in the
/// store (sim_store); the read shortcuts are host code around the driver.
enum class planted_bug : std::uint8_t {
  none,
  /// A lying disk that acknowledges a write before it is durable: the
  /// host sends a ready's messages before its fsync (votes and
  /// acknowledgements can be lost in a crash).
  send_before_fsync,
  /// Serve reads from the local state machine without ReadIndex.
  local_reads,
  /// Serve reads on a replica that believes it leads, from its state
  /// machine, without confirming leadership (a lease read with no lease:
  /// a deposed leader answers stale values).
  leader_reads,
  /// A disk that loses voted_for in a crash.
  forget_vote,
  /// A host that reports its write durable once written, before its fsync
  /// completes (ready step 1b too early): the leader counts its own copy
  /// toward a commit while a crash can still lose it (thesis §10.2.1).
  count_unsynced,
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
  std::uint64_t crashes = 0;
  /// Writes the store failed (the driver's fatal path).
  std::uint64_t store_failures = 0;
};

class replica {
public:
  replica(node_id id, raft::conf_state conf, replica_options opts, rng stream,
          apply_observer* observer);

  node_id id() const {
    return id_;
  }
  bool up() const {
    return driver_ != nullptr;
  }
  /// The store failed a write: the driver refuses writes and sends
  /// nothing until the replica is restarted (its store reopened).
  bool failed() const {
    return up() && driver_->failed();
  }
  /// (Re)starts from durable state. Precondition: !up().
  void start();
  /// Loses everything volatile and the writes not yet fsynced.
  void crash();
  /// Crashes right after the next fsync completes, before its messages are
  /// sent (a power loss between the disk write and the sends).
  void crash_after_next_fsync() {
    crash_after_fsync_ = true;
  }
  /// Cancels crash_after_next_fsync() and an armed write failure.
  void disarm() {
    crash_after_fsync_ = false;
    store_.disarm();
  }
  /// The next write fails (a full store when `full`).
  void fail_next_write(bool full);
  /// Replaces the durable log and hard state and restarts (scenarios).
  void load(const std::vector<raft::entry>& ents, const raft::hard_state& hs);

  /// One global tick: ticks the node as often as its clock rate says.
  void on_tick();
  /// Exactly one raft tick (scenarios).
  void tick_node();
  void step(const raft::message& m);
  void on_request(const client_request& rq, std::vector<packet>& out);
  /// The host loop: completes the fsyncs due at `now`, releases the output
  /// they held, and runs the driver as far as the disk allows.
  void pump(std::uint64_t now, std::vector<packet>& out);
  /// Tick at which the writes being fsynced complete, if any.
  std::optional<std::uint64_t> fsync_due() const {
    return up() ? store_.sync_due() : std::nullopt;
  }

  /// Precondition: up().
  pact::replica::replica_driver& driver() {
    return *driver_;
  }
  const raft::raw_node& node() const {
    return driver_->node();
  }
  const kv_state_machine& state() const {
    return *sm_;
  }
  const sim_store& store() const {
    return store_;
  }
  const replica_stats& stats() const {
    return stats_;
  }
  replica_options& options() {
    return opts_;
  }

private:
  struct waiting_op {
    std::uint64_t client = 0;
    std::uint64_t seq = 0;
    lin::op_kind kind = lin::op_kind::read;
    std::string key;
  };

  void arm_disk();
  bool fsynced(std::uint64_t now);
  void take(pact::replica::driver_output o);
  packet raft_packet(raft::message m) const;
  void forget_older(std::uint64_t client, std::uint64_t seq);
  packet reply(std::uint64_t client, std::uint64_t seq, reply_status st,
               std::string value = {}) const;

  node_id id_;
  replica_options opts_;
  rng rng_;
  apply_observer* observer_;
  sim_store store_;
  std::unique_ptr<kv_state_machine> sm_;
  std::unique_ptr<pact::replica::replica_driver> driver_;
  /// Output of process() waiting for the fsync of the writes before it.
  std::vector<packet> held_;
  /// A leader's early messages (ready step 0), sent without waiting.
  std::vector<packet> early_;
  /// A write completed that the driver has not yet reported to its core.
  bool unreported_ = false;
  bool crash_after_fsync_ = false;
  std::uint64_t clock_ = 0;
  /// Driver tags, never reused (not even across restarts).
  std::uint64_t last_tag_ = 0;
  /// Tag -> the client operation its completion answers.
  std::map<std::uint64_t, waiting_op> waiting_;
  replica_stats stats_;
};

} // namespace pact::sim
