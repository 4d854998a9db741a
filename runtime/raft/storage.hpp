#pragma once

/// The narrow, read-only view of durable Raft state that the core uses
/// (`log_storage`), and the error values it reports. The host owns writing:
/// it persists each `ready` (hard state, entries, snapshot) into the storage
/// and only then calls `advance()`. runtime/store provides the LMDB
/// implementation; `memory_storage` is the in-memory twin for tests.

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "runtime/common/assert.hpp"
#include "runtime/raft/types.hpp"

namespace pact::raft {

/// Why a storage read could not be answered.
enum class storage_error : std::uint8_t {
  none = 0,
  /// The index lies before the first available entry: it was compacted into
  /// a snapshot. The leader reacts by sending that snapshot instead (§7).
  compacted,
  /// The index lies after the last entry. Asking for it is a bug in the core.
  unavailable,
  /// No snapshot can be produced right now (e.g. one is being written);
  /// the leader retries later.
  snapshot_temporarily_unavailable,
};

const char* to_string(storage_error e);

/// A value or a storage_error. T must be default-constructible.
template <class T>
class result {
public:
  result(T value) : value_(std::move(value)) {
  }
  result(storage_error err) : error_(err) {
    PACT_ASSERT(err != storage_error::none, "error result without error");
  }

  bool ok() const {
    return error_ == storage_error::none;
  }
  explicit operator bool() const {
    return ok();
  }
  storage_error error() const {
    return error_;
  }
  /// Precondition: ok().
  const T& value() const& {
    PACT_ASSERT(ok(), "value() of an error result");
    return value_;
  }
  T&& value() && {
    PACT_ASSERT(ok(), "value() of an error result");
    return std::move(value_);
  }

private:
  T value_{};
  storage_error error_ = storage_error::none;
};

/// State recovered at start-up.
struct initial_state {
  /// Last persisted hard state (empty for a fresh replica).
  hard_state hard;
  /// Membership as last persisted by the host (the configuration of the
  /// latest snapshot, or the bootstrap configuration).
  conf_state conf;
};

/// A slice of the snapshot image.
struct snapshot_chunk {
  std::string data;
  /// True when `data` ends the image.
  bool done = false;
};

/// Read-only view of the durable log. Contract, with F = first_index() and
/// L = last_index():
/// - Entries F..L are available; F - 1 is the last index covered by the
///   latest snapshot (0 if none), and `term(F - 1)` is still answered (it is
///   the snapshot's last_included_term, or 0 for an empty, never compacted
///   log). An empty log has L = F - 1.
/// - Indices below F - 1 report `compacted`; indices above L `unavailable`.
/// - Results reflect everything the host persisted before the call; the
///   core never writes through this interface.
/// Implementations are not required to be thread-safe: the core and its
/// host use them from one thread (the replica actor).
class log_storage {
public:
  virtual ~log_storage() = default;

  /// Hard state and membership persisted so far.
  virtual initial_state load_initial_state() const = 0;

  /// First index still stored as an entry (>= 1).
  virtual index_t first_index() const = 0;

  /// Last stored index (first_index() - 1 when no entry is stored).
  virtual index_t last_index() const = 0;

  /// Term of entry `i`, for first_index() - 1 <= i <= last_index().
  virtual result<term_t> term(index_t i) const = 0;

  /// Entries [lo, hi), requiring first_index() <= lo <= hi <=
  /// last_index() + 1 (lo < first_index() reports `compacted`). Stops before
  /// the total entry_size() exceeds max_bytes, but always returns at least
  /// one entry when lo < hi.
  virtual result<std::vector<entry>> entries(index_t lo, index_t hi,
                                             std::size_t max_bytes) const = 0;

  /// Metadata of the latest snapshot (last_included_index 0 if none), or
  /// `snapshot_temporarily_unavailable`.
  virtual result<snapshot_meta> snapshot_metadata() const = 0;

  /// At most max_bytes of the image of the snapshot at `snapshot_index`,
  /// starting at byte `offset`. Reports `compacted` when a newer snapshot
  /// has replaced that one, so the sender restarts with the new one.
  virtual result<raft::snapshot_chunk>
  read_snapshot_chunk(index_t snapshot_index, std::uint64_t offset,
                      std::size_t max_bytes) const = 0;
};

} // namespace pact::raft
