#pragma once

/// `state_tables`: the durable tables of the journal's state machine, kept
/// next to the Raft log (docs/storage.md "State tables", issue 10 item 1).
/// An ordered byte-string key/value space split into a few tables; the
/// journal (runtime/journal/entry_store) decides what the keys and values
/// mean. Two implementations share one conformance suite: the LMDB store's
/// `state` database (same environment as the Raft log, so one write
/// transaction can cover both) and `memory_tables`, its in-memory twin.
///
/// Keys are compared bytewise (LMDB's default order), so big-endian integer
/// keys sort numerically. Errors are values: reads return `pact::error`
/// naming the store when the medium fails; writes are all-or-nothing.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/common/error.hpp"

namespace pact::store {

/// The tables. The value is the one-byte prefix a table's keys carry in the
/// LMDB `state` database (docs/storage.md); it never changes.
enum class state_table : char {
  /// u64 big-endian sequence -> deterministic ConfigEntry encoding.
  entries = 'e',
  /// scope key, NUL, u64 sequence -> empty.
  by_scope = 's',
  /// u32 entry type, u64 sequence -> empty.
  by_type = 't',
  /// Current-state records of the state machine.
  current = 'c',
  /// Small metadata records (applied index, last sequence and hash).
  meta = 'm',
};

/// One change: a put (value set) or a delete (no value).
struct state_op {
  state_table table = state_table::meta;
  std::string key;
  std::optional<std::string> value;
};

/// Changes applied atomically and in order; `clear` first empties every
/// table (a restored snapshot replaces the whole state).
struct state_write {
  bool clear = false;
  std::vector<state_op> ops;

  void put(state_table t, std::string key, std::string value) {
    ops.push_back({t, std::move(key), std::move(value)});
  }
  void del(state_table t, std::string key) {
    ops.push_back({t, std::move(key), std::nullopt});
  }
  bool empty() const {
    return !clear && ops.empty();
  }
};

/// Visitor of a scan: return false to stop. The views are valid only
/// during the call.
using state_visitor
  = std::function<bool(std::string_view key, std::string_view value)>;

class state_tables {
public:
  virtual ~state_tables() = default;

  /// The value under `key`, nullopt when absent.
  virtual pact::expected<std::optional<std::string>>
  get(state_table t, std::string_view key) const = 0;

  /// Visits the records of `t` whose key k has `from <= k < to` (an empty
  /// `to` means no upper bound), ascending, or descending when
  /// `descending`, until `fn` returns false. One consistent view.
  virtual pact::status scan(state_table t, std::string_view from,
                            std::string_view to, bool descending,
                            const state_visitor& fn) const = 0;

  /// Applies `w` atomically (for LMDB: one write transaction, one fsync).
  /// A failed write changes nothing.
  virtual pact::status write(const state_write& w) = 0;
};

/// The in-memory twin: one ordered map with the table prefix on each key,
/// exactly the layout of the LMDB `state` database.
class memory_tables final : public state_tables {
public:
  pact::expected<std::optional<std::string>>
  get(state_table t, std::string_view key) const override;
  pact::status scan(state_table t, std::string_view from, std::string_view to,
                    bool descending, const state_visitor& fn) const override;
  pact::status write(const state_write& w) override;

  /// Records held, over every table (tests).
  std::size_t size() const {
    return rows_.size();
  }

private:
  std::map<std::string, std::string, std::less<>> rows_;
};

/// `t`'s prefix followed by `key`: the key in the shared keyspace.
std::string table_key(state_table t, std::string_view key);

/// The bounds [lo, hi) in the shared keyspace of the range [from, to) of
/// `t` (an empty `to` is the end of the table).
std::pair<std::string, std::string>
table_range(state_table t, std::string_view from, std::string_view to);

/// Applies `w` to an ordered map holding the shared keyspace (memory_tables
/// and memory_store use it).
void apply_to(std::map<std::string, std::string, std::less<>>& rows,
              const state_write& w);

} // namespace pact::store
