#pragma once

/// `raft_store`: the durable storage a replica host gives its Raft core. The
/// read side is `raft::log_storage` (the core's contract, docs/raft.md); the
/// write side is what the host needs to carry out step 1 of a `raft::ready`
/// ("persist hard state, entries and snapshot in one fsync") plus snapshot
/// creation and log compaction. Two implementations share one conformance
/// suite (STYLE.md principle 4): `lmdb_store` (durable) and `memory_store`
/// (its in-memory twin). See docs/storage.md.

#include <string>
#include <utility>
#include <vector>

#include "runtime/common/error.hpp"
#include "runtime/raft/raw_node.hpp"
#include "runtime/raft/storage.hpp"
#include "runtime/store/snapshot_staging.hpp"
#include "runtime/store/state_tables.hpp"

namespace pact::store {

/// One atomic write: everything a ready asks to persist, plus membership.
/// A non-owning view: the pointed-to data must stay alive during save().
/// Null members are left unchanged. Applied in this order:
///  1. `snapshot`: a snapshot received from the leader replaces the whole
///     log (§7: "discard the entire log"); log_start becomes its
///     last_included entry and the membership its configuration. Ignored
///     when not newer than the stored snapshot.
///  2. `entries`: contiguous, ascending. Entries below first_index() are
///     ignored; every stored entry with index >= the first new index is
///     replaced (§5.3 conflict truncation, decided by the core). A gap after
///     last_index() is a programmer error.
///  3. `hard_state`, then 4. `conf_state`.
///  5. `state`: the state machine's changes to its tables (issue 10: the
///     applied index moves in the same transaction as what it describes).
/// With `snapshot_in_state`, the snapshot's image is the state stream
/// (runtime/store/state_stream.hpp) and `state` is that stream's write set:
/// no image is stored, the snapshot is served from the tables afterwards,
/// as one made by create_state_snapshot(). With `state_from_staging` as
/// well, the tables are replaced by the records of the stream the store's
/// staging() received instead (read back record by record in the same
/// transaction; `state` must be null), which is then dropped.
struct write_batch {
  const raft::hard_state* hard_state = nullptr;
  const std::vector<raft::entry>* entries = nullptr;
  const raft::snapshot* snapshot = nullptr;
  const raft::conf_state* conf_state = nullptr;
  const state_write* state = nullptr;
  bool snapshot_in_state = false;
  bool state_from_staging = false;

  /// Whether nothing would be written.
  bool empty() const {
    return hard_state == nullptr && (entries == nullptr || entries->empty())
           && snapshot == nullptr && conf_state == nullptr
           && (state == nullptr || state->empty()) && !state_from_staging;
  }
};

/// The batch of step 1 of `rd` (hard state, entries, snapshot), plus the
/// membership the host applied, if any. Refers into `rd`.
write_batch batch_of(const raft::ready& rd,
                     const raft::conf_state* applied_conf = nullptr);

/// Durable Raft state: `raft::log_storage` plus its write side.
///
/// Errors: every write returns `pact::status`. A failed write changes
/// nothing (the batch is all-or-nothing) and leaves the store `failed()`:
/// it refuses every later write with the first failure's reason until it is
/// reopened, because after an I/O error the host cannot know what the disk
/// holds (fsync-gate: better to stop than to acknowledge). Reads keep
/// answering from the last successfully written state.
///
/// Programmer errors (a gap in the log, compacting past the snapshot) abort
/// via PACT_ASSERT, as in raft::memory_storage.
///
/// Not thread-safe: use one store from one thread at a time (the replica
/// actor); handing it between threads between calls is fine.
class raft_store : public raft::log_storage {
public:
  /// Persists `b` atomically (one write transaction, one fsync for the
  /// durable store), in the order documented on write_batch. An empty batch
  /// succeeds without writing.
  virtual pact::status save(const write_batch& b) = 0;

  /// Records a snapshot of the state machine at applied index `i`,
  /// requiring first_index() - 1 <= i <= last_index(); `conf` is the
  /// membership as of `i`, `data` the image. Keeps the log (call compact()
  /// to trim it). Does nothing if `i` is not newer than the stored snapshot.
  virtual pact::status create_snapshot(raft::index_t i,
                                       const raft::conf_state& conf,
                                       std::string data)
    = 0;

  /// Records a snapshot at applied index `i` whose image is the state
  /// stream of the tables as they are now (the state machine persisted
  /// everything through `i` first; docs/storage.md "Snapshot stream").
  /// Opens a read view of the tables that read_snapshot_chunk() streams
  /// from, so nothing the size of the state is built in memory. Requires
  /// first_index() - 1 <= i <= last_index(); when `i` is the stored
  /// snapshot's index and no view is open (after a restart), reopens one.
  /// Does nothing if `i` is older than the stored snapshot.
  virtual pact::status
  create_state_snapshot(raft::index_t i, const raft::conf_state& conf)
    = 0;

  /// Discards entries up to and including `i`, which must not exceed the
  /// stored snapshot's index (docs/raft.md: only compact what a snapshot
  /// covers, so lagging followers can still be served). term(i) stays
  /// answered. Does nothing if `i` < first_index().
  virtual pact::status compact(raft::index_t i) = 0;

  /// The stored snapshot, image included (last_included_index 0 if none),
  /// e.g. to restore the state machine at start-up. A state snapshot's
  /// image is in the tables: its data is empty.
  virtual pact::expected<raft::snapshot> load_snapshot() const = 0;

  /// Whether a write failed since the store was opened.
  virtual bool failed() const = 0;

  /// Why, naming the operation and the location; empty unless failed().
  virtual const std::string& failure() const = 0;

  /// Whether the failure was a full store (LMDB's map size reached): the
  /// operator frees or adds space (docs/storage.md "Map size") rather than
  /// repairing a disk. Implies failed().
  virtual bool full() const = 0;

  /// Whether the stored snapshot is a state snapshot whose read view was
  /// closed before a transfer could use it (lmdb_store closes it to grow
  /// the map, which LMDB allows only with no transaction open). The host
  /// then takes a fresh snapshot, which opens a new view.
  virtual bool snapshot_view_lost() const {
    return false;
  }

  /// Closes the stored state snapshot's read view while no transfer needs
  /// it, since an open view keeps LMDB from reusing the pages later writes
  /// free (the file grows by everything rewritten meanwhile); the host
  /// takes a fresh snapshot when a transfer starts (snapshot_view_lost()).
  /// False for stores whose views cost nothing to keep (the in-memory ones
  /// hold a copy): the host keeps theirs.
  virtual bool close_snapshot_view() {
    return false;
  }

  /// Where a follower stages a state snapshot it receives (the core's
  /// snapshot_receiver), installed by a save() with state_from_staging; null
  /// for stores that leave it to the core's in-memory receiver.
  virtual snapshot_staging* staging() {
    return nullptr;
  }

  /// The state machine's tables in this store (docs/storage.md "State
  /// tables"): reads answer from the last written state; a write is a
  /// save() of a batch holding just it. Valid as long as the store.
  virtual state_tables& tables() = 0;

  /// The end of the log that is durable: the last entry (index, term)
  /// that a crash cannot lose, which the host reports to the core after
  /// each write (raw_node::persisted, ready step 1b). This default is for
  /// stores whose save() returns only once the write is durable (lmdb_store
  /// fsyncs, memory_store has nothing to lose): the last stored entry. A
  /// store that completes writes later (tests/sim's disk) answers what its
  /// disk holds.
  virtual std::pair<raft::index_t, raft::term_t> durable_end() const;

  /// save() of a batch holding just the snapshot.
  pact::status apply_snapshot(const raft::snapshot& snap);

  /// save() of a batch holding just the entries.
  pact::status append(const std::vector<raft::entry>& ents);

  /// save() of a batch holding just the hard state.
  pact::status set_hard_state(const raft::hard_state& hs);

  /// save() of a batch holding just the membership.
  pact::status set_conf_state(const raft::conf_state& cs);
};

} // namespace pact::store
