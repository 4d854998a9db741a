#pragma once

/// In-memory index of the LMDB log: the bounds and the term of every stored
/// entry (8 bytes per entry; the log between snapshots is bounded by
/// journal.raft.snapshot_interval). It lets first_index(), last_index() and
/// term() answer without a read transaction, so they cannot fail: the core
/// calls term() everywhere and has no way to handle an I/O error there.
/// The store updates it only after a write transaction committed.

#include <vector>

#include "runtime/raft/storage.hpp"

namespace pact::store {

class log_index {
public:
  /// An empty log after entry `start_index` (term `start_term`).
  void reset(raft::index_t start_index, raft::term_t start_term);

  raft::index_t first_index() const {
    return start_index_ + 1;
  }
  raft::index_t last_index() const {
    return start_index_ + terms_.size();
  }
  raft::term_t start_term() const {
    return start_term_;
  }

  /// Contract of log_storage::term().
  raft::result<raft::term_t> term(raft::index_t i) const;

  /// Drops entries from `i` on (i in [first_index(), last_index() + 1]).
  void truncate_from(raft::index_t i);

  /// Appends the term of entry last_index() + 1.
  void push_back(raft::term_t t) {
    terms_.push_back(t);
  }

  /// Drops entries up to and including `i` (first_index() <= i <=
  /// last_index()), remembering term(i) as the start term.
  void compact_to(raft::index_t i);

private:
  raft::index_t start_index_ = 0;
  raft::term_t start_term_ = 0;
  /// terms_[k] is the term of entry first_index() + k.
  std::vector<raft::term_t> terms_;
};

} // namespace pact::store
