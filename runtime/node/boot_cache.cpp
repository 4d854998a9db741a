#include "runtime/node/boot_cache.hpp"

#include <lmdb.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "runtime/common/files.hpp"

namespace pact::node {

namespace {

/// Room for large overlays; LMDB maps it lazily (a sparse file).
constexpr size_t cache_map_bytes = size_t{256} << 20;

constexpr const char* overlay_key = "overlay";
constexpr const char* delta_key = "node_delta";
constexpr const char* applied_key = "applied_unix_ms";
constexpr const char* node_key = "node_id";
/// Outbox keys: this prefix and a 20-digit id (every uint64 fits).
constexpr const char* outbox_prefix = "outbox/";
constexpr size_t outbox_id_digits = 20;

std::string outbox_key(uint64_t id) {
  auto digits = std::to_string(id);
  return outbox_prefix + std::string(outbox_id_digits - digits.size(), '0')
         + digits;
}

/// What an operator reads for a failed operation on the cache in `dir`:
/// a full volume (ENOSPC, or the EIO LMDB makes of a write cut short by
/// one) and a full map in words, anything else as LMDB describes it.
std::string cause(int rc, const std::string& dir) {
  rc = files::full_volume_errno(rc, files::free_bytes(dir));
  if (rc == ENOSPC || rc == EDQUOT)
    return "no space left on the volume (or the quota) holding it: free or "
           "expand it";
  if (rc == MDB_MAP_FULL)
    return "the cache is full (" + std::to_string(cache_map_bytes >> 20)
           + " MiB)";
  return mdb_strerror(rc);
}

// An MDB_val only points at its bytes: they must outlive the call it is
// passed to. A key given as a string literal must not become a temporary
// std::string (ASan: stack-use-after-scope in mdb_put, issue 16), and a
// temporary string is refused at compile time.
MDB_val val_of(const char* s) {
  return MDB_val{std::strlen(s), const_cast<char*>(s)};
}
MDB_val val_of(std::string&&) = delete;
MDB_val val_of(const std::string& s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}

/// Aborts an unfinished transaction on every early return.
struct txn_guard {
  MDB_txn* t = nullptr;
  ~txn_guard() {
    if (t != nullptr)
      mdb_txn_abort(t);
  }
};

/// Runs `body` in one write transaction and commits it; `body` returns an
/// LMDB code (0: go on). A failure, at any step, is `fail(code)`.
template <class Body, class Fail>
status write_txn(MDB_env* e, Body body, Fail fail) {
  txn_guard g;
  if (int rc = mdb_txn_begin(e, nullptr, 0, &g.t); rc != 0)
    return fail(rc);
  if (int rc = body(g.t); rc != 0)
    return fail(rc);
  int rc = mdb_txn_commit(g.t);
  g.t = nullptr;
  if (rc != 0)
    return fail(rc);
  return {};
}

} // namespace

struct boot_cache::env {
  MDB_env* e = nullptr;
  MDB_dbi dbi = 0;
  ~env() {
    if (e != nullptr)
      mdb_env_close(e);
  }
};

boot_cache::boot_cache(std::string path, std::unique_ptr<env> e)
  : path_(std::move(path)), env_(std::move(e)) {
}

boot_cache::~boot_cache() = default;

expected<std::unique_ptr<boot_cache>> boot_cache::open(const std::string& dir) {
  if (auto st = files::make_dirs(dir, 0700); !st)
    return st.err();
  auto e = std::make_unique<env>();
  auto fail = [&dir](const char* what, int rc) {
    return make_error(dir + ": cannot " + what
                      + " the agent's boot cache: " + cause(rc, dir));
  };
  if (int rc = mdb_env_create(&e->e); rc != 0)
    return fail("create", rc);
  mdb_env_set_mapsize(e->e, cache_map_bytes);
  if (int rc = mdb_env_open(e->e, dir.c_str(), 0, 0600); rc != 0)
    return fail("open", rc);
  txn_guard g;
  if (int rc = mdb_txn_begin(e->e, nullptr, 0, &g.t); rc != 0)
    return fail("open", rc);
  if (int rc = mdb_dbi_open(g.t, nullptr, 0, &e->dbi); rc != 0)
    return fail("open", rc);
  int rc = mdb_txn_commit(g.t);
  g.t = nullptr;
  if (rc != 0)
    return fail("open", rc);
  return std::unique_ptr<boot_cache>(new boot_cache(dir, std::move(e)));
}

status boot_cache::store(const cached_boot& b) {
  std::string overlay, delta;
  if (!b.overlay.SerializeToString(&overlay)
      || !b.node_delta.SerializeToString(&delta))
    return make_error(path_ + ": cannot encode the boot configuration");
  auto applied = std::to_string(b.applied_unix_ms);
  auto node = b.node_id;
  auto fail = [this](int rc) {
    return make_error(
      path_ + ": cannot write the agent's boot cache: " + cause(rc, path_));
  };
  return write_txn(
    env_->e,
    [&](MDB_txn* t) {
      for (auto [key, value] :
           {std::pair{overlay_key, &overlay}, std::pair{delta_key, &delta},
            std::pair{applied_key, &applied}, std::pair{node_key, &node}}) {
        auto k = val_of(key);
        auto v = val_of(*value);
        if (int rc = mdb_put(t, env_->dbi, &k, &v, 0); rc != 0)
          return rc;
      }
      return 0;
    },
    fail);
}

expected<std::optional<cached_boot>> boot_cache::load() const {
  txn_guard g;
  if (int rc = mdb_txn_begin(env_->e, nullptr, MDB_RDONLY, &g.t); rc != 0)
    return make_error(
      path_ + ": cannot read the agent's boot cache: " + cause(rc, path_));
  auto get = [&](const char* key) -> std::optional<std::string> {
    auto k = val_of(key);
    MDB_val v{0, nullptr};
    if (mdb_get(g.t, env_->dbi, &k, &v) != 0)
      return std::nullopt;
    return std::string(static_cast<const char*>(v.mv_data), v.mv_size);
  };
  auto overlay = get(overlay_key);
  auto delta = get(delta_key);
  auto applied = get(applied_key);
  if (!overlay || !delta || !applied)
    return std::optional<cached_boot>{};
  cached_boot b;
  b.node_id = get(node_key).value_or(std::string());
  char* end = nullptr;
  b.applied_unix_ms = std::strtoll(applied->c_str(), &end, 10);
  if (!b.overlay.ParseFromString(*overlay)
      || !b.node_delta.ParseFromString(*delta) || end == applied->c_str()
      || *end != 0)
    return make_error(path_
                      + ": the agent's boot cache is damaged (delete "
                        "the folder; the next boot from the journal "
                        "rewrites it)");
  return std::optional<cached_boot>{std::move(b)};
}

status boot_cache::outbox_put(uint64_t id, const std::string& command) {
  auto fail = [this](int rc) {
    return make_error(path_
                      + ": cannot keep a node command in the agent's "
                        "outbox: "
                      + cause(rc, path_));
  };
  auto key = outbox_key(id);
  return write_txn(
    env_->e,
    [&](MDB_txn* t) {
      auto k = val_of(key);
      auto v = val_of(command);
      return mdb_put(t, env_->dbi, &k, &v, 0);
    },
    fail);
}

status boot_cache::outbox_erase(uint64_t id) {
  auto fail = [this](int rc) {
    return make_error(path_
                      + ": cannot remove a node command from the "
                        "agent's outbox: "
                      + cause(rc, path_));
  };
  auto key = outbox_key(id);
  return write_txn(
    env_->e,
    [&](MDB_txn* t) {
      auto k = val_of(key);
      int rc = mdb_del(t, env_->dbi, &k, nullptr);
      return rc == MDB_NOTFOUND ? 0 : rc; // already gone: nothing to do
    },
    fail);
}

expected<std::vector<std::pair<uint64_t, std::string>>>
boot_cache::outbox_load() const {
  auto fail = [this](int rc) {
    return make_error(
      path_ + ": cannot read the agent's outbox: " + cause(rc, path_));
  };
  txn_guard g;
  if (int rc = mdb_txn_begin(env_->e, nullptr, MDB_RDONLY, &g.t); rc != 0)
    return fail(rc);
  MDB_cursor* c = nullptr;
  if (int rc = mdb_cursor_open(g.t, env_->dbi, &c); rc != 0)
    return fail(rc);
  std::unique_ptr<MDB_cursor, void (*)(MDB_cursor*)> guard(c, mdb_cursor_close);
  std::vector<std::pair<uint64_t, std::string>> out;
  std::string prefix = outbox_prefix;
  MDB_val k = val_of(prefix);
  MDB_val v{0, nullptr};
  int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
  for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
    std::string key(static_cast<const char*>(k.mv_data), k.mv_size);
    if (key.compare(0, prefix.size(), prefix) != 0)
      break;
    auto digits = key.substr(prefix.size());
    char* end = nullptr;
    auto id = std::strtoull(digits.c_str(), &end, 10);
    if (digits.size() != outbox_id_digits || *end != 0)
      return make_error(path_
                        + ": the agent's outbox holds a damaged key "
                          "(delete the folder; queued node commands "
                          "are then lost)");
    out.emplace_back(id, std::string(static_cast<const char*>(v.mv_data),
                                     v.mv_size));
  }
  if (rc != 0 && rc != MDB_NOTFOUND)
    return fail(rc);
  return out;
}

} // namespace pact::node
