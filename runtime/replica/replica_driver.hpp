#pragma once

/// The host side of one Raft replica, CAF-free (STYLE.md: pure cores, thin
/// actors). It owns the raw_node, runs the ready loop in the order the core
/// demands (send a leader's early messages, persist in one write, report
/// the durable end of the log, send the rest, apply, advance),
/// applies committed entries to the state machine, correlates proposals and
/// linearizable reads with their outcome, and takes snapshots. The replica
/// actor only feeds it ticks, peer messages and client requests, and turns
/// its output into sends and replies. The simulator (tests/sim) drives
/// this same class over a fault-injecting store, so its checks cover the
/// host code that runs in pact-journal (docs/simulation.md).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pact/protocol/common.pb.h>

#include "runtime/common/error.hpp"
#include "runtime/raft/raw_node.hpp"
#include "runtime/replica/state_machine.hpp"
#include "runtime/store/raft_store.hpp"

namespace pact::replica {

struct driver_config {
  /// Raft settings (id, ticks, batching); `storage` and `applied` are
  /// filled in by the driver.
  raft::config raft;
  /// Take a snapshot every this many applied entries.
  uint64_t snapshot_interval = 10000;
  /// ... and at least this percentage of the last snapshot's index. The
  /// journal's image holds every entry, so its size grows with the log;
  /// spacing snapshots in proportion keeps their amortized cost per entry
  /// constant (0 = the interval alone).
  uint64_t snapshot_growth_percent = 0;
  /// Entries kept in the log below a snapshot, so that slightly lagging
  /// followers catch up from the log instead of a snapshot.
  uint64_t compact_retain = 1000;
  /// Sends a ready's early messages (a leader's AppendEntries and
  /// heartbeats, raw_node.hpp step 0) at once, before the driver writes
  /// the ready: the followers receive and persist the entries while the
  /// leader's own fsync runs (thesis §10.2.1). Unset: they lead
  /// driver_output::messages instead (correct, without the overlap).
  std::function<void(std::vector<raft::message>&)> send_early;
  /// A state snapshot's read view (docs/storage.md "Snapshot stream") pins
  /// the pages it sees: the LMDB store closes it while no transfer needs
  /// it, and a transfer in progress keeps it up to ten times this long
  /// (then, if entries were applied since, a fresh snapshot replaces it).
  /// 0 = no bound.
  uint64_t snapshot_view_max_age_us = 60'000'000;
  /// A durable state machine's changes ride in a Raft write only when this
  /// long has passed since they last did, or when this many entries were
  /// applied since (whichever comes first); in between a Raft write holds
  /// only the log. Writing the state tables (entries and their indexes,
  /// current records) on every commit costs each Raft transaction several
  /// B-tree paths; batching them is what etcd does with its backend (a
  /// commit every 100 ms or 10,000 writes). Nothing is at risk: the state
  /// is rebuilt by replaying the log from the durable applied index, and
  /// the log is never compacted past it. Reads see the pending changes.
  /// 0 = with every Raft write.
  uint64_t state_write_interval_us = 100'000;
  uint64_t state_write_entries = 1024;
  /// Monotonic microseconds, for write-latency metrics and the view's age
  /// (injected; tests pass a fake).
  std::function<uint64_t()> monotonic_us = [] { return uint64_t{0}; };
};

/// Outcome of one proposal or read, identified by the caller's tag.
struct completion {
  uint64_t tag = 0;
  /// Success: the log index at which the command was applied (or the read
  /// index), and the state machine's result.
  bool ok = false;
  uint64_t index = 0;
  std::string result;
  /// Failure: why, and its class: NOT_APPLIED-like reasons (NO_LEADER:
  /// overwritten by a new leader, never applied) may be retried freely;
  /// STORE_FULL/STORE_FAILED: the replica stopped, the outcome of a write
  /// already sent to peers is unknown.
  std::string error;
  protocol::ErrorReason reason = protocol::ERROR_REASON_UNSPECIFIED;
};

/// One durable write of the ready loop, for metrics.
struct write_stats {
  size_t entries = 0;
  size_t bytes = 0;
  uint64_t micros = 0;
};

struct driver_output {
  std::vector<raft::message> messages;
  std::vector<completion> done;
  std::vector<write_stats> writes;
  /// Set when the store failed: the replica must stop accepting writes.
  std::optional<std::string> fatal;
};

class replica_driver {
public:
  /// `store` and `sm` must outlive the driver.
  replica_driver(driver_config cfg, store::raft_store& store,
                 state_machine& sm);

  /// Restores the state machine from the stored snapshot and starts the
  /// core. Call once before anything else.
  status start();

  /// One Raft tick; first saves the state machine's writes that no Raft
  /// write carried since the last tick (durable state, issue 10).
  void tick();
  void step(const raft::message& m);
  void campaign();

  /// Proposes `command`. On `ok`, a completion with `tag` follows once the
  /// entry is applied (or known lost). Other statuses are final answers
  /// (not_leader: forward to leader()).
  raft::status propose(uint64_t tag, std::string command);

  /// Requests a linearizable read point; a completion with `tag` follows
  /// once the state machine has applied up to it.
  raft::status read_index(uint64_t tag);

  raft::status transfer_leadership(raft::node_id to);

  /// Runs the ready loop until the core has nothing more to do.
  driver_output process();

  /// Fails every pending proposal and read (e.g. on shutdown) with `why`
  /// and `reason`.
  std::vector<completion> abandon(const std::string& why,
                                  protocol::ErrorReason reason);

  // -- status ----------------------------------------------------------------

  raft::node_id id() const {
    return cfg_.raft.id;
  }
  /// The Raft node, read-only (status, and the simulator's invariant
  /// checks in tests/sim). Precondition: start() succeeded.
  const raft::raw_node& node() const {
    return *node_;
  }
  raft::node_role role() const;
  /// Role for operators: a follower that is a learner reads "learner".
  std::string role_text() const;
  raft::node_id leader() const;
  raft::term_t term() const;
  raft::index_t commit_index() const;
  raft::index_t applied_index() const {
    return sm_.applied();
  }
  raft::index_t last_index() const;
  /// Last index on stable storage. After a failed write the core's log may
  /// hold entries that never became durable; health reports these figures.
  raft::index_t durable_index() const;
  /// The commit index bounded by the durable log: what this replica could
  /// serve after a restart (equals commit_index() unless a write failed).
  raft::index_t durable_commit_index() const;
  const raft::conf_state& membership() const {
    return conf_;
  }
  /// Per-peer replication lag in entries (leader only; empty otherwise).
  std::map<raft::node_id, uint64_t> replication_lag() const;
  /// Whether this leader is sending a snapshot to some follower.
  bool sending_snapshot() const;
  uint64_t elections() const {
    return elections_;
  }
  bool failed() const {
    return !failure_.empty();
  }
  const std::string& failure() const {
    return failure_;
  }
  /// The failure is a full store (writes refused, reads still served).
  bool store_full() const {
    return failed() && store_.full();
  }

private:
  struct pending {
    raft::term_t term = 0;
    uint64_t tag = 0;
  };

  bool handle_ready(raft::ready& rd, driver_output& out);
  bool persist(const raft::ready& rd, driver_output& out);
  /// Tells the core how far the store's log is durable (ready step 1b).
  void report_durable();
  void apply_entry(const raft::entry& e, driver_output& out);
  void finish_reads(driver_output& out);
  /// Asks again, of the leader of the current term, every read asked in an
  /// earlier term (a follower's ReadIndex forwarded to a leader that died
  /// or stepped down is never answered; etcd fails such reads with "leader
  /// changed", here they ride through the election).
  void reask_reads();
  void maybe_snapshot();
  /// Snapshots at the applied index and compacts the log below it.
  void take_snapshot();
  /// Replaces a state snapshot's view older than its bound.
  void maybe_refresh_view();
  /// A state snapshot's view was opened (now).
  status opened_view(status st);
  /// Saves the state machine's pending changes in a batch of their own.
  status persist_state();
  /// A durable machine's state after a received snapshot's write (its
  /// stream replaced the tables): load it and open the view a later
  /// snapshot of this replica streams from.
  status load_installed(const raft::snapshot_meta& meta);

  driver_config cfg_;
  store::raft_store& store_;
  state_machine& sm_;
  std::unique_ptr<raft::raw_node> node_;
  raft::conf_state conf_;
  /// Proposals by log index.
  std::map<raft::index_t, pending> proposals_;
  /// Read requests waiting for their read_state, by tag: the term they
  /// were last asked in. A leader that was asked and then lost its office
  /// never answers, so they are asked again of the next one
  /// (reask_reads).
  std::map<uint64_t, raft::term_t> reads_requested_;
  /// The term whose leader every waiting read has been asked of.
  raft::term_t reads_reasked_term_ = 0;
  /// Read points waiting for the state machine: (index, tag).
  std::multimap<raft::index_t, uint64_t> reads_ready_;
  raft::index_t last_snapshot_ = 0;
  /// A hard state that moved only its commit index, written with the next
  /// synced batch (ready::must_sync).
  std::optional<raft::hard_state> deferred_hard_;
  /// Durable end of the log last reported to the core.
  std::pair<raft::index_t, raft::term_t> reported_{0, 0};
  /// Whether the state machine's changes are due to ride in this write
  /// (driver_config::state_write_interval_us).
  bool state_write_due() const;
  /// When the state machine's changes last rode in a write, and the
  /// applied index then (monotonic_us).
  uint64_t state_written_us_ = 0;
  uint64_t state_written_applied_ = 0;
  /// A Raft write carried the state since the last tick.
  bool state_rode_since_tick_ = false;
  /// When the current state snapshot's view was opened (monotonic_us).
  uint64_t view_opened_us_ = 0;
  uint64_t elections_ = 0;
  raft::node_role last_role_ = raft::node_role::follower;
  std::string failure_;
};

/// Lower-case role name ("leader", "follower", "candidate", "learner",
/// "pre-candidate").
std::string role_name(raft::node_role r);

} // namespace pact::replica
