#include "runtime/store/lmdb_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>

#include "runtime/common/files.hpp"
#include "runtime/store/lmdb_txn.hpp"

namespace pact::store {

namespace {

// Database and key names (docs/storage.md, "Layout").
constexpr const char* log_db_name = "log";
constexpr const char* meta_db_name = "meta";
constexpr const char* snap_db_name = "snapshot";
constexpr const char* state_db_name = "state";
constexpr std::string_view format_key = "format";
constexpr std::string_view hard_state_key = "hard_state";
constexpr std::string_view conf_state_key = "conf_state";
constexpr std::string_view log_start_key = "log_start";
constexpr std::string_view snap_meta_key = "meta";

/// Directories open in this process. LMDB's locks are per process (POSIX
/// record locks): a second environment on the same files would break them
/// when closed, so a second open must be refused.
std::mutex registry_mutex;
std::set<std::string>& registry() {
  static std::set<std::string> open_dirs;
  return open_dirs;
}

std::string canonical(const std::string& dir) {
  char buf[PATH_MAX];
  if (::realpath(dir.c_str(), buf) == nullptr)
    return dir;
  return buf;
}

} // namespace

std::optional<std::uint64_t> statvfs_free_bytes(const std::string& dir) {
  return files::free_bytes(dir);
}

lmdb_store::lmdb_store(lmdb_options opts) : opts_(std::move(opts)) {
}

lmdb_store::~lmdb_store() {
  view_.reset(); // Its read transaction ends before the environment.
  if (env_ != nullptr)
    mdb_env_close(env_);
  if (owner_fd_ >= 0)
    ::close(owner_fd_); // releases the flock
  if (!registered_.empty()) {
    std::lock_guard<std::mutex> guard{registry_mutex};
    registry().erase(registered_);
  }
}

pact::expected<std::unique_ptr<lmdb_store>>
lmdb_store::open(lmdb_options opts) {
  std::unique_ptr<lmdb_store> store{new lmdb_store(std::move(opts))};
  try {
    if (auto st = store->init(); !st)
      return st.err();
  } catch (const std::exception& e) { // e.g. std::bad_alloc
    return store->op_error("open", e.what());
  }
  return store;
}

pact::status lmdb_store::init() {
  if (opts_.dir.empty())
    return make_error(opts_.label + ": open: no data directory configured");
  if (opts_.map_size_bytes == 0)
    return op_error("open", "map size must be positive ("
                              + opts_.map_size_setting + ")");
  if (auto st = files::make_dirs(opts_.dir, 0700); !st)
    return op_error("open", st.err().message);
  {
    std::lock_guard<std::mutex> guard{registry_mutex};
    auto key = canonical(opts_.dir);
    if (!registry().insert(key).second)
      return op_error("open", "already open in this process");
    registered_ = key;
  }
  if (auto st = claim_directory(); !st)
    return st;
  if (auto st = open_env(); !st)
    return st;
  // Staged snapshot bytes do not outlive the process that received them.
  staging_.remove_leftovers();
  if (auto st = init_databases(); !st)
    return st;
  return load();
}

pact::status lmdb_store::claim_directory() {
  // LMDB lets several processes share an environment; a second replica
  // (or tool) on the same directory would write the same log and answer
  // as the same member. An exclusive flock on a file of the directory
  // refuses it; the kernel drops the lock when the process dies.
  auto fd = files::lock_directory(opts_.dir, "a running pact-journal or tool");
  if (!fd)
    return op_error("open", fd.err().message);
  owner_fd_ = *fd;
  return {};
}

pact::status lmdb_store::open_env() {
  if (int rc = mdb_env_create(&env_); rc != 0) {
    env_ = nullptr;
    return op_error("open", describe(rc));
  }
  int rc = mdb_env_set_maxdbs(env_, 4);
  if (rc == 0)
    rc = mdb_env_set_mapsize(env_, opts_.map_size_bytes);
  // MDB_NOTLS: read transactions are not bound to a thread, so the store
  // may move between the actor system's worker threads. No MDB_NOSYNC or
  // MDB_NOMETASYNC: every commit is fsynced (durability before messages).
  if (rc == 0)
    rc = mdb_env_open(env_, opts_.dir.c_str(), MDB_NOTLS, 0600);
  if (rc != 0)
    return op_error("open", describe(rc));
  MDB_envinfo info{};
  mdb_env_info(env_, &info);
  map_size_ = info.me_mapsize;
  return {};
}

pact::status lmdb_store::init_databases() {
  detail::txn t;
  int rc = t.begin(env_, 0);
  if (rc == 0)
    rc = mdb_dbi_open(t.get(), log_db_name, MDB_CREATE, &log_db_);
  if (rc == 0)
    rc = mdb_dbi_open(t.get(), meta_db_name, MDB_CREATE, &meta_db_);
  if (rc == 0)
    rc = mdb_dbi_open(t.get(), snap_db_name, MDB_CREATE, &snap_db_);
  if (rc == 0)
    rc = mdb_dbi_open(t.get(), state_db_name, MDB_CREATE, &state_db_);
  std::string_view format;
  if (rc == 0)
    rc = detail::get(t.get(), meta_db_, format_key, format);
  if (rc == MDB_NOTFOUND) {
    // A new store: write every record so that load() finds a complete set.
    codec::snapshot_record rec;
    rec.meta.conf = opts_.bootstrap;
    rc = detail::put(t.get(), meta_db_, format_key, codec::encode_format());
    if (rc == 0)
      rc = detail::put(t.get(), meta_db_, hard_state_key,
                       codec::encode_hard_state({}));
    if (rc == 0)
      rc = detail::put(t.get(), meta_db_, conf_state_key,
                       codec::encode_conf_state(opts_.bootstrap));
    if (rc == 0)
      rc = detail::put(t.get(), meta_db_, log_start_key,
                       codec::encode_log_start({}));
    if (rc == 0)
      rc = detail::put(t.get(), snap_db_, snap_meta_key,
                       codec::encode_snapshot_record(rec));
  } else if (rc == 0) {
    auto version = codec::decode_format(format);
    if (!version || *version != codec::format_version)
      return op_error("open", "unsupported store format (expected version "
                                + std::to_string(codec::format_version) + ")");
  }
  if (rc == 0)
    rc = t.commit();
  if (rc != 0)
    return op_error("open", describe(rc));
  return {};
}

pact::status lmdb_store::load() {
  detail::txn t;
  if (int rc = t.begin(env_, MDB_RDONLY); rc != 0)
    return op_error("open", describe(rc));
  if (auto st = load_meta(t.get()); !st)
    return st;
  if (auto st = load_log(t.get()); !st)
    return st;
  return check_image(t.get());
}

pact::status lmdb_store::load_meta(MDB_txn* t) {
  std::string_view hs;
  std::string_view cs;
  std::string_view start;
  std::string_view rec;
  int rc = detail::get(t, meta_db_, hard_state_key, hs);
  if (rc == 0)
    rc = detail::get(t, meta_db_, conf_state_key, cs);
  if (rc == 0)
    rc = detail::get(t, meta_db_, log_start_key, start);
  if (rc == 0)
    rc = detail::get(t, snap_db_, snap_meta_key, rec);
  if (rc != 0)
    return op_error("open", "missing metadata record: " + describe(rc));
  auto hard = codec::decode_hard_state(hs);
  auto conf = codec::decode_conf_state(cs);
  auto log_start = codec::decode_log_start(start);
  auto snap = codec::decode_snapshot_record(rec);
  if (!hard || !conf || !log_start || !snap)
    return op_error("open", "corrupt metadata record");
  hard_ = *hard;
  conf_ = std::move(*conf);
  snap_ = std::move(*snap);
  log_.reset(log_start->index, log_start->term);
  return {};
}

pact::status lmdb_store::load_log(MDB_txn* t) {
  detail::cursor c;
  if (int rc = c.open(t, log_db_); rc != 0)
    return op_error("open", describe(rc));
  MDB_val k{0, nullptr};
  MDB_val v{0, nullptr};
  int rc = mdb_cursor_get(c.get(), &k, &v, MDB_FIRST);
  for (; rc == 0; rc = mdb_cursor_get(c.get(), &k, &v, MDB_NEXT)) {
    auto expect = log_.last_index() + 1;
    auto index = codec::decode_index_key(detail::to_view(k));
    if (!index || *index != expect)
      return op_error("open", "log is not contiguous: expected entry "
                                + std::to_string(expect));
    auto term = codec::decode_entry_term(detail::to_view(v));
    if (!term)
      return op_error("open",
                      "entry " + std::to_string(expect) + " is corrupt");
    log_.push_back(*term);
  }
  if (rc != MDB_NOTFOUND)
    return op_error("open", describe(rc));
  return {};
}

pact::status lmdb_store::check_image(MDB_txn* t) const {
  // Every chunk present with the size the record implies; read_image()
  // then only fails on I/O, never on a short image.
  auto left = snap_.image_bytes == state_image ? 0 : snap_.image_bytes;
  for (std::uint64_t n = 0; left > 0; ++n) {
    std::string_view chunk;
    int rc = detail::get(t, snap_db_, codec::image_chunk_key(n), chunk);
    auto want = std::min<std::uint64_t>(left, image_chunk_bytes);
    if (rc != 0 || chunk.size() != want)
      return op_error("open", "snapshot image chunk " + std::to_string(n)
                                + " is missing or corrupt");
    left -= want;
  }
  return {};
}

// -- raft::log_storage --------------------------------------------------------

raft::initial_state lmdb_store::load_initial_state() const {
  return raft::initial_state{hard_, conf_};
}

raft::index_t lmdb_store::first_index() const {
  return log_.first_index();
}

raft::index_t lmdb_store::last_index() const {
  return log_.last_index();
}

raft::result<raft::term_t> lmdb_store::term(raft::index_t i) const {
  return log_.term(i);
}

raft::result<std::vector<raft::entry>>
lmdb_store::entries(raft::index_t lo, raft::index_t hi,
                    std::size_t max_bytes) const {
  if (lo < log_.first_index())
    return raft::storage_error::compacted;
  PACT_ASSERT(lo <= hi && hi <= log_.last_index() + 1,
              "entries(): range out of bounds");
  std::vector<raft::entry> out;
  if (lo == hi)
    return out;
  if (auto st = read_entries(lo, hi, max_bytes, out); !st) {
    if (failure_.empty())
      failure_ = st.err().message;
    return raft::storage_error::unavailable;
  }
  return out;
}

pact::status lmdb_store::read_entries(raft::index_t lo, raft::index_t hi,
                                      std::size_t max_bytes,
                                      std::vector<raft::entry>& out) const {
  detail::txn t;
  if (int rc = t.begin(env_, MDB_RDONLY); rc != 0)
    return op_error("read entries", describe(rc));
  detail::cursor c;
  if (int rc = c.open(t.get(), log_db_); rc != 0)
    return op_error("read entries", describe(rc));
  auto key = codec::index_key(lo);
  auto k = detail::to_val(key);
  MDB_val v{0, nullptr};
  int rc = mdb_cursor_get(c.get(), &k, &v, MDB_SET_KEY);
  std::size_t bytes = 0;
  for (auto i = lo; i < hi; ++i) {
    if (rc == 0 && i != lo)
      rc = mdb_cursor_get(c.get(), &k, &v, MDB_NEXT);
    if (rc != 0)
      return op_error("read entries",
                      "entry " + std::to_string(i) + ": " + describe(rc));
    auto index = codec::decode_index_key(detail::to_view(k));
    auto e = codec::decode_entry(i, detail::to_view(v));
    if (!index || *index != i || !e)
      return op_error("read entries",
                      "entry " + std::to_string(i) + " is corrupt");
    bytes += raft::entry_size(*e);
    if (!out.empty() && bytes > max_bytes)
      break; // log_storage: stop before max_bytes, but return one entry.
    out.push_back(std::move(*e));
  }
  return {};
}

raft::result<raft::snapshot_meta> lmdb_store::snapshot_metadata() const {
  return snap_.meta;
}

raft::result<raft::snapshot_chunk>
lmdb_store::read_snapshot_chunk(raft::index_t snapshot_index,
                                std::uint64_t offset,
                                std::size_t max_bytes) const {
  if (snapshot_index != snap_.meta.last_included_index)
    return raft::storage_error::compacted; // Replaced: the sender restarts.
  if (snap_.image_bytes == state_image) {
    if (!view_)
      return raft::storage_error::snapshot_temporarily_unavailable;
    auto chunk = read_state_view(offset, max_bytes);
    if (!chunk)
      return raft::storage_error::snapshot_temporarily_unavailable;
    return std::move(*chunk);
  }
  PACT_ASSERT(offset <= snap_.image_bytes,
              "read_snapshot_chunk(): offset beyond the image");
  auto n = std::min<std::uint64_t>(max_bytes, snap_.image_bytes - offset);
  raft::snapshot_chunk chunk;
  if (auto st = read_image(offset, static_cast<std::size_t>(n), chunk.data);
      !st) {
    if (failure_.empty())
      failure_ = st.err().message;
    return raft::storage_error::snapshot_temporarily_unavailable;
  }
  chunk.done = offset + n == snap_.image_bytes;
  return chunk;
}

pact::status lmdb_store::read_image(std::uint64_t offset, std::size_t n,
                                    std::string& out) const {
  out.clear();
  out.reserve(n);
  detail::txn t;
  if (int rc = t.begin(env_, MDB_RDONLY); rc != 0)
    return op_error("read snapshot", describe(rc));
  while (out.size() < n) {
    auto pos = offset + out.size();
    auto chunk_no = pos / image_chunk_bytes;
    auto within = static_cast<std::size_t>(pos % image_chunk_bytes);
    std::string_view chunk;
    int rc = detail::get(t.get(), snap_db_, codec::image_chunk_key(chunk_no),
                         chunk);
    if (rc != 0 || chunk.size() <= within)
      return op_error("read snapshot",
                      "image chunk " + std::to_string(chunk_no)
                        + (rc != 0 ? ": " + describe(rc) : " is short"));
    out.append(chunk.substr(within, n - out.size()));
  }
  return {};
}

pact::expected<raft::snapshot> lmdb_store::load_snapshot() const {
  raft::snapshot snap;
  snap.meta = snap_.meta;
  if (snap_.image_bytes == state_image)
    return snap; // The image is the tables.
  try {
    auto st = read_image(0, static_cast<std::size_t>(snap_.image_bytes),
                         snap.data);
    if (!st)
      return st.err();
  } catch (const std::exception& e) {
    return op_error("read snapshot", e.what());
  }
  return snap;
}

bool lmdb_store::failed() const {
  return !failure_.empty();
}

const std::string& lmdb_store::failure() const {
  return failure_;
}

// -- errors -------------------------------------------------------------------

std::string lmdb_store::where() const {
  return opts_.label + " at " + opts_.dir;
}

std::string lmdb_store::describe(int rc) const {
  if (rc == MDB_MAP_FULL) {
    auto size = map_size_ != 0 ? map_size_ : opts_.map_size_bytes;
    auto head = "LMDB map is full (map size " + std::to_string(size)
                + " bytes)";
    if (opts_.grow && !growth_refusal_.empty())
      return head + " and " + growth_refusal_
             + ": free or expand the volume, or compact";
    return head + ": raise " + opts_.map_size_setting + " or compact";
  }
  if (rc == ENOSPC || rc == EDQUOT)
    return "no space left on the volume (or the quota) holding it: free or "
           "expand it";
  return std::string{"LMDB error: "} + mdb_strerror(rc);
}

pact::error lmdb_store::op_error(const char* op,
                                 const std::string& detail) const {
  return make_error(where() + ": " + op + ": " + detail);
}

pact::error lmdb_store::fail(const char* op, const std::string& detail) const {
  auto err = op_error(op, detail);
  if (failure_.empty())
    failure_ = err.message;
  return err;
}

pact::error lmdb_store::refused(const char* op) const {
  return op_error(op, "refused after an earlier failure (reopen the store "
                      "once the cause is fixed): "
                        + failure_);
}

} // namespace pact::store
