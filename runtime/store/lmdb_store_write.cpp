// The write side of lmdb_store: every public write is one LMDB write
// transaction (one fsync, group commit per batch). Staging functions only
// touch the transaction and record what changed in `pending`; memory is
// updated in publish(), after the commit succeeded. On any error the
// transaction is aborted (RAII), so no partial batch is ever visible, and
// the store turns failed().

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <optional>

#include "runtime/common/files.hpp"
#include "runtime/store/lmdb_store.hpp"
#include "runtime/store/lmdb_txn.hpp"

namespace pact::store {

namespace {

constexpr std::string_view conf_state_key = "conf_state";
constexpr std::string_view hard_state_key = "hard_state";
constexpr std::string_view log_start_key = "log_start";
constexpr std::string_view snap_meta_key = "meta";

std::uint64_t chunk_count(std::uint64_t image_bytes) {
  if (image_bytes == lmdb_store::state_image)
    return 0;
  return (image_bytes + lmdb_store::image_chunk_bytes - 1)
         / lmdb_store::image_chunk_bytes;
}

void check_contiguous(const std::vector<raft::entry>& ents) {
  for (std::size_t k = 1; k < ents.size(); ++k)
    PACT_ASSERT(ents[k].index == ents[k - 1].index + 1,
                "save(): entries are not contiguous and ascending");
}

} // namespace

struct lmdb_store::pending {
  /// New snapshot record.
  std::optional<codec::snapshot_record> snap;
  /// A received snapshot replaced the log: reset it to snap's entry.
  bool reset_log = false;
  /// Entries up to here were compacted.
  std::optional<raft::index_t> compacted_to;
  /// Entries from here on were replaced by `appended` (0: none).
  raft::index_t truncate_from = 0;
  std::vector<raft::term_t> appended;
  std::optional<raft::hard_state> hard;
  std::optional<raft::conf_state> conf;
  /// The staged snapshot stream was installed into the tables.
  bool staged_installed = false;
};

template <class Stage>
int lmdb_store::attempt(Stage& stage, pending& p) {
  // One write transaction; aborted by ~txn unless committed, so that a
  // failed attempt leaves no transaction open when the map is resized.
  detail::txn t;
  int rc = t.begin(env_, 0);
  if (rc == 0)
    rc = stage(t.get(), p);
  if (rc == 0)
    rc = t.commit();
  return rc;
}

template <class Stage>
pact::status lmdb_store::write(const char* op, Stage&& stage) {
  if (!failure_.empty())
    return refused(op);
  try {
    pending p;
    int rc = attempt(stage, p);
    // Each growth at least doubles the map or takes the volume's last
    // room, so a few rounds fit any batch that fits on the disk.
    for (int round = 0; rc == MDB_MAP_FULL && opts_.grow && round < 8;
         ++round) {
      if (!grow_map())
        break;
      p = pending{};
      rc = attempt(stage, p);
    }
    if (rc != 0) {
      // A write the volume had no room for comes back as EIO; say so.
      if (rc == EIO && opts_.free_bytes)
        rc = files::full_volume_errno(rc, opts_.free_bytes(opts_.dir));
      if (failure_.empty()
          && (rc == MDB_MAP_FULL || rc == ENOSPC || rc == EDQUOT))
        full_ = true;
      return fail(op, describe(rc));
    }
    publish(p);
    if (p.staged_installed)
      staging_.clear_received();
  } catch (const std::exception& e) {
    // Before commit: nothing was written. After: memory may lag the disk,
    // which a reopen repairs; either way stop accepting writes.
    return fail(op, e.what());
  }
  return {};
}

bool lmdb_store::snapshot_view_lost() const {
  return snap_.image_bytes == state_image && !view_;
}

bool lmdb_store::close_snapshot_view() {
  view_.reset();
  return true;
}

bool lmdb_store::grow_map() {
  // LMDB resizes the map only with no transaction open in the process: the
  // snapshot view's read transaction ends here (the host takes a fresh
  // snapshot, see snapshot_view_lost()).
  view_.reset();
  struct stat st {};
  auto file = opts_.dir + "/data.mdb";
  auto free = opts_.free_bytes ? opts_.free_bytes(opts_.dir) : std::nullopt;
  if (!free || ::stat(file.c_str(), &st) != 0) {
    growth_refusal_ = "the free space of its volume cannot be told";
    return false;
  }
  // Growing to N needs up to N - (file size) more disk: the file grows
  // only as pages are used.
  auto file_bytes = static_cast<std::uint64_t>(st.st_size);
  auto room = *free > opts_.disk_reserve_bytes
                ? file_bytes + (*free - opts_.disk_reserve_bytes)
                : 0;
  auto want = std::min<std::uint64_t>(std::uint64_t{map_size_} * 2, room);
  if (want <= map_size_) {
    growth_refusal_ = "its volume has no room to grow it ("
                      + std::to_string(*free) + " bytes free, "
                      + std::to_string(opts_.disk_reserve_bytes)
                      + " kept in reserve)";
    return false;
  }
  if (int rc = mdb_env_set_mapsize(env_, static_cast<std::size_t>(want));
      rc != 0) {
    growth_refusal_ = "growing it failed (" + describe(rc) + ")";
    return false;
  }
  MDB_envinfo info{};
  mdb_env_info(env_, &info);
  map_size_ = info.me_mapsize;
  ++growths_;
  return true;
}

pact::status lmdb_store::save(const write_batch& b) {
  if (b.entries != nullptr)
    check_contiguous(*b.entries);
  if (b.empty())
    return failure_.empty() ? pact::status{} : pact::status{refused("save")};
  return write("save",
               [&](MDB_txn* t, pending& p) { return stage_batch(t, b, p); });
}

int lmdb_store::stage_batch(MDB_txn* t, const write_batch& b, pending& p) {
  int rc = 0;
  if (b.snapshot != nullptr)
    rc = stage_received_snapshot(t, *b.snapshot, b.snapshot_in_state, p);
  if (rc == 0 && b.entries != nullptr) {
    // Bounds as this batch left them so far (a snapshot may have reset them).
    auto start = p.reset_log ? p.snap->meta.last_included_index
                             : log_.first_index() - 1;
    auto last = p.reset_log ? start : log_.last_index();
    rc = stage_entries(t, *b.entries, start, last, p);
  }
  if (rc == 0 && b.hard_state != nullptr) {
    rc = detail::put(t, meta_db_, hard_state_key,
                     codec::encode_hard_state(*b.hard_state));
    p.hard = *b.hard_state;
  }
  if (rc == 0 && b.conf_state != nullptr) {
    rc = detail::put(t, meta_db_, conf_state_key,
                     codec::encode_conf_state(*b.conf_state));
    p.conf = *b.conf_state;
  }
  if (rc == 0 && b.state != nullptr)
    rc = stage_state(t, *b.state);
  if (rc == 0 && b.state_from_staging) {
    // The core hands over only a snapshot newer than what it committed,
    // so the snapshot replaced the log above (p.reset_log).
    PACT_ASSERT(b.state == nullptr && b.snapshot_in_state && p.reset_log,
                "save(): a staged state replaces the tables with a snapshot");
    rc = stage_staged_state(t);
    p.staged_installed = rc == 0;
  }
  return rc;
}

int lmdb_store::stage_received_snapshot(MDB_txn* t, const raft::snapshot& s,
                                        bool in_state, pending& p) {
  const auto& meta = s.meta;
  if (meta.last_included_index <= snap_.meta.last_included_index)
    return 0; // Not newer: ignored, as raft::memory_storage does.
  // §7: "Discard the entire log ... load snapshot's cluster configuration".
  int rc = mdb_drop(t, log_db_, 0);
  if (rc == 0)
    rc = detail::put(t, meta_db_, log_start_key,
                     codec::encode_log_start(
                       {meta.last_included_index, meta.last_included_term}));
  // A state snapshot's image is the write set in the same batch.
  codec::snapshot_record rec{meta, s.data.size()};
  if (in_state)
    rec.image_bytes = state_image;
  if (rc == 0)
    rc = write_snapshot(t, rec, in_state ? std::string() : s.data);
  if (rc == 0)
    rc = detail::put(t, meta_db_, conf_state_key,
                     codec::encode_conf_state(meta.conf));
  p.snap = std::move(rec);
  p.reset_log = true;
  p.conf = meta.conf;
  return rc;
}

int lmdb_store::stage_entries(MDB_txn* t, const std::vector<raft::entry>& ents,
                              raft::index_t start, raft::index_t last,
                              pending& p) {
  if (ents.empty() || ents.back().index <= start)
    return 0; // Everything is covered by the compacted prefix.
  // Skip the part at or below the compacted prefix.
  std::size_t skip = 0;
  if (ents.front().index <= start)
    skip = static_cast<std::size_t>(start + 1 - ents.front().index);
  auto from = ents[skip].index;
  auto to = ents.back().index;
  PACT_ASSERT(from <= last + 1, "save(): gap in the log");
  // §5.3: "If an existing entry conflicts with a new one ..., delete the
  // existing entry and all that follow it". Keys from..to are overwritten
  // below; the stored tail beyond `to` is deleted here.
  int rc = to < last ? delete_log_range(t, to + 1, last) : 0;
  for (auto k = skip; rc == 0 && k < ents.size(); ++k) {
    const auto& e = ents[k];
    char* out = nullptr;
    rc = detail::reserve(t, log_db_, codec::index_key(e.index),
                         codec::entry_value_size(e), out);
    if (rc == 0)
      codec::write_entry_value(out, e);
    p.appended.push_back(e.term);
  }
  p.truncate_from = from;
  return rc;
}

int lmdb_store::write_snapshot(MDB_txn* t, const codec::snapshot_record& rec,
                               const std::string& image) {
  int rc = 0;
  // Drop the old image; its chunk count follows from its recorded size.
  auto old_chunks = chunk_count(snap_.image_bytes);
  for (std::uint64_t n = 0; rc == 0 && n < old_chunks; ++n)
    rc = detail::del(t, snap_db_, codec::image_chunk_key(n));
  if (rc == 0)
    rc = detail::put(t, snap_db_, snap_meta_key,
                     codec::encode_snapshot_record(rec));
  // Chunked so no single record needs a huge run of contiguous pages.
  std::string_view rest = image;
  for (std::uint64_t n = 0; rc == 0 && !rest.empty(); ++n) {
    auto part = rest.substr(0, image_chunk_bytes);
    rc = detail::put(t, snap_db_, codec::image_chunk_key(n), part);
    rest.remove_prefix(part.size());
  }
  return rc;
}

int lmdb_store::delete_log_range(MDB_txn* t, raft::index_t lo,
                                 raft::index_t hi) {
  int rc = 0;
  for (auto i = lo; rc == 0 && i <= hi; ++i)
    rc = detail::del(t, log_db_, codec::index_key(i));
  return rc;
}

pact::status lmdb_store::create_snapshot(raft::index_t i,
                                         const raft::conf_state& conf,
                                         std::string data) {
  if (!failure_.empty())
    return refused("create snapshot");
  if (i <= snap_.meta.last_included_index)
    return {}; // Not newer: nothing to do, as in raft::memory_storage.
  auto term = log_.term(i);
  PACT_ASSERT(term.ok(), "create_snapshot(): index outside the log");
  return write("create snapshot", [&](MDB_txn* t, pending& p) {
    codec::snapshot_record rec{{i, term.value(), conf}, data.size()};
    int rc = write_snapshot(t, rec, data);
    p.snap = std::move(rec);
    return rc;
  });
}

pact::status lmdb_store::create_state_snapshot(raft::index_t i,
                                               const raft::conf_state& conf) {
  if (!failure_.empty())
    return refused("create snapshot");
  auto stored = snap_.meta.last_included_index;
  if (i < stored || (i == stored && (i == 0 || view_)))
    return {};
  // At the stored index, an image snapshot (a store written before state
  // snapshots existed, restored at start) is rewritten as a state snapshot
  // of the same point: followers accept only the stream.
  if (i > stored || snap_.image_bytes != state_image) {
    auto meta = snap_.meta;
    if (i > stored) {
      auto term = log_.term(i);
      PACT_ASSERT(term.ok(), "create_state_snapshot(): index outside the log");
      meta = {i, term.value(), conf};
    }
    auto st = write("create snapshot", [&](MDB_txn* t, pending& p) {
      codec::snapshot_record rec{meta, state_image};
      int rc = write_snapshot(t, rec, {});
      p.snap = std::move(rec);
      return rc;
    });
    if (!st)
      return st;
  }
  return open_state_view();
}

pact::status lmdb_store::compact(raft::index_t i) {
  if (!failure_.empty())
    return refused("compact");
  if (i < log_.first_index())
    return {}; // Already compacted.
  // docs/raft.md: only compact what the latest snapshot covers, so that a
  // lagging follower is never sent a snapshot older than the log's start.
  PACT_ASSERT(i <= snap_.meta.last_included_index && i <= log_.last_index(),
              "compact(): index not covered by the latest snapshot");
  auto term = log_.term(i).value();
  return write("compact", [&](MDB_txn* t, pending& p) {
    int rc = delete_log_range(t, log_.first_index(), i);
    if (rc == 0)
      rc = detail::put(t, meta_db_, log_start_key,
                       codec::encode_log_start({i, term}));
    p.compacted_to = i;
    return rc;
  });
}

void lmdb_store::publish(pending& p) {
  if (p.snap) {
    snap_ = std::move(*p.snap);
    view_.reset(); // A view streams only the snapshot it was opened for.
  }
  if (p.reset_log)
    log_.reset(snap_.meta.last_included_index, snap_.meta.last_included_term);
  if (p.compacted_to)
    log_.compact_to(*p.compacted_to);
  if (p.truncate_from != 0) {
    log_.truncate_from(p.truncate_from);
    for (auto t : p.appended)
      log_.push_back(t);
  }
  if (p.hard)
    hard_ = *p.hard;
  if (p.conf)
    conf_ = std::move(*p.conf);
}

} // namespace pact::store
