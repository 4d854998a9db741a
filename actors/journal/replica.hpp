#pragma once

/// The journal replica actor (DESIGN.md §3): owns one Raft core through a
/// replica_driver, a Raft store (LMDB unless its config says otherwise) and
/// the state machine. It ticks on a timer,
/// exchanges Raft messages with its peers' replica actors (published on the
/// raft port and reached through CAF remoting), persists every ready in one
/// LMDB write before sending what depends on it (a leader's AppendEntries
/// leave before the write: thesis §10.2.1, raw_node.hpp), and answers
/// proposals once
/// they are applied. Followers delegate proposals to the leader's replica.
///
/// Its durable write blocks the scheduler thread it runs on; the journal
/// configures spare scheduler threads for that. It registers itself in the
/// actor system's registry as "replica" so that the gateway and the metrics
/// endpoint find the current incarnation.
///
/// Messages: (raft_atom, bytes) from peers; (propose_atom, bytes) ->
/// (uint64 index, bytes CommandResult); (read_index_atom) -> uint64;
/// (query_atom, bytes JournalQuery) -> bytes JournalAnswer (after a ReadIndex
/// round when the query asks to be linearizable); (watch_atom, bytes
/// WatchRequest) -> bytes WatchReply (held until an entry arrives or the
/// wait ends); (raft_status_atom) -> bytes RaftStatus.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>

#include "actors/daemon/publish.hpp"
#include "actors/journal/metrics.hpp"
#include "actors/supervision/health.hpp"
#include "runtime/common/clock.hpp"
#include "runtime/common/endpoint.hpp"
#include "runtime/common/error.hpp"
#include "runtime/journal/journal_query.hpp"
#include "runtime/journal/node_ca.hpp"
#include "runtime/raft/types.hpp"
#include "runtime/store/lmdb_store.hpp"
#include "runtime/store/raft_store.hpp"

namespace pact::journal {

/// Name under which the current replica incarnation is registered.
inline constexpr caf::atom_value replica_name = caf::atom("replica");

struct replica_config;

/// Opens the Raft store of one replica incarnation (called on every start,
/// so also after a restart). Shared ownership: a store that outlives the
/// incarnation (a test's in-memory store standing in for the disk) is
/// handed to each one in turn.
using store_factory
  = std::function<expected<std::shared_ptr<store::raft_store>>(
    const replica_config&)>;

/// The production store: LMDB under `data_dir`/raft, sized
/// `map_size_bytes` (growing when `map_grows`), bootstrapped with `bootstrap`
/// when empty.
expected<std::shared_ptr<store::raft_store>>
open_lmdb_store(const replica_config& cfg);

struct replica_config {
  uint64_t node_id = 1;
  /// The node CA, shared with peers when it is ephemeral and the raft links
  /// are TLS (`share_node_ca`); null: nothing shared.
  std::shared_ptr<journal::node_ca> node_ca;
  bool share_node_ca = false;
  /// Called after a peer's older CA replaced ours (the gateway's TLS trust
  /// is rebuilt).
  std::function<void()> on_node_ca_changed;
  /// Raft endpoints of the other members, by id.
  std::map<uint64_t, endpoint> peers;
  /// Every member as configured (this replica included), compared with
  /// each peer's list when they connect; empty skips the check (tests).
  std::map<uint64_t, endpoint> members;
  /// Where to listen for peers.
  daemon::listen_point listen;
  std::string data_dir;
  size_t map_size_bytes = store::default_map_size_bytes;
  /// Grow the map when it fills while the volume has room (lmdb_options::
  /// grow); off when the operator set a fixed journal.raft.map_size_mb.
  bool map_grows = true;
  /// Where the Raft state lives; open_lmdb_store unless a test says
  /// otherwise (runtime/store/memory_store).
  store_factory open_store = open_lmdb_store;
  /// Membership for an empty data directory.
  raft::conf_state bootstrap;
  std::chrono::milliseconds tick{100};
  /// How long a request that arrives while no leader is known waits for
  /// one before it is refused as never proposed. Below the gateway's own
  /// deadline, so that the caller learns the precise reason.
  std::chrono::milliseconds leader_wait{4000};
  int election_ticks = 10;
  int heartbeat_ticks = 1;
  uint64_t snapshot_interval = 10000;
  uint64_t snapshot_growth_percent = 100;
  std::shared_ptr<raft_metrics> metrics;
  /// Wall clock the leader stamps commands with.
  std::shared_ptr<const pact::clock> wall;
  /// A failure no restart cures (the log lost entries it acknowledged),
  /// shared by every incarnation made from this config: once set, each
  /// one stops at start with it, so the supervisor escalates at once and
  /// the daemon exits 1 naming it.
  std::shared_ptr<std::string> fatal = std::make_shared<std::string>();
  /// Entries one watch answer reads at most (journal_reader; tests lower
  /// it).
  uint32_t watch_scan_entries = max_watch_scan_entries;
};

caf::behavior replica(caf::stateful_actor<struct replica_state>* self,
                      supervision::health_handle h, replica_config cfg);

/// Spawns a replica; for a supervisor's child_factory.
caf::actor spawn_replica(caf::event_based_actor* sup,
                         const supervision::health_handle& h,
                         const replica_config& cfg);

} // namespace pact::journal
