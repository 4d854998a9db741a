#pragma once

/// In-memory `log_storage` (the twin of the LMDB store), used by tests and by
/// simulations. It also offers the write side a host needs: set_hard_state,
/// append, apply_snapshot, create_snapshot and compact.

#include <vector>

#include "runtime/raft/storage.hpp"

namespace pact::raft {

class memory_storage final : public log_storage {
public:
  /// An empty log whose bootstrap membership is `conf`.
  explicit memory_storage(conf_state conf = {});

  initial_state load_initial_state() const override;
  index_t first_index() const override;
  index_t last_index() const override;
  result<term_t> term(index_t i) const override;
  result<std::vector<entry>> entries(index_t lo, index_t hi,
                                     std::size_t max_bytes) const override;
  result<snapshot_meta> snapshot_metadata() const override;
  result<raft::snapshot_chunk>
  read_snapshot_chunk(index_t snapshot_index, std::uint64_t offset,
                      std::size_t max_bytes) const override;

  /// Persists the hard state.
  void set_hard_state(const hard_state& hs);

  /// Records the membership the host has applied (returned by
  /// load_initial_state()).
  void set_conf_state(const conf_state& cs);

  /// Appends entries (contiguous, ascending). Entries at or below the
  /// snapshot index are ignored; an existing suffix from the first new
  /// index on is replaced (§5.3 conflict truncation, decided by the core).
  void append(const std::vector<entry>& ents);

  /// Replaces the whole log by a received snapshot. Returns false (and does
  /// nothing) if it is older than the current one.
  bool apply_snapshot(const snapshot& snap);

  /// Takes a snapshot of the state machine at applied index `i`
  /// (first_index() - 1 < i <= last_index()), keeping the log. Returns false
  /// if `i` is not newer than the current snapshot.
  bool create_snapshot(index_t i, const conf_state& cs, std::string data);

  /// Discards entries up to and including `i` (which must be covered by the
  /// latest snapshot). Returns false if `i` is already compacted.
  bool compact(index_t i);

  /// The latest snapshot, whole.
  const snapshot& latest_snapshot() const {
    return snapshot_;
  }

private:
  hard_state hard_;
  conf_state conf_;
  snapshot snapshot_;
  /// entries_[0] is a dummy holding the snapshot's index and term.
  std::vector<entry> entries_;
};

} // namespace pact::raft
