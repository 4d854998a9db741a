#pragma once

/// The simulated disk of one replica: a `store::raft_store` that the
/// shipped `replica_driver` writes to, with the disk's faults inside it.
///
/// It keeps two `memory_store`s. `volatile_` is what the process sees (the
/// page cache): every write lands there at once and every read answers
/// from it. `durable_` is what survives a crash: a write reaches it only
/// when its fsync completes, at a global tick drawn per batch (fsync
/// latency) and never before an earlier write's (the disk completes in
/// order). While a write is pending, `sync_due()` names its completion tick
/// and the host holds everything the driver produced after it (messages and
/// client completions): to the rest of the world the driver's synchronous
/// `save()` simply has not returned yet, which is the ready contract. A
/// crash loses every pending write and everything volatile (lost unsynced
/// writes); the next start sees only `durable_`, as a reopened LMDB would.
///
/// Faults a seed can plant (tests/sim/replica.hpp `planted_bug`):
/// - a lying disk (`lie_about_fsync`) acknowledges a write before it is
///   durable: `sync_due()` reports nothing pending, so the host releases
///   the driver's output, yet a crash still loses the write;
/// - a disk that forgets `voted_for` in a crash (`forget_vote_on_crash`);
/// - a disk that reports unsynced writes as durable to the driver
///   (`report_unsynced`), while the host still holds the output.
/// And an operating error: `fail_next_write` makes the next write fail (or
/// report a full store), which sends the driver down its fatal path.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runtime/store/memory_store.hpp"
#include "tests/sim/rng.hpp"

namespace pact::sim {

struct disk_stats {
  /// Batches written by save() (one fsync each).
  std::uint64_t fsyncs = 0;
  /// Pending batches a crash lost.
  std::uint64_t lost_batches = 0;
  std::uint64_t snapshots_taken = 0;
  std::uint64_t snapshots_installed = 0;
};

class sim_store final : public store::raft_store, public store::state_tables {
public:
  sim_store(raft::conf_state bootstrap, rng stream);

  // -- raft::log_storage: reads answer from the volatile view --------------

  raft::initial_state load_initial_state() const override;
  raft::index_t first_index() const override;
  raft::index_t last_index() const override;
  raft::result<raft::term_t> term(raft::index_t i) const override;
  raft::result<std::vector<raft::entry>>
  entries(raft::index_t lo, raft::index_t hi,
          std::size_t max_bytes) const override;
  raft::result<raft::snapshot_meta> snapshot_metadata() const override;
  raft::result<raft::snapshot_chunk>
  read_snapshot_chunk(raft::index_t snapshot_index, std::uint64_t offset,
                      std::size_t max_bytes) const override;

  // -- store::raft_store: writes land in the volatile view and queue for
  //    the disk ----------------------------------------------------------

  pact::status save(const store::write_batch& b) override;
  pact::status create_snapshot(raft::index_t i, const raft::conf_state& conf,
                               std::string data) override;
  pact::status create_state_snapshot(raft::index_t i,
                                     const raft::conf_state& conf) override;
  pact::status compact(raft::index_t i) override;
  pact::expected<raft::snapshot> load_snapshot() const override;
  bool failed() const override;
  const std::string& failure() const override;
  bool full() const override;
  store::state_tables& tables() override {
    return *this;
  }
  // state_tables: reads see the volatile view; writes are save()s.
  pact::expected<std::optional<std::string>>
  get(store::state_table t, std::string_view key) const override;
  pact::status scan(store::state_table t, std::string_view from,
                    std::string_view to, bool descending,
                    const store::state_visitor& fn) const override;
  pact::status write(const store::state_write& w) override;

  /// What the disk holds: the last fsynced entry (ready step 1b).
  std::pair<raft::index_t, raft::term_t> durable_end() const override;

  // -- the simulated disk --------------------------------------------------

  /// The global tick; writes from now on complete no earlier than this.
  void set_now(std::uint64_t now) {
    now_ = now;
  }
  /// fsync latency of a save(), in global ticks, drawn per batch.
  void set_fsync_ticks(std::uint64_t min, std::uint64_t max) {
    min_fsync_ = min;
    max_fsync_ = max;
  }
  /// Completion tick of the last pending write (the host waits for it),
  /// or nullopt when every write the host knows of is durable.
  std::optional<std::uint64_t> sync_due() const;
  /// Makes every write due at `now` durable; true if one completed.
  bool complete(std::uint64_t now);
  /// Loses every pending write and the volatile view.
  void crash();
  /// Replaces the durable state (scenarios): an empty log with `ents`
  /// appended and hard state `hs`.
  void load(const std::vector<raft::entry>& ents, const raft::hard_state& hs);
  /// What survives a crash.
  const store::memory_store& durable() const {
    return durable_;
  }

  void lie_about_fsync(bool on) {
    lie_ = on;
  }
  void forget_vote_on_crash(bool on) {
    forget_vote_ = on;
  }
  /// durable_end() answers what was written, fsynced or not.
  void report_unsynced(bool on) {
    report_unsynced_ = on;
  }
  /// The next write fails with `reason` (a full store when `full`).
  void fail_next_write(std::string reason, bool full) {
    armed_failure_ = std::make_pair(std::move(reason), full);
  }
  /// Cancels fail_next_write() if no write consumed it yet.
  void disarm() {
    armed_failure_.reset();
  }

  const disk_stats& stats() const {
    return stats_;
  }

private:
  /// One write on its way to the disk, owning its data (a write_batch is a
  /// view into a ready that the driver discards).
  struct pending_write {
    enum class kind : std::uint8_t {
      save,
      create_snapshot,
      create_state_snapshot,
      compact
    } what;
    std::uint64_t done_at = 0;
    std::optional<raft::hard_state> hard_state;
    std::vector<raft::entry> entries;
    std::optional<raft::snapshot> snapshot;
    std::optional<raft::conf_state> conf_state;
    raft::index_t index = 0;
    std::string data;
    std::optional<store::state_write> state;
    /// write_batch::snapshot_in_state.
    bool snapshot_in_state;
  };

  /// Hands an armed failure to the volatile store, whose next write fails.
  void fire_armed_failure();
  void queue(pending_write w, std::uint64_t latency);
  void make_durable(const pending_write& w);

  raft::conf_state bootstrap_;
  rng rng_;
  store::memory_store volatile_;
  store::memory_store durable_;
  std::vector<pending_write> pending_;
  std::uint64_t now_ = 0;
  std::uint64_t min_fsync_ = 0;
  std::uint64_t max_fsync_ = 0;
  std::optional<std::pair<std::string, bool>> armed_failure_;
  bool lie_ = false;
  bool forget_vote_ = false;
  bool report_unsynced_ = false;
  disk_stats stats_;
};

} // namespace pact::sim
