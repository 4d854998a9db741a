#pragma once

/// `lmdb_store`: the durable `raft_store`, one LMDB environment in a data
/// directory with four named databases (docs/storage.md):
///   log      big-endian u64 index -> term, kind, payload
///   meta     "format", "hard_state", "conf_state", "log_start"
///   snapshot "meta" (metadata + image size), "img" + u64 chunk number;
///            a state snapshot (image size state_image) has no chunks: its
///            image is streamed from the `state` database
///   state    the journal state machine's tables
/// Every write is one LMDB write transaction, synced on commit (default
/// flags, no MDB_NOSYNC): a batch is durable when save() returns success,
/// and a crash at any moment leaves either the whole batch or none of it.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "runtime/store/codec.hpp"
#include "runtime/store/log_index.hpp"
#include "runtime/store/raft_store.hpp"
#include "runtime/store/state_tables.hpp"

struct MDB_env;
struct MDB_txn;

namespace pact::store {

/// The map a journal replica starts with (docs/storage.md "Map size"):
/// room for ten million entries. Measured: a 256-byte command takes about
/// 320 bytes in the Raft log (compacted after each snapshot) and its
/// journal entry about 380 more; with query indexes some 820 bytes per
/// entry, 8 GB for ten million. 16 GiB leaves room for LMDB's free pages;
/// it is address space only, and the map grows beyond it (`grow`).
inline constexpr std::size_t default_map_size_bytes = std::size_t{16} << 30;

/// Bytes an unprivileged writer may still use on the filesystem holding
/// `dir` (statvfs: f_bavail * f_frsize); nullopt when it cannot be told.
std::optional<std::uint64_t> statvfs_free_bytes(const std::string& dir);

struct lmdb_options {
  /// Data directory; created (mode 0700) with its parents if missing. Holds
  /// data.mdb and lock.mdb.
  std::string dir;
  /// Size of the memory map, i.e. the most the database file may grow to
  /// (address space, not memory or disk: the file grows as pages are
  /// used). Without `grow`, writes beyond it fail with a map-full error.
  /// LMDB rounds it to whole pages and never maps less than an existing
  /// file.
  std::size_t map_size_bytes = std::size_t{1} << 30;
  /// When a write finds the map full (MDB_MAP_FULL) and the filesystem
  /// has room, double the map (at most up to the free space less
  /// `disk_reserve_bytes`; mdb_env_set_mapsize) and retry the write, so
  /// the store is full only when its volume is. Off: the map size is a
  /// fixed limit. Growing needs that no read transaction of this store be
  /// open at that moment (LMDB remaps): every read here is scoped within
  /// one call, and calls come from one thread at a time.
  bool grow = false;
  /// Disk space that growing leaves free for the rest of the system.
  std::uint64_t disk_reserve_bytes = std::uint64_t{1} << 30;
  /// The free-space probe consulted before growing (tests simulate a full
  /// disk through it).
  std::function<std::optional<std::uint64_t>(const std::string& dir)> free_bytes
    = statvfs_free_bytes;
  /// Membership recorded when the directory holds no store yet (ignored
  /// for an existing store).
  raft::conf_state bootstrap;
  /// Setting the map-full error tells the operator to raise.
  std::string map_size_setting = "journal.raft.map_size_mb";
  /// What the store is called in error messages.
  std::string label = "raft log";
};

class lmdb_store final : public raft_store {
public:
  /// Opens (creating if needed) the store in `opts.dir` and checks it: the
  /// format version, every metadata record, and the log's contiguity and
  /// entry encoding, so corruption is reported here as an error value
  /// rather than later inside the core. Fails if the directory is already
  /// open in this process (LMDB forbids that: closing one handle would drop
  /// the other's locks).
  static pact::expected<std::unique_ptr<lmdb_store>> open(lmdb_options opts);

  ~lmdb_store() override;
  lmdb_store(const lmdb_store&) = delete;
  lmdb_store& operator=(const lmdb_store&) = delete;

  // -- raft::log_storage ------------------------------------------------------
  // first_index(), last_index(), term(), load_initial_state() and
  // snapshot_metadata() answer from memory and cannot fail. entries() and
  // read_snapshot_chunk() read LMDB; if that fails (a corrupt record, or
  // LMDB's reader table full) the store becomes failed() and they report
  // `unavailable` / `snapshot_temporarily_unavailable`.

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

  // -- raft_store -------------------------------------------------------------

  pact::status save(const write_batch& b) override;
  pact::status create_snapshot(raft::index_t i, const raft::conf_state& conf,
                               std::string data) override;
  pact::status create_state_snapshot(raft::index_t i,
                                     const raft::conf_state& conf) override;
  pact::status compact(raft::index_t i) override;
  pact::expected<raft::snapshot> load_snapshot() const override;
  bool failed() const override;
  const std::string& failure() const override;
  bool full() const override {
    return full_;
  }
  bool snapshot_view_lost() const override;
  bool close_snapshot_view() override;
  /// Stages in the data directory (snapshot.incoming, snapshot.received).
  snapshot_staging* staging() override {
    return &staging_;
  }

  /// The data directory.
  const std::string& dir() const {
    return opts_.dir;
  }

  /// The map size in effect (may exceed the option if the file is larger).
  std::size_t map_size_bytes() const {
    return map_size_;
  }

  /// The journal state machine's tables, in the `state` database of this
  /// environment (docs/storage.md "State tables"). Valid as long as the
  /// store; a failed write leaves the store failed(), as save() does.
  state_tables& tables() override {
    return tables_;
  }

  /// How often the map grew since open (with `grow`).
  std::uint64_t map_growths() const {
    return growths_;
  }

  /// Bytes per image chunk record in the snapshot database.
  static constexpr std::size_t image_chunk_bytes = std::size_t{1} << 20;

  /// The image size recorded for a state snapshot (its image is the
  /// stream of the `state` database, not stored chunks).
  static constexpr std::uint64_t state_image = ~std::uint64_t{0};

private:
  /// state_tables over the `state` database (lmdb_store_state.cpp).
  class lmdb_tables final : public state_tables {
  public:
    explicit lmdb_tables(lmdb_store& s) : s_(s) {
    }
    pact::expected<std::optional<std::string>>
    get(state_table t, std::string_view key) const override;
    pact::status scan(state_table t, std::string_view from, std::string_view to,
                      bool descending, const state_visitor& fn) const override;
    pact::status write(const state_write& w) override;

  private:
    lmdb_store& s_;
  };

  /// A read transaction over the `state` database and the stream read
  /// through it (lmdb_store_state.cpp).
  struct state_view;
  pact::status open_state_view();
  pact::expected<raft::snapshot_chunk>
  read_state_view(std::uint64_t offset, std::size_t max_bytes) const;

  /// What a write transaction changed, applied to the in-memory state only
  /// after it committed (so a failed write leaves memory as the disk is).
  struct pending;

  explicit lmdb_store(lmdb_options opts);

  // Opening (lmdb_store.cpp).
  pact::status init();
  /// Takes the directory's owner.lock (flock): one process per directory.
  pact::status claim_directory();
  pact::status open_env();
  pact::status init_databases();
  pact::status load();
  pact::status load_meta(MDB_txn* t);
  pact::status load_log(MDB_txn* t);
  pact::status check_image(MDB_txn* t) const;

  // Reading (lmdb_store.cpp).
  pact::status read_entries(raft::index_t lo, raft::index_t hi,
                            std::size_t max_bytes,
                            std::vector<raft::entry>& out) const;
  pact::status read_image(std::uint64_t offset, std::size_t n,
                          std::string& out) const;

  // Writing (lmdb_store_write.cpp).
  template <class Stage>
  pact::status write(const char* op, Stage&& stage);
  template <class Stage>
  int attempt(Stage& stage, pending& p);
  /// Enlarges the map for a write that found it full; false (and
  /// growth_refusal_ set) when the volume has no room or growing failed.
  bool grow_map();
  int stage_batch(MDB_txn* t, const write_batch& b, pending& p);
  int stage_received_snapshot(MDB_txn* t, const raft::snapshot& s,
                              bool in_state, pending& p);
  int stage_entries(MDB_txn* t, const std::vector<raft::entry>& ents,
                    raft::index_t start, raft::index_t last, pending& p);
  int write_snapshot(MDB_txn* t, const codec::snapshot_record& rec,
                     const std::string& image);
  int delete_log_range(MDB_txn* t, raft::index_t lo, raft::index_t hi);
  int stage_state(MDB_txn* t, const state_write& w);
  /// Replaces the `state` database with the staged stream's records.
  int stage_staged_state(MDB_txn* t);
  void publish(pending& p);

  // Errors.
  std::string where() const;
  std::string describe(int rc) const;
  pact::error op_error(const char* op, const std::string& detail) const;
  pact::error fail(const char* op, const std::string& detail) const;
  pact::error refused(const char* op) const;

  lmdb_options opts_;
  MDB_env* env_ = nullptr;
  /// Named database handles (MDB_dbi is unsigned int).
  unsigned int log_db_ = 0;
  unsigned int meta_db_ = 0;
  unsigned int snap_db_ = 0;
  unsigned int state_db_ = 0;
  std::size_t map_size_ = 0;
  std::uint64_t growths_ = 0;
  /// owner.lock, held (flock) while the store is open; -1 if not.
  int owner_fd_ = -1;
  /// Key under which this directory is registered as open; empty if not.
  std::string registered_;

  // Committed state, mirrored in memory.
  raft::hard_state hard_;
  raft::conf_state conf_;
  codec::snapshot_record snap_;
  log_index log_;
  lmdb_tables tables_{*this};
  snapshot_staging staging_{opts_.dir};
  /// The open view of the stored state snapshot; none until one is taken
  /// (or after a restart, until the host takes one again).
  mutable std::shared_ptr<state_view> view_;

  /// First failure; set by const reads too, hence mutable.
  mutable std::string failure_;
  /// The first failure was MDB_MAP_FULL, or the volume out of space.
  mutable bool full_ = false;
  /// Why the map could not grow (with `grow`), for the map-full message.
  std::string growth_refusal_;
};

} // namespace pact::store
