#include "runtime/spec/promote.hpp"

#include <algorithm>
#include <tuple>

#include "runtime/journal/journal_items.hpp"

namespace pact::spec {

namespace {

using protocol::DeltaItem;

bool is_remove(const DeltaItem& item) {
  return item.action() == protocol::DELTA_ACTION_REMOVE;
}

/// Whether the declared items already say what `item` says.
bool reflected(const journal::item_map& declared, const DeltaItem& item) {
  auto it = declared.find(journal::key_of(item));
  if (is_remove(item))
    return it == declared.end();
  return it != declared.end() && it->second.value() == item.value();
}

/// Two committed items of one key disagree when their actions or values
/// differ.
bool disagree(const DeltaItem& a, const DeltaItem& b) {
  return a.action() != b.action() || a.value() != b.value();
}

} // namespace

promote_plan plan_promote(const protocol::VClusterOverlay& current,
                          const protocol::NodeRecord& node,
                          const std::vector<protocol::NodeRecord>& others) {
  promote_plan plan;
  auto before = journal::to_map(current.items());
  auto after = before;
  for (const auto& item : node.items()) {
    if (is_remove(item)) {
      after.erase(journal::key_of(item));
      continue;
    }
    DeltaItem stored;
    stored.set_category(item.category());
    stored.set_action(protocol::DELTA_ACTION_ADD);
    stored.set_key(item.key());
    stored.set_value(item.value());
    after[journal::key_of(item)] = std::move(stored);
  }
  plan.overlay = current;
  journal::to_list(after, plan.overlay.mutable_items());
  plan.overlay.clear_checksum();
  plan.changes = journal::diff_items(before, after);

  auto mine = journal::to_map(node.items());
  for (const auto& other : others) {
    if (other.node() == node.node())
      continue;
    for (const auto& theirs : other.items()) {
      auto it = mine.find(journal::key_of(theirs));
      if (it == mine.end() || !disagree(it->second, theirs))
        continue;
      promote_conflict c;
      c.category = theirs.category();
      c.key = theirs.key();
      c.node_value = it->second.value();
      c.node_action = it->second.action();
      c.other_node = other.node();
      c.other_value = theirs.value();
      c.other_action = theirs.action();
      plan.conflicts.push_back(std::move(c));
    }
  }
  std::stable_sort(plan.conflicts.begin(), plan.conflicts.end(),
                   [](const promote_conflict& a, const promote_conflict& b) {
                     return std::tie(a.category, a.key, a.other_node)
                            < std::tie(b.category, b.key, b.other_node);
                   });
  return plan;
}

std::vector<DeltaItem> unpromoted(const protocol::VClusterOverlay& overlay,
                                  const protocol::NodeRecord& node) {
  auto declared = journal::to_map(overlay.items());
  std::vector<DeltaItem> out;
  for (const auto& item : node.items())
    if (!reflected(declared, item))
      out.push_back(item);
  return out;
}

} // namespace pact::spec
