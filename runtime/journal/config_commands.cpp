// config_state_machine: commands that change declared state (commit,
// overlay apply, policy update, blacklist edits). Each handler validates
// the whole command before it changes anything, so a refused command
// leaves the state and the sequence untouched.

#include "runtime/journal/config_state_machine.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include "runtime/common/path_glob.hpp"
#include "runtime/journal/config_detail.hpp"
#include "runtime/journal/journal_items.hpp"
#include "runtime/journal/journal_policy.hpp"

namespace pact::journal {

using protocol::CommandResult;
using protocol::JournalCommand;
using protocol::Scope;
using namespace detail;

namespace {

/// The first blacklist pattern matching a path key of `delta`, as a
/// refusal message; empty when none matches. Patterns are the agent's path
/// globs (runtime/common/path_glob.hpp: `*` stays within one segment, `**`
/// spans segments), a pure function of the bytes, so every replica agrees.
/// A stored pattern that does not compile (recorded before patterns were
/// validated) matches nothing. Keys that are not absolute paths (sysctl
/// keys, service names) are never blacklisted.
std::string blacklisted(const protocol::StateDelta& delta,
                        const std::vector<std::string>& patterns) {
  std::vector<path_glob> globs;
  for (const auto& p : patterns)
    if (auto g = path_glob::compile(p))
      globs.push_back(std::move(*g));
  for (const auto& item : delta.items()) {
    const auto& raw = item.key();
    if (raw.empty() || raw[0] != '/')
      continue;
    // "/var/log//x" and "/var/log/./x" name /var/log/x: match what the
    // agent would write (lexically; no filesystem is read).
    auto key = std::filesystem::path(raw).lexically_normal().string();
    while (key.size() > 1 && key.back() == '/')
      key.pop_back();
    for (const auto& g : globs)
      if (g.matches(key))
        return "'" + raw + "' is blacklisted by pattern '" + g.text() + "'";
  }
  return {};
}

/// A new policy keeps the current blacklist when it names none: blacklist
/// add/remove edit it, and a re-applied spec must not wipe those edits.
void keep_blacklist(const protocol::VClusterPolicy& current,
                    protocol::VClusterPolicy& next) {
  if (next.blacklist_size() == 0)
    *next.mutable_blacklist() = current.blacklist();
}

/// Removes the items of a declared-state delta that set a key to the value
/// it already holds (`previous` stamped, so present and equal).
void drop_unchanged(protocol::StateDelta& delta) {
  auto* items = delta.mutable_items();
  items->erase(std::remove_if(items->begin(), items->end(),
                              [](const protocol::DeltaItem& i) {
                                return i.action()
                                         == protocol::DELTA_ACTION_MODIFY
                                       && i.previous() == i.value();
                              }),
               items->end());
}

} // namespace

CommandResult config_state_machine::do_commit(const JournalCommand& cmd) {
  const Scope& scope = cmd.scope();
  if (auto err = check_scope(scope, allow_global | allow_vcluster | allow_node,
                             "commit");
      !err.empty())
    return refuse(invalid, err);
  if (auto err = check_ttl(scope, cmd.ttl_seconds()); !err.empty())
    return refuse(invalid, err);
  if (cmd.state_delta().items_size() == 0)
    return refuse(invalid, "commit has no items");
  // What each item does, as of this entry: a client sends SET for
  // `--set` without reading the declared state first (issue 9 item 5).
  auto delta = cmd.state_delta();
  resolve_set(scope, delta);
  if (auto err = validate_delta(delta); !err.empty())
    return refuse(invalid, err);
  // The global blacklist and the one of the governing vCluster apply.
  auto patterns = blacklist(global_scope());
  auto governing = governing_policy(scope);
  patterns.insert(patterns.end(), governing.blacklist().begin(),
                  governing.blacklist().end());
  if (auto err = blacklisted(delta, patterns); !err.empty())
    return refuse(protocol::STATUS_CODE_POLICY_REJECTED, err);
  item_map declared;
  protocol::VClusterOverlay* vc = nullptr;
  if (scope.target_case() == Scope::kVcluster) {
    auto it = overlays_.find(scope.vcluster());
    if (it == overlays_.end())
      return refuse(invalid, "unknown vCluster '" + scope.vcluster() + "'");
    vc = &it->second;
    declared = to_map(vc->items());
  } else if (scope.target_case() == Scope::kGlobal) {
    declared = to_map(global_.items());
  }
  // The operator's conditions first: their refusal names what moved.
  if (auto err = unmet_expectation(cmd); !err.empty())
    return refuse(protocol::STATUS_CODE_CONFLICT, err);
  if (scope.target_case() != Scope::kNode)
    if (auto err = check_declared(declared, delta); !err.empty())
      return refuse(protocol::STATUS_CODE_CONFLICT, err);
  // What each item replaces, as of this entry (not as the client saw it).
  stamp_previous(scope, delta);
  if (scope.target_case() != Scope::kNode) {
    // Declaring what is already declared changes nothing: such items are
    // left out, and a commit of only such items appends nothing. (A node
    // commit always records: it renews the delta's lifetime.)
    drop_unchanged(delta);
    if (delta.items_size() == 0)
      return unchanged(scope, vc ? vc->version() : global_.version());
  }
  // Valid: record, then change the state.
  auto e = make_entry(cmd, protocol::ENTRY_TYPE_COMMIT, scope);
  *e.mutable_state_delta() = delta;
  e.set_ttl_seconds(cmd.ttl_seconds());
  uint64_t seq = append(std::move(e));
  if (scope.target_case() == Scope::kNode) {
    auto& rec = node_record(scope.node());
    merge_node_list(rec.mutable_items(), delta);
    rec.set_delta_sequence(seq);
    rec.set_delta_expires_unix_ms(cmd.timestamp_unix_ms()
                                  + int64_t{cmd.ttl_seconds()} * 1000);
    set_node_state(rec, protocol::NODE_STATE_COMMITTED);
  } else {
    apply_declared(declared, delta);
    if (vc) {
      to_list(declared, vc->mutable_items());
      seal(*vc, seq);
    } else {
      to_list(declared, global_.mutable_items());
      global_.set_version(seq);
    }
  }
  // The entry's delta, so the client need not read the entry back.
  auto result = accept({seq});
  *result.mutable_state_delta() = std::move(delta);
  return result;
}

namespace {

/// Validates one vCluster of an overlay-apply command and returns its
/// normalized items and resolved policy; empty string when valid.
std::string check_spec(const protocol::OverlaySpec& spec, item_map& items,
                       protocol::VClusterPolicy& policy) {
  std::string where = "vCluster '" + spec.vcluster().substr(0, 80) + "': ";
  if (!valid_name(spec.vcluster()))
    return where + "invalid vCluster name";
  const auto& backend = spec.attributes().supervisor_backend();
  if (!backend.empty() && backend != "pact" && backend != "systemd")
    return where + "supervisor_backend must be 'pact' or 'systemd', not '"
           + backend.substr(0, 80) + "'";
  if (spec.attributes().base_image().size() > max_key_bytes)
    return where + "base_image is too long";
  // Spec items declare values: normalize to ADD so validate_delta applies.
  protocol::StateDelta normalized;
  for (const auto& item : spec.items()) {
    auto* n = normalized.add_items();
    n->set_category(item.category());
    n->set_action(protocol::DELTA_ACTION_ADD);
    n->set_key(item.key());
    n->set_value(item.value());
  }
  if (auto err = validate_delta(normalized); !err.empty())
    return where + err;
  if (spec.has_policy())
    if (auto err = resolve_policy(spec.policy(), &policy); !err.empty())
      return where + "policy: " + err;
  items.clear();
  apply_declared(items, normalized);
  return {};
}

/// Whether `o` already holds these attributes, items and policy (the
/// content its checksum covers).
bool same_overlay(const protocol::VClusterOverlay& o,
                  const protocol::OverlayAttributes& attributes,
                  const item_map& items,
                  const protocol::VClusterPolicy& policy) {
  auto next = o;
  *next.mutable_attributes() = attributes;
  to_list(items, next.mutable_items());
  *next.mutable_policy() = policy;
  return deterministic_bytes(next) == deterministic_bytes(o);
}

} // namespace

CommandResult
config_state_machine::do_overlay_apply(const JournalCommand& cmd) {
  if (cmd.overlays_size() == 0)
    return refuse(invalid, "overlay apply names no vCluster");
  if (cmd.overlays_size() > max_overlays_per_command)
    return refuse(invalid, "overlay apply names more than "
                             + std::to_string(max_overlays_per_command)
                             + " vClusters");
  // All vClusters land or none do: validate every spec first.
  std::vector<item_map> items(static_cast<size_t>(cmd.overlays_size()));
  std::vector<protocol::VClusterPolicy> policies(items.size());
  std::set<std::string> names;
  for (int i = 0; i < cmd.overlays_size(); ++i) {
    const auto& spec = cmd.overlays(i);
    auto at = static_cast<size_t>(i);
    if (auto err = check_spec(spec, items[at], policies[at]); !err.empty())
      return refuse(invalid, err);
    if (!names.insert(spec.vcluster()).second)
      return refuse(invalid, "vCluster '" + spec.vcluster()
                               + "' appears twice in one overlay apply");
  }
  CommandResult result = accept({});
  for (int i = 0; i < cmd.overlays_size(); ++i) {
    const auto& spec = cmd.overlays(i);
    auto at = static_cast<size_t>(i);
    auto [it, fresh] = overlays_.try_emplace(spec.vcluster());
    auto& o = it->second;
    if (fresh) {
      o.set_vcluster(spec.vcluster());
      *o.mutable_policy() = default_policy();
    }
    if (spec.has_policy())
      keep_blacklist(o.policy(), policies[at]);
    // A vCluster that already holds exactly this overlay is left alone: no
    // entry, no new version (issue 8 item 9).
    if (!fresh
        && same_overlay(o, spec.attributes(), items[at],
                        spec.has_policy() ? policies[at] : o.policy())) {
      auto* u = result.add_unchanged();
      *u->mutable_scope() = vcluster_scope(spec.vcluster());
      u->set_version(o.version());
      continue;
    }
    auto e = make_entry(cmd, protocol::ENTRY_TYPE_OVERLAY_APPLY,
                        vcluster_scope(spec.vcluster()));
    *e.mutable_state_delta() = diff_items(to_map(o.items()), items[at]);
    *e.mutable_overlay_attributes() = spec.attributes();
    if (spec.has_policy()) {
      *e.mutable_policy() = policies[at];
      *o.mutable_policy() = policies[at];
    }
    uint64_t seq = append(std::move(e));
    *o.mutable_attributes() = spec.attributes();
    to_list(items[at], o.mutable_items());
    seal(o, seq);
    result.add_sequences(seq);
  }
  return result;
}

CommandResult
config_state_machine::do_policy_update(const JournalCommand& cmd) {
  if (auto err = check_scope(cmd.scope(), allow_vcluster, "policy update");
      !err.empty())
    return refuse(invalid, err);
  protocol::VClusterPolicy resolved;
  if (auto err = resolve_policy(cmd.policy(), &resolved); !err.empty())
    return refuse(invalid, "policy: " + err);
  const auto& name = cmd.scope().vcluster();
  auto [it, fresh] = overlays_.try_emplace(name);
  auto& o = it->second;
  if (fresh) {
    o.set_vcluster(name);
    *o.mutable_policy() = default_policy();
  }
  keep_blacklist(o.policy(), resolved);
  if (!fresh
      && deterministic_bytes(resolved) == deterministic_bytes(o.policy()))
    return unchanged(cmd.scope(), o.version());
  auto e = make_entry(cmd, protocol::ENTRY_TYPE_POLICY_UPDATE, cmd.scope());
  *e.mutable_policy() = resolved;
  uint64_t seq = append(std::move(e));
  *o.mutable_policy() = std::move(resolved);
  seal(o, seq);
  return accept({seq});
}

CommandResult config_state_machine::do_blacklist(const JournalCommand& cmd,
                                                 bool remove) {
  const Scope& scope = cmd.scope();
  if (auto err = check_scope(scope, allow_global | allow_vcluster, "blacklist");
      !err.empty())
    return refuse(invalid, err);
  const auto& pattern = cmd.blacklist_pattern();
  if (pattern.empty() || pattern.size() > max_key_bytes)
    return refuse(invalid, "blacklist pattern must be 1.."
                             + std::to_string(max_key_bytes) + " bytes");
  // Only a pattern every agent can use is recorded (removing one is always
  // allowed, so an old unusable pattern can be taken off).
  if (!remove)
    if (auto g = path_glob::compile(pattern); !g)
      return refuse(invalid, g.err().message);
  protocol::VClusterOverlay* vc = nullptr;
  if (scope.target_case() == Scope::kVcluster) {
    auto it = overlays_.find(scope.vcluster());
    if (it == overlays_.end())
      return refuse(invalid, "unknown vCluster '" + scope.vcluster() + "'");
    vc = &it->second;
  }
  auto* list = vc ? vc->mutable_policy()->mutable_blacklist()
                  : global_.mutable_blacklist();
  bool present = std::find(list->begin(), list->end(), pattern) != list->end();
  if (!remove && present)
    return refuse(protocol::STATUS_CODE_CONFLICT,
                  "'" + pattern + "' is already on the blacklist of "
                    + scope_key(scope));
  // Like adding a present pattern: the request is well formed but
  // contradicts the current state (docs/cli.md: conflict, exit 4).
  if (remove && !present)
    return refuse(protocol::STATUS_CODE_CONFLICT,
                  "'" + pattern + "' is not on the blacklist of "
                    + scope_key(scope));
  auto next = *list;
  if (remove)
    next.erase(std::find(next.begin(), next.end(), pattern));
  else
    *next.Add() = pattern;
  canonicalize(&next);
  auto e = make_entry(cmd, protocol::ENTRY_TYPE_BLACKLIST_UPDATE, scope);
  e.mutable_blacklist_change()->set_pattern(pattern);
  e.mutable_blacklist_change()->set_removed(remove);
  if (vc) {
    *e.mutable_policy() = vc->policy();
    *e.mutable_policy()->mutable_blacklist() = next;
  }
  uint64_t seq = append(std::move(e));
  *list = std::move(next);
  if (vc)
    seal(*vc, seq);
  else
    global_.set_version(seq);
  return accept({seq});
}

} // namespace pact::journal
