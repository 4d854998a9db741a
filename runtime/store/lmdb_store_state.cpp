// lmdb_store: the journal state machine's tables in the `state` database
// (docs/storage.md "State tables"). Every key carries its table's one-byte
// prefix, so the tables share one LMDB database and one write transaction.

#include <stdexcept>

#include "runtime/store/lmdb_store.hpp"
#include "runtime/store/lmdb_txn.hpp"
#include "runtime/store/state_stream.hpp"

namespace pact::store {

int lmdb_store::stage_state(MDB_txn* t, const state_write& w) {
  int rc = w.clear ? mdb_drop(t, state_db_, 0) : 0;
  for (auto i = w.ops.begin(); rc == 0 && i != w.ops.end(); ++i) {
    auto key = table_key(i->table, i->key);
    rc = i->value ? detail::put(t, state_db_, key, *i->value)
                  : detail::del(t, state_db_, key);
  }
  return rc;
}

int lmdb_store::stage_staged_state(MDB_txn* t) {
  int rc = mdb_drop(t, state_db_, 0);
  // The stream is in ascending key order and the database is empty now:
  // MDB_APPEND fills pages in order (and refuses a key out of order).
  auto st = staging_.replay([&](std::string_view key, std::string_view value) {
    auto k = detail::to_val(key);
    auto v = detail::to_val(value);
    rc = rc == 0 ? mdb_put(t, state_db_, &k, &v, MDB_APPEND) : rc;
    return rc == 0;
  });
  if (!st)
    throw std::runtime_error(st.err().message); // write() aborts the txn
  return rc;
}

struct lmdb_store::state_view {
  /// Pins the `state` database as of the snapshot (MDB_NOTLS: the txn may
  /// move between threads with the replica actor).
  detail::txn txn;
  std::optional<state_stream> stream;
};

pact::status lmdb_store::open_state_view() {
  view_.reset();
  auto v = std::make_shared<state_view>();
  if (int rc = v->txn.begin(env_, MDB_RDONLY); rc != 0)
    return fail("open snapshot view", describe(rc));
  MDB_txn* t = v->txn.get();
  v->stream.emplace([this, t](std::string_view from, const state_visitor& fn) {
    detail::cursor c;
    int rc = c.open(t, state_db_);
    auto k = detail::to_val(from);
    MDB_val val{0, nullptr};
    // LMDB refuses an empty key for MDB_SET_RANGE: start at the first.
    if (rc == 0)
      rc = mdb_cursor_get(c.get(), &k, &val,
                          from.empty() ? MDB_FIRST : MDB_SET_RANGE);
    for (; rc == 0; rc = mdb_cursor_get(c.get(), &k, &val, MDB_NEXT))
      if (!fn(detail::to_view(k), detail::to_view(val)))
        return pact::status{};
    if (rc != MDB_NOTFOUND)
      return pact::status{make_error(describe(rc))};
    return pact::status{};
  });
  view_ = std::move(v);
  return {};
}

pact::expected<raft::snapshot_chunk>
lmdb_store::read_state_view(std::uint64_t offset, std::size_t max_bytes) const {
  auto chunk = view_->stream->read(offset, max_bytes);
  if (!chunk)
    return op_error("read snapshot", chunk.err().message);
  return chunk;
}

pact::expected<std::optional<std::string>>
lmdb_store::lmdb_tables::get(state_table t, std::string_view key) const {
  detail::txn rt;
  std::string_view v;
  int rc = rt.begin(s_.env_, MDB_RDONLY);
  if (rc == 0)
    rc = detail::get(rt.get(), s_.state_db_, table_key(t, key), v);
  if (rc == MDB_NOTFOUND)
    return std::optional<std::string>{};
  if (rc != 0)
    return s_.fail("read state", s_.describe(rc));
  return std::optional<std::string>{std::string(v)};
}

pact::status lmdb_store::lmdb_tables::scan(state_table t, std::string_view from,
                                           std::string_view to, bool descending,
                                           const state_visitor& fn) const {
  auto [lo, hi] = table_range(t, from, to);
  if (!(lo < hi))
    return {};
  detail::txn rt;
  detail::cursor c;
  int rc = rt.begin(s_.env_, MDB_RDONLY);
  if (rc == 0)
    rc = c.open(rt.get(), s_.state_db_);
  if (rc != 0)
    return s_.fail("read state", s_.describe(rc));
  auto k = detail::to_val(descending ? hi : lo);
  MDB_val v{0, nullptr};
  rc = mdb_cursor_get(c.get(), &k, &v, MDB_SET_RANGE);
  if (descending) {
    // The first key >= hi is outside; step back from it (or from the end).
    rc = rc == 0 ? mdb_cursor_get(c.get(), &k, &v, MDB_PREV)
                 : mdb_cursor_get(c.get(), &k, &v, MDB_LAST);
  }
  for (; rc == 0;
       rc = mdb_cursor_get(c.get(), &k, &v, descending ? MDB_PREV : MDB_NEXT)) {
    auto key = detail::to_view(k);
    if (descending ? key < lo : !(key < hi)) {
      rc = MDB_NOTFOUND;
      break;
    }
    if (!fn(key.substr(1), detail::to_view(v)))
      return {};
  }
  if (rc != MDB_NOTFOUND)
    return s_.fail("read state", s_.describe(rc));
  return {};
}

pact::status lmdb_store::lmdb_tables::write(const state_write& w) {
  write_batch b;
  b.state = &w;
  return s_.save(b);
}

} // namespace pact::store
