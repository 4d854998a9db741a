#pragma once

/// Internal helpers of lmdb_store: RAII transactions and cursors and
/// string_view access to LMDB values. Not part of the public API (only
/// lmdb_store*.cpp include it). Every function returns the LMDB return code
/// (0 on success) and never throws; the caller turns codes into
/// pact::error values that name the operation and the path.

#include <lmdb.h>

#include <string_view>

namespace pact::store::detail {

/// A transaction aborted on destruction unless committed. A cursor opened in
/// a write transaction must be destroyed before commit()/abort() (LMDB
/// frees it with the transaction); keep cursors in an inner scope.
class txn {
public:
  txn() = default;
  ~txn() {
    abort();
  }
  txn(const txn&) = delete;
  txn& operator=(const txn&) = delete;

  /// Begins a transaction; flags 0 (write) or MDB_RDONLY.
  int begin(MDB_env* env, unsigned int flags);

  /// Commits. The handle is released whether or not it succeeded; on
  /// failure LMDB has discarded the transaction (nothing became visible).
  int commit();

  /// Discards the transaction, if any.
  void abort();

  MDB_txn* get() const {
    return ptr_;
  }

private:
  MDB_txn* ptr_ = nullptr;
};

/// A cursor closed on destruction.
class cursor {
public:
  cursor() = default;
  ~cursor();
  cursor(const cursor&) = delete;
  cursor& operator=(const cursor&) = delete;

  int open(MDB_txn* t, MDB_dbi db);

  MDB_cursor* get() const {
    return ptr_;
  }

private:
  MDB_cursor* ptr_ = nullptr;
};

// The bytes must outlive the LMDB call: a temporary std::string would
// leave the MDB_val dangling (runtime/node/boot_cache.cpp had that fault),
// so one is refused at compile time.
MDB_val to_val(std::string&&) = delete;
inline MDB_val to_val(std::string_view s) {
  // LMDB takes non-const pointers but does not write through them for
  // keys and for put() data (only MDB_RESERVE hands out writable memory).
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}

inline std::string_view to_view(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

/// mdb_get; `out` views memory valid until the transaction ends.
int get(MDB_txn* t, MDB_dbi db, std::string_view key, std::string_view& out);

/// mdb_put with no flags (insert or overwrite).
int put(MDB_txn* t, MDB_dbi db, std::string_view key, std::string_view value);

/// mdb_put with MDB_RESERVE: `out` receives `size` writable bytes that the
/// caller must fill before the next write in this transaction.
int reserve(MDB_txn* t, MDB_dbi db, std::string_view key, std::size_t size,
            char*& out);

/// mdb_del of one key; a missing key is not an error (returns 0).
int del(MDB_txn* t, MDB_dbi db, std::string_view key);

} // namespace pact::store::detail
