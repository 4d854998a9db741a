// config_state_machine: the values a change replaces and the actions of
// `--set` items, read at apply time (issue 9 item 5), and the conditions of
// a conditional commit (`pact commit --if-previous`, issue 8 item 12). Four
// operators committing one key at once are serialized by Raft; each entry must
// say what it really replaced, so `previous` is computed here from the state
// the entry is applied to.

#include "runtime/journal/config_state_machine.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "runtime/journal/config_detail.hpp"

namespace pact::journal {

using protocol::CommandResult;
using protocol::DeltaItem;
using protocol::JournalCommand;
using protocol::Scope;

namespace {

/// The item of `key` in a canonical (sorted, unique) list, or null. Binary
/// search: a node commit is on the journal's hot path and overlays can be
/// long.
const DeltaItem* find_item(const item_list& items, const item_key& key) {
  auto it = std::lower_bound(items.begin(), items.end(), key,
                             [](const DeltaItem& item, const item_key& k) {
                               return key_of(item) < k;
                             });
  if (it == items.end() || key_of(*it) != key)
    return nullptr;
  return &*it;
}

/// A value for a refusal message: quoted and cut, or "unset".
std::string shown(const std::optional<std::string>& value) {
  if (!value)
    return "unset";
  return "'" + value->substr(0, 80) + (value->size() > 80 ? "…'" : "'");
}

} // namespace

namespace detail {

std::string check_expectations(const JournalCommand& cmd) {
  if (cmd.expect_previous_size() == 0)
    return {};
  if (cmd.kind() != protocol::COMMAND_KIND_COMMIT)
    return "expected previous values apply only to commits";
  if (cmd.expect_previous_size() > max_delta_items)
    return "more than " + std::to_string(max_delta_items)
           + " expected previous values";
  std::set<item_key> seen;
  for (const auto& x : cmd.expect_previous()) {
    if (x.category() == protocol::DELTA_CATEGORY_UNSPECIFIED
        || !protocol::DeltaCategory_IsValid(x.category()))
      return "an expected previous value has no category";
    if (x.key().empty() || x.key().size() > max_key_bytes)
      return "an expected previous value needs a key of 1.."
             + std::to_string(max_key_bytes) + " bytes";
    if (x.value().size() > max_value_bytes)
      return "an expected previous value is over "
             + std::to_string(max_value_bytes) + " bytes";
    item_key key{static_cast<int>(x.category()), x.key()};
    if (!x.present() && !x.value().empty())
      return "expected previous value of " + describe(key)
             + " says unset but carries a value";
    if (!seen.insert(key).second)
      return "expected previous value of " + describe(key) + " given twice";
  }
  return {};
}

} // namespace detail

const item_list*
config_state_machine::declared_items(const Scope& scope) const {
  const protocol::VClusterOverlay* o = nullptr;
  switch (scope.target_case()) {
    case Scope::kGlobal:
      return &global_.items();
    case Scope::kVcluster:
      o = overlay(scope.vcluster());
      break;
    case Scope::kNode:
      if (auto* rec = node(scope.node()))
        o = overlay(rec->vcluster());
      break;
    case Scope::TARGET_NOT_SET:
      break;
  }
  return o ? &o->items() : nullptr;
}

std::optional<std::string>
config_state_machine::current_value(const Scope& scope,
                                    const item_key& key) const {
  if (scope.target_case() == Scope::kNode)
    if (auto* rec = node(scope.node()))
      // The node's own committed item says how it differs from its
      // overlay; it wins over what the overlay declares.
      if (auto* item = find_item(rec->items(), key)) {
        if (item->action() == protocol::DELTA_ACTION_REMOVE)
          return std::nullopt;
        return item->value();
      }
  const auto* declared = declared_items(scope);
  if (declared == nullptr)
    return std::nullopt;
  if (auto* item = find_item(*declared, key))
    return item->value();
  return std::nullopt;
}

std::string
config_state_machine::unmet_expectation(const JournalCommand& cmd) const {
  for (const auto& x : cmd.expect_previous()) {
    item_key key{static_cast<int>(x.category()), x.key()};
    auto now = current_value(cmd.scope(), key);
    std::optional<std::string> want;
    if (x.present())
      want = x.value();
    if (now != want)
      return describe(key) + " of " + scope_key(cmd.scope()) + " is "
             + shown(now) + ", not " + shown(want)
             + " as expected (--if-previous); nothing was written";
  }
  return {};
}

void config_state_machine::stamp_previous(const Scope& scope,
                                          protocol::StateDelta& delta) const {
  for (auto& item : *delta.mutable_items()) {
    auto now = current_value(scope, key_of(item));
    if (now)
      item.set_previous(*now);
    else
      item.clear_previous();
  }
}

void config_state_machine::resolve_set(const Scope& scope,
                                       protocol::StateDelta& delta) const {
  // For a node, its vCluster's overlay: a node delta says how the node
  // differs from it.
  const auto* declared = declared_items(scope);
  for (auto& item : *delta.mutable_items()) {
    if (item.action() != protocol::DELTA_ACTION_SET)
      continue;
    bool present = declared != nullptr
                   && find_item(*declared, key_of(item)) != nullptr;
    item.set_action(present ? protocol::DELTA_ACTION_MODIFY
                            : protocol::DELTA_ACTION_ADD);
  }
}

CommandResult config_state_machine::unchanged(const Scope& scope,
                                              uint64_t version) {
  auto r = accept({});
  auto* u = r.add_unchanged();
  *u->mutable_scope() = scope;
  u->set_version(version);
  return r;
}

uint64_t config_state_machine::last_in_scope(const Scope& scope) const {
  auto it = last_in_scope_.find(scope_key(scope));
  return it == last_in_scope_.end() ? 0 : it->second;
}

} // namespace pact::journal
