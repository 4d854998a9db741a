#include "runtime/journal/node_history.hpp"

#include "runtime/journal/journal_items.hpp"

namespace pact::journal {

bool starts_node_history(const protocol::ConfigEntry& e, uint64_t upto) {
  return e.sequence() <= upto
         && e.entry_type() == protocol::ENTRY_TYPE_ROLLBACK;
}

protocol::StateDelta
node_items_at(const std::vector<protocol::ConfigEntry>& newest_first,
              uint64_t upto) {
  // Back to the newest rollback (or the first entry), then forward.
  size_t start = newest_first.size();
  for (size_t i = 0; i < newest_first.size(); ++i)
    if (starts_node_history(newest_first[i], upto)) {
      start = i + 1;
      break;
    }
  item_map items;
  if (start <= newest_first.size() && start > 0
      && starts_node_history(newest_first[start - 1], upto))
    items = to_map(newest_first[start - 1].restored_state().items());
  for (size_t i = start; i-- > 0;) {
    const auto& e = newest_first[i];
    if (e.sequence() <= upto && e.entry_type() == protocol::ENTRY_TYPE_COMMIT)
      merge_node(items, e.state_delta());
  }
  protocol::StateDelta out;
  to_list(items, out.mutable_items());
  return out;
}

} // namespace pact::journal
