#include "runtime/store/state_tables.hpp"

namespace pact::store {

std::string table_key(state_table t, std::string_view key) {
  std::string k;
  k.reserve(key.size() + 1);
  k.push_back(static_cast<char>(t));
  k.append(key);
  return k;
}

std::pair<std::string, std::string>
table_range(state_table t, std::string_view from, std::string_view to) {
  auto lo = table_key(t, from);
  // The end of a table is the next prefix (prefixes are ASCII letters, so
  // +1 never overflows).
  auto hi = to.empty() ? std::string(1, static_cast<char>(t) + 1)
                       : table_key(t, to);
  return {std::move(lo), std::move(hi)};
}

void apply_to(std::map<std::string, std::string, std::less<>>& rows,
              const state_write& w) {
  if (w.clear)
    rows.clear();
  for (const auto& op : w.ops) {
    auto k = table_key(op.table, op.key);
    if (op.value)
      rows[std::move(k)] = *op.value;
    else
      rows.erase(k);
  }
}

pact::expected<std::optional<std::string>>
memory_tables::get(state_table t, std::string_view key) const {
  auto i = rows_.find(table_key(t, key));
  if (i == rows_.end())
    return std::optional<std::string>{};
  return std::optional<std::string>{i->second};
}

pact::status memory_tables::scan(state_table t, std::string_view from,
                                 std::string_view to, bool descending,
                                 const state_visitor& fn) const {
  auto [lo, hi] = table_range(t, from, to);
  if (!(lo < hi))
    return {};
  auto first = rows_.lower_bound(lo);
  auto last = rows_.lower_bound(hi);
  auto visit = [&](const auto& row) {
    return fn(std::string_view(row.first).substr(1), row.second);
  };
  if (!descending) {
    for (auto i = first; i != last; ++i)
      if (!visit(*i))
        break;
    return {};
  }
  for (auto i = last; i != first;)
    if (!visit(*--i))
      break;
  return {};
}

pact::status memory_tables::write(const state_write& w) {
  apply_to(rows_, w);
  return {};
}

} // namespace pact::store
