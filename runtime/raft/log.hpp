#pragma once

/// The replica's view of its log: the durable part in `log_storage` plus the
/// `unstable` tail (entries and possibly a snapshot) that the core has
/// accepted but the host has not yet persisted. Indices and terms follow
/// Figure 2 of the Raft paper.

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "runtime/raft/storage.hpp"
#include "runtime/raft/types.hpp"

namespace pact::raft {

/// Entries and snapshot not yet persisted. Entries start at `offset`.
class unstable {
public:
  explicit unstable(index_t offset) : offset_(offset) {
  }

  /// First index if the unstable part begins with a snapshot.
  std::optional<index_t> maybe_first_index() const;
  /// Last index held here (entries, else snapshot).
  std::optional<index_t> maybe_last_index() const;
  /// Term of entry `i` if held here.
  std::optional<term_t> maybe_term(index_t i) const;

  /// The host persisted entries up to `i` with term `t`.
  void stable_to(index_t i, term_t t);
  /// The host persisted the snapshot at `i`.
  void stable_snap_to(index_t i);
  /// Replaces everything by a received snapshot.
  void restore(snapshot snap);
  /// Appends entries, replacing any conflicting suffix (§5.3).
  void truncate_and_append(const std::vector<entry>& ents);
  /// Entries [lo, hi); offset_ <= lo <= hi <= last + 1.
  std::vector<entry> slice(index_t lo, index_t hi) const;

  const std::vector<entry>& entries() const {
    return entries_;
  }
  const std::optional<raft::snapshot>& snapshot() const {
    return snapshot_;
  }
  index_t offset() const {
    return offset_;
  }

private:
  std::optional<raft::snapshot> snapshot_;
  std::vector<entry> entries_;
  index_t offset_;
};

/// The log as the core sees it. Invariant:
/// applied <= committed <= last_index(), and first_index() - 1 <= applied
/// unless a snapshot is pending application.
class raft_log {
public:
  explicit raft_log(const log_storage& storage);

  index_t first_index() const;
  index_t last_index() const;
  term_t last_term() const;
  /// Term of entry i; `compacted` below first_index() - 1, `unavailable`
  /// above last_index().
  result<term_t> term(index_t i) const;
  /// term(i), or 0 on any error (used where a missing entry means "no
  /// match").
  term_t term_or_zero(index_t i) const;
  bool match_term(index_t i, term_t t) const;

  /// Follower side of AppendEntries (§5.3). If entry `index` has term
  /// `log_term`, appends `ents` (truncating the first conflict), advances
  /// commit to min(committed, index of last new entry) and returns that
  /// last new index; otherwise returns nullopt (reject).
  std::optional<index_t> maybe_append(index_t index, term_t log_term,
                                      index_t committed,
                                      const std::vector<entry>& ents);
  /// Leader side: appends its own entries. Returns the new last index.
  index_t append(const std::vector<entry>& ents);
  /// First index in `ents` that conflicts with the log or is new; 0 if all
  /// are already present.
  index_t find_conflict(const std::vector<entry>& ents) const;
  /// Largest index <= `index` whose term is <= `t`, and its term (fast
  /// back-off hint, etcd-style; thesis §5.3 "accelerated log backtracking").
  std::pair<index_t, term_t> find_conflict_by_term(index_t index,
                                                   term_t t) const;

  /// §5.4.1: is a log ending at (lasti, t) at least as up-to-date as ours?
  bool is_up_to_date(index_t lasti, term_t t) const;

  /// Leader commit rule (§5.4.2): commit `max_index` only if its entry is
  /// from the leader's current `t`.
  bool maybe_commit(index_t max_index, term_t t);
  void commit_to(index_t i);
  void applied_to(index_t i);

  /// Entries [lo, hi) limited to max_bytes (at least one entry).
  result<std::vector<entry>> slice(index_t lo, index_t hi,
                                   std::size_t max_bytes) const;
  /// Entries from `i` to the end, limited to max_bytes.
  result<std::vector<entry>> entries_from(index_t i,
                                          std::size_t max_bytes) const;
  /// Committed entries not yet handed out for applying.
  std::vector<entry> next_committed_entries(std::size_t max_bytes) const;
  bool has_next_committed_entries() const;

  const std::vector<entry>& unstable_entries() const {
    return unstable_.entries();
  }
  const std::optional<snapshot>& unstable_snapshot() const {
    return unstable_.snapshot();
  }
  void stable_to(index_t i, term_t t) {
    unstable_.stable_to(i, t);
  }
  void stable_snap_to(index_t i) {
    unstable_.stable_snap_to(i);
  }
  /// Installs a snapshot received from the leader (§7).
  void restore(snapshot snap);

  index_t committed() const {
    return committed_;
  }
  index_t applied() const {
    return applied_;
  }

private:
  const log_storage& storage_;
  unstable unstable_;
  index_t committed_;
  index_t applied_;
};

} // namespace pact::raft
