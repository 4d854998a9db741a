#include "runtime/journal/entry_log.hpp"

#include <algorithm>

#include "runtime/common/assert.hpp"
#include "runtime/journal/journal_items.hpp"

namespace pact::journal {

using protocol::ConfigEntry;
using store::state_table;

namespace {

void put_be(std::string& s, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i)
    s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t get_be(std::string_view s) {
  uint64_t v = 0;
  for (auto c : s)
    v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}

/// Parses the entry stored under `k`; the error names it.
status decode(std::string_view k, std::string_view v, ConfigEntry& e) {
  if (e.ParseFromArray(v.data(), static_cast<int>(v.size())))
    return {};
  return make_error("journal entry " + std::to_string(get_be(k))
                    + " is corrupt in the state tables");
}

/// The sequence at the end of an index key (its last 8 bytes).
uint64_t key_sequence(std::string_view key) {
  return key.size() < 8 ? 0 : get_be(key.substr(key.size() - 8));
}

std::string type_prefix(uint64_t type) {
  std::string s;
  put_be(s, type, 4);
  return s;
}

} // namespace

std::string sequence_key(uint64_t sequence) {
  std::string s;
  put_be(s, sequence, 8);
  return s;
}

std::string scope_index_key(const std::string& scope_key, uint64_t sequence) {
  std::string s = scope_key;
  s.push_back('\0');
  put_be(s, sequence, 8);
  return s;
}

std::string type_index_key(protocol::EntryType type, uint64_t sequence) {
  auto s = type_prefix(static_cast<uint32_t>(type));
  put_be(s, sequence, 8);
  return s;
}

entry_log::entry_log(store::state_tables* tables, std::size_t cache_bound)
  : own_(tables ? nullptr : std::make_unique<store::memory_tables>()),
    tables_(tables ? tables : own_.get()),
    bound_(std::max<std::size_t>(cache_bound, 1)) {
  // The cache keeps at least the newest entry: the chain's head.
}

status entry_log::load() {
  std::vector<ConfigEntry> newest;
  status err;
  auto st = tables_->scan(
    state_table::entries, {}, {}, true,
    [&](std::string_view k, std::string_view v) {
      ConfigEntry e;
      if (!e.ParseFromArray(v.data(), static_cast<int>(v.size()))
          || e.sequence() != get_be(k)
          || (!newest.empty()
              && e.sequence() + 1 != newest.back().sequence())) {
        err
          = make_error("journal entry " + std::to_string(get_be(k))
                       + " is corrupt or out of sequence in the state tables");
        return false;
      }
      newest.push_back(std::move(e));
      return newest.size() < bound_;
    });
  if (!st)
    return st;
  if (!err)
    return err;
  cache_.assign(newest.rbegin(), newest.rend());
  last_ = cache_.empty() ? 0 : cache_.back().sequence();
  persisted_ = taken_ = last_;
  pending_ = {};
  return {};
}

void entry_log::append(ConfigEntry e) {
  PACT_ASSERT(e.sequence() == last_ + 1, "entries are appended in sequence");
  auto seq = e.sequence();
  pending_.put(state_table::entries, sequence_key(seq), deterministic_bytes(e));
  pending_.put(state_table::by_scope,
               scope_index_key(scope_key(e.scope()), seq), {});
  pending_.put(state_table::by_type, type_index_key(e.entry_type(), seq), {});
  cache_.push_back(std::move(e));
  last_ = seq;
}

void entry_log::reset(const std::vector<ConfigEntry>& entries) {
  pending_ = {};
  pending_.clear = true;
  cache_.clear();
  last_ = 0;
  persisted_ = 0;
  taken_ = 0;
  for (const auto& e : entries)
    append(e);
}

store::state_write entry_log::take_pending() {
  taken_ = last_;
  auto out = std::move(pending_);
  pending_ = {};
  return out;
}

void entry_log::persisted() {
  persisted_ = std::max(persisted_, taken_);
  trim();
}

status entry_log::flush() {
  if (pending_.empty())
    return {};
  auto w = take_pending();
  if (auto st = tables_->write(w); !st) {
    // Nothing was written: keep the set for the next attempt.
    pending_ = std::move(w);
    return st;
  }
  persisted();
  return {};
}

void entry_log::trim() {
  while (cache_.size() > bound_ && cache_.front().sequence() <= persisted_)
    cache_.pop_front();
}

expected<ConfigEntry> entry_log::read(uint64_t seq) const {
  auto v = tables_->get(state_table::entries, sequence_key(seq));
  if (!v)
    return v.err();
  ConfigEntry e;
  if (!v->has_value() || !e.ParseFromString(**v) || e.sequence() != seq)
    return make_error("journal entry " + std::to_string(seq)
                      + " is missing or corrupt in the state tables");
  return e;
}

expected<std::optional<ConfigEntry>> entry_log::get(uint64_t sequence) const {
  if (sequence == 0 || sequence > last_)
    return std::optional<ConfigEntry>{};
  if (sequence >= cache_front())
    return std::optional<ConfigEntry>{cache_[sequence - cache_front()]};
  auto e = read(sequence);
  if (!e)
    return e.err();
  return std::optional<ConfigEntry>{std::move(*e)};
}

status entry_log::scan(uint64_t after, const entry_visitor& fn) const {
  bool go = true;
  auto front = cache_front();
  if (after + 1 < front) {
    status err;
    auto st = tables_->scan(state_table::entries, sequence_key(after + 1),
                            sequence_key(front), false,
                            [&](std::string_view k, std::string_view v) {
                              ConfigEntry e;
                              if (err = decode(k, v, e); !err)
                                return false;
                              return go = fn(e);
                            });
    if (!st)
      return st;
    if (!err)
      return err;
  }
  for (auto s = std::max(after + 1, front); go && s <= last_; ++s)
    go = fn(cache_[s - front]);
  return {};
}

status entry_log::newest(const std::optional<std::string>& scope_key,
                         const entry_visitor& fn) const {
  return newest_in(scope_key, 1, last_, fn);
}

status entry_log::newest_in(const std::optional<std::string>& scope_key,
                            uint64_t from, uint64_t upto,
                            const entry_visitor& fn) const {
  from = std::max<uint64_t>(from, 1);
  upto = std::min(upto, last_);
  if (from > upto)
    return {};
  auto front = cache_front();
  // The cached part first (newest), then the tables below the cache.
  for (auto s = upto + 1; s-- > std::max(from, front);) {
    const auto& e = cache_[s - front];
    if (!scope_key || journal::scope_key(e.scope()) == *scope_key)
      if (!fn(e))
        return {};
  }
  if (from >= front)
    return {};
  auto end = std::min(upto + 1, front);
  status err;
  if (!scope_key) {
    auto st = tables_->scan(state_table::entries, sequence_key(from),
                            sequence_key(end), true,
                            [&](std::string_view k, std::string_view v) {
                              ConfigEntry e;
                              if (err = decode(k, v, e); !err)
                                return false;
                              return fn(e);
                            });
    return st ? err : st;
  }
  auto st = tables_->scan(state_table::by_scope,
                          scope_index_key(*scope_key, from),
                          scope_index_key(*scope_key, end), true,
                          [&](std::string_view k, std::string_view) {
                            auto e = read(key_sequence(k));
                            if (!e) {
                              err = e.err();
                              return false;
                            }
                            return fn(*e);
                          });
  return st ? err : st;
}

status entry_log::scope_upto(const std::string& scope_key, uint64_t upto,
                             const entry_visitor& fn) const {
  auto front = cache_front();
  bool go = true;
  if (front > 1) {
    status err;
    auto st
      = tables_->scan(state_table::by_scope, scope_index_key(scope_key, 0),
                      scope_index_key(scope_key, std::min(front, upto + 1)),
                      false, [&](std::string_view k, std::string_view) {
                        auto e = read(key_sequence(k));
                        if (!e) {
                          err = e.err();
                          return false;
                        }
                        return go = fn(*e);
                      });
    if (!st)
      return st;
    if (!err)
      return err;
  }
  for (auto s = front; go && s <= std::min(upto, last_); ++s) {
    const auto& e = cache_[s - front];
    if (journal::scope_key(e.scope()) == scope_key)
      go = fn(e);
  }
  return {};
}

expected<std::vector<ConfigEntry>>
entry_log::of_types(const std::vector<protocol::EntryType>& types,
                    uint64_t after, std::size_t limit) const {
  auto front = cache_front();
  std::vector<uint64_t> seqs;
  for (auto type : types) {
    if (after + 1 >= front)
      break;
    std::size_t found = 0;
    auto st = tables_->scan(state_table::by_type,
                            type_index_key(type, after + 1),
                            type_index_key(type, front), false,
                            [&](std::string_view k, std::string_view) {
                              seqs.push_back(key_sequence(k));
                              return ++found < limit;
                            });
    if (!st)
      return st.err();
  }
  for (auto s = std::max(after + 1, front); s <= last_; ++s)
    if (std::count(types.begin(), types.end(), cache_[s - front].entry_type()))
      seqs.push_back(s);
  std::sort(seqs.begin(), seqs.end());
  if (seqs.size() > limit)
    seqs.resize(limit);
  std::vector<ConfigEntry> out;
  for (auto s : seqs) {
    auto e = get(s);
    if (!e)
      return e.err();
    if (!e->has_value())
      return make_error("journal entry " + std::to_string(s)
                        + " is indexed but missing in the state tables");
    out.push_back(std::move(**e));
  }
  return out;
}

status entry_log::scan_bytes(
  const std::function<void(const std::string_view bytes)>& fn) const {
  auto front = cache_front();
  if (front > 1) {
    auto st = tables_->scan(state_table::entries, {}, sequence_key(front),
                            false, [&](std::string_view, std::string_view v) {
                              fn(v);
                              return true;
                            });
    if (!st)
      return st;
  }
  for (const auto& e : cache_)
    fn(deterministic_bytes(e));
  return {};
}

} // namespace pact::journal
