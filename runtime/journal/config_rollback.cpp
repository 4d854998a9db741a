// config_state_machine: rollback. The state of a scope after sequence S is
// recomputed from the entries of that scope up to S (a fold over the log),
// so no per-sequence history is kept. Each entry kind that changes
// declared state carries enough to replay it: commits their delta,
// overlay applies their diff, attributes and policy, policy and blacklist
// updates the resulting policy, rollbacks the complete restored items.

#include "runtime/journal/config_state_machine.hpp"

#include "runtime/common/assert.hpp"
#include "runtime/journal/config_detail.hpp"
#include "runtime/journal/journal_items.hpp"
#include "runtime/journal/journal_policy.hpp"

namespace pact::journal {

using protocol::CommandResult;
using protocol::ConfigEntry;
using protocol::JournalCommand;
using protocol::Scope;
using namespace detail;

namespace {

/// Declared state of one scope at one point of the log.
struct scope_image {
  item_map items;
  protocol::OverlayAttributes attributes;
  protocol::VClusterPolicy policy = default_policy();
};

/// Replays the effect of `e` on the image of its scope.
void replay(scope_image& img, const ConfigEntry& e) {
  bool node = e.scope().target_case() == Scope::kNode;
  switch (e.entry_type()) {
    case protocol::ENTRY_TYPE_COMMIT:
      if (node)
        merge_node(img.items, e.state_delta());
      else
        apply_declared(img.items, e.state_delta());
      break;
    case protocol::ENTRY_TYPE_OVERLAY_APPLY:
      apply_declared(img.items, e.state_delta());
      img.attributes = e.overlay_attributes();
      break;
    case protocol::ENTRY_TYPE_ROLLBACK:
      img.items = to_map(e.restored_state().items());
      if (e.has_overlay_attributes())
        img.attributes = e.overlay_attributes();
      break;
    default:
      break;
  }
  // Policy-update, blacklist-update, overlay-apply with a policy and
  // vCluster rollbacks all carry the policy in force after them.
  if (e.has_policy())
    img.policy = e.policy();
}

scope_image image_at(const entry_log& entries, const Scope& scope,
                     uint64_t sequence) {
  // Reads the scope's index: only its own entries, not the whole log.
  scope_image img;
  auto st = entries.scope_upto(scope_key(scope), sequence,
                               [&](const ConfigEntry& e) {
                                 replay(img, e);
                                 return true;
                               });
  // Applying cannot go on without the entries: every replica must compute
  // the same image, so an unreadable store stops this one.
  PACT_ASSERT(st, "rollback: the journal's state tables cannot be read");
  return img;
}

} // namespace

CommandResult config_state_machine::do_rollback(const JournalCommand& cmd) {
  const Scope& scope = cmd.scope();
  if (auto err = check_scope(scope, allow_global | allow_vcluster | allow_node,
                             "rollback");
      !err.empty())
    return refuse(invalid, err);
  uint64_t target = cmd.rollback_to();
  if (target == 0 || target > last_sequence())
    return refuse(invalid, "no entry with sequence " + std::to_string(target)
                             + " (the journal holds 1.."
                             + std::to_string(last_sequence()) + ")");
  protocol::VClusterOverlay* vc = nullptr;
  protocol::NodeRecord* rec = nullptr;
  item_map current;
  if (scope.target_case() == Scope::kVcluster) {
    auto it = overlays_.find(scope.vcluster());
    if (it == overlays_.end())
      return refuse(invalid, "unknown vCluster '" + scope.vcluster() + "'");
    vc = &it->second;
    current = to_map(vc->items());
  } else if (scope.target_case() == Scope::kNode) {
    auto it = nodes_.find(scope.node());
    if (it == nodes_.end())
      return refuse(invalid, "unknown node '" + scope.node() + "'");
    rec = &it->second;
    current = to_map(rec->items());
  } else {
    current = to_map(global_.items());
  }
  scope_image img = image_at(entries_, scope, target);
  // Rolling back to what the scope already holds changes nothing: no entry
  // (issue 8 item 9).
  auto delta = diff_items(current, img.items);
  if (delta.items_size() == 0
      && (!vc
          || (deterministic_bytes(vc->attributes())
                == deterministic_bytes(img.attributes)
              && deterministic_bytes(vc->policy())
                   == deterministic_bytes(img.policy))))
    return unchanged(scope, vc    ? vc->version()
                            : rec ? last_in_scope(scope)
                                  : global_.version());
  auto e = make_entry(cmd, protocol::ENTRY_TYPE_ROLLBACK, scope);
  e.set_rollback_to(target);
  to_list(img.items, e.mutable_restored_state()->mutable_items());
  *e.mutable_state_delta() = std::move(delta);
  if (vc) {
    *e.mutable_policy() = img.policy;
    *e.mutable_overlay_attributes() = img.attributes;
  }
  uint64_t seq = append(std::move(e));
  if (vc) {
    to_list(img.items, vc->mutable_items());
    *vc->mutable_attributes() = img.attributes;
    *vc->mutable_policy() = img.policy;
    seal(*vc, seq);
  } else if (rec) {
    // The expiry of the latest commit stays: a rollback shortens what the
    // node deviates by, it does not extend how long.
    to_list(img.items, rec->mutable_items());
    rec->set_delta_sequence(seq);
  } else {
    to_list(img.items, global_.mutable_items());
    global_.set_version(seq);
  }
  return accept({seq});
}

} // namespace pact::journal
