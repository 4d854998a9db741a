#pragma once

/// `entry_log`: the journal's config entries in the state tables
/// (runtime/store/state_tables.hpp; issue 10 item 1; docs/journal.md
/// "Where entries live"). The state machine appends entries here; they are
/// kept in memory only in a bounded cache of the newest ones and in the
/// write set not yet persisted, and read back from the tables otherwise.
///
/// Layout (keys in the tables; u64/u32 big-endian):
///   entries   u64 sequence                    -> deterministic ConfigEntry
///   by_scope  scope key, NUL, u64 sequence    -> empty ("global", "vc:X",
///                                                "node:X"; names hold no NUL)
///   by_type   u32 entry type, u64 sequence    -> empty (RECORD entries carry
///                                                their record type)
///
/// Reads see every appended entry, persisted or not: the cache holds every
/// entry from cache_front() to the last one, and is trimmed only of entries
/// already persisted; older entries are read from the tables. Read errors
/// (the medium failing) are returned; the apply path, which cannot go on
/// deterministically without its entries, aborts on them instead.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <pact/protocol/journal.pb.h>

#include "runtime/common/error.hpp"
#include "runtime/store/state_tables.hpp"

namespace pact::journal {

/// Newest entries kept in memory by default (`pact log -n 20` and the hash
/// chain's head are served from here).
inline constexpr std::size_t default_entry_cache = 1024;

/// Visits one entry; return false to stop.
using entry_visitor = std::function<bool(const protocol::ConfigEntry&)>;

class entry_log {
public:
  /// Entries in `tables` (which must outlive the log), or, when null, in
  /// tables of its own in memory.
  explicit entry_log(store::state_tables* tables = nullptr,
                     std::size_t cache_bound = default_entry_cache);

  /// Rebuilds the log from its tables (after a restart): the newest
  /// entries into the cache, all of them persisted. An error names a
  /// corrupt or non-contiguous record.
  status load();

  /// The tables the entries live in.
  store::state_tables& tables() const {
    return *tables_;
  }

  // -- write side ------------------------------------------------------------

  /// Adds `e` (its sequence must be last_sequence() + 1) to the cache and
  /// the write set.
  void append(protocol::ConfigEntry e);
  /// Replaces every entry with `entries` (ascending from sequence 1, chain
  /// already verified): the write set clears the tables first.
  void reset(const std::vector<protocol::ConfigEntry>& entries);
  /// What is appended but not yet persisted.
  const store::state_write& pending() const {
    return pending_;
  }
  /// Moves the write set out (to persist it elsewhere, e.g. in the Raft
  /// store's transaction); call persisted() once that succeeded.
  store::state_write take_pending();
  /// The write set taken last is durable: the cache may drop those entries.
  void persisted();
  /// Persists the write set into the tables (standalone use).
  status flush();

  // -- read side -------------------------------------------------------------

  uint64_t last_sequence() const {
    return last_;
  }
  /// The newest entry, or null when there is none.
  const protocol::ConfigEntry* last() const {
    return cache_.empty() ? nullptr : &cache_.back();
  }
  /// The entry with `sequence`, nullopt when there is none.
  expected<std::optional<protocol::ConfigEntry>> get(uint64_t sequence) const;
  /// Entries with sequence > `after`, ascending, until `fn` returns false.
  status scan(uint64_t after, const entry_visitor& fn) const;
  /// Entries newest first, only those of `scope_key` when given, until
  /// `fn` returns false.
  status newest(const std::optional<std::string>& scope_key,
                const entry_visitor& fn) const;
  /// newest() restricted to sequences `from` ..= `upto`: reads only
  /// entries in that range (and with a scope, only that scope's, through
  /// its index), so a caller that bounded the range by bisection reads
  /// what it returns and no more.
  status newest_in(const std::optional<std::string>& scope_key, uint64_t from,
                   uint64_t upto, const entry_visitor& fn) const;
  /// Entries of `scope_key` with sequence <= `upto`, ascending.
  status scope_upto(const std::string& scope_key, uint64_t upto,
                    const entry_visitor& fn) const;
  /// Entries whose type is one of `types`, sequence > `after`, ascending,
  /// at most `limit`.
  expected<std::vector<protocol::ConfigEntry>>
  of_types(const std::vector<protocol::EntryType>& types, uint64_t after,
           std::size_t limit) const;
  /// The deterministic encodings of every entry, ascending (snapshots).
  status
  scan_bytes(const std::function<void(const std::string_view bytes)>& fn) const;

  /// Entries held in memory (the cache; tests bound it).
  std::size_t cached() const {
    return cache_.size();
  }
  /// Sequence of the oldest cached entry (last_sequence() + 1 when none).
  uint64_t cache_front() const {
    return last_ + 1 - cache_.size();
  }

private:
  void trim();
  /// The entry stored under `seq` in the tables.
  expected<protocol::ConfigEntry> read(uint64_t seq) const;

  std::unique_ptr<store::memory_tables> own_;
  store::state_tables* tables_;
  std::size_t bound_;
  /// Newest entries, contiguous, ending at last_.
  std::deque<protocol::ConfigEntry> cache_;
  uint64_t last_ = 0;
  /// Entries up to here are in the tables (or in a taken write set).
  uint64_t persisted_ = 0;
  uint64_t taken_ = 0;
  store::state_write pending_;
};

/// Table keys (exposed for tests and tools that read the tables).
std::string sequence_key(uint64_t sequence);
std::string scope_index_key(const std::string& scope_key, uint64_t sequence);
std::string type_index_key(protocol::EntryType type, uint64_t sequence);

} // namespace pact::journal
