#include "runtime/store/lmdb_txn.hpp"

namespace pact::store::detail {

int txn::begin(MDB_env* env, unsigned int flags) {
  abort();
  return mdb_txn_begin(env, nullptr, flags, &ptr_);
}

int txn::commit() {
  auto* t = ptr_;
  ptr_ = nullptr;
  // mdb_txn_commit frees the transaction even when it fails.
  return mdb_txn_commit(t);
}

void txn::abort() {
  if (ptr_ != nullptr)
    mdb_txn_abort(ptr_);
  ptr_ = nullptr;
}

cursor::~cursor() {
  if (ptr_ != nullptr)
    mdb_cursor_close(ptr_);
}

int cursor::open(MDB_txn* t, MDB_dbi db) {
  return mdb_cursor_open(t, db, &ptr_);
}

int get(MDB_txn* t, MDB_dbi db, std::string_view key, std::string_view& out) {
  auto k = to_val(key);
  MDB_val v{0, nullptr};
  auto rc = mdb_get(t, db, &k, &v);
  if (rc == 0)
    out = to_view(v);
  return rc;
}

int put(MDB_txn* t, MDB_dbi db, std::string_view key, std::string_view value) {
  auto k = to_val(key);
  auto v = to_val(value);
  return mdb_put(t, db, &k, &v, 0);
}

int reserve(MDB_txn* t, MDB_dbi db, std::string_view key, std::size_t size,
            char*& out) {
  auto k = to_val(key);
  MDB_val v{size, nullptr};
  auto rc = mdb_put(t, db, &k, &v, MDB_RESERVE);
  if (rc == 0)
    out = static_cast<char*>(v.mv_data);
  return rc;
}

int del(MDB_txn* t, MDB_dbi db, std::string_view key) {
  auto k = to_val(key);
  auto rc = mdb_del(t, db, &k, nullptr);
  return rc == MDB_NOTFOUND ? 0 : rc;
}

} // namespace pact::store::detail
