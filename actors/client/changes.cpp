#include "actors/client/changes.hpp"

#include <map>

#include "runtime/common/terminal_text.hpp"
#include "runtime/journal/config_state_machine.hpp"
#include "runtime/journal/journal_items.hpp"
#include "runtime/journal/journal_query.hpp"
#include "runtime/render/journal_render.hpp"

namespace pact::client {

using namespace pact::protocol;

status check_node_name(const std::string& node) {
  if (journal::valid_name(node))
    return {};
  // A name may come from an AI agent (pact-mcp): never echo it whole.
  auto shown = node.size() > 64 ? node.substr(0, 64) + "..." : node;
  return make_error("'" + terminal_safe(shown)
                    + "' is not a node name (1-63 of [A-Za-z0-9._-])");
}

expected<Scope> parse_target(const std::string& text) {
  if (text == "global" || text.find(':') != std::string::npos)
    return journal::parse_scope(text);
  if (!journal::valid_name(text))
    return make_error("'" + text
                      + "' is not a node name (1-63 of [A-Za-z0-9._-]); use "
                        "vc:NAME for a vCluster or global");
  return journal::node_scope(text);
}

status check_ttl_flag(const Scope& target, unsigned ttl, bool given) {
  if (target.target_case() != Scope::kNode) {
    if (!given)
      return {};
    return make_error("commit: --ttl applies only to a node's commit (its "
                      "node delta expires); "
                      + render::scope_text(target) + " changes do not expire");
  }
  if (ttl < journal::min_node_ttl_seconds
      || ttl > journal::max_node_ttl_seconds)
    return make_error("commit: --ttl " + std::to_string(ttl) + " is outside "
                      + std::to_string(journal::min_node_ttl_seconds) + " .. "
                      + std::to_string(journal::max_node_ttl_seconds)
                      + " seconds");
  return {};
}

namespace {

/// Splits "CATEGORY:KEY" (`spec`); messages quote the whole flag value.
expected<std::pair<DeltaCategory, std::string>>
split_key(const std::string& flag, const std::string& spec,
          const std::string& whole) {
  auto colon = spec.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size())
    return make_error("--" + flag + " '" + whole
                      + "': expected CATEGORY:KEY (categories: mounts, "
                        "files, network, services, kernel, packages, gpu)");
  auto cat = render::parse_category(spec.substr(0, colon));
  if (!cat)
    return make_error("--" + flag + " '" + whole + "': unknown category '"
                      + spec.substr(0, colon) + "'");
  return std::make_pair(*cat, spec.substr(colon + 1));
}

} // namespace

expected<StateDelta> build_delta(const std::vector<std::string>& sets,
                                 const std::vector<std::string>& unsets) {
  StateDelta out;
  std::map<journal::item_key, bool> seen;
  auto add = [&](DeltaItem item, const std::string& flag,
                 const std::string& spec) -> status {
    auto k = journal::key_of(item);
    if (seen.count(k))
      return make_error("--" + flag + " '" + spec
                        + "': the same key is changed twice");
    seen[k] = true;
    *out.add_items() = std::move(item);
    return {};
  };
  for (auto& s : sets) {
    auto eq = s.find('=');
    if (eq == std::string::npos)
      return make_error("--set '" + s + "': expected CATEGORY:KEY=VALUE");
    auto k = split_key("set", s.substr(0, eq), s);
    if (!k)
      return k.err();
    // Only what is declared is checked: --unset may clear a key an older
    // pact let in.
    if (auto why = journal::key_shape_error(k->first, k->second); !why.empty())
      return make_error("--set '" + s + "': " + why);
    DeltaItem item;
    item.set_category(k->first);
    item.set_key(k->second);
    item.set_value(s.substr(eq + 1));
    item.set_action(DELTA_ACTION_SET);
    if (auto st = add(std::move(item), "set", s); !st)
      return st.err();
  }
  for (auto& s : unsets) {
    auto k = split_key("unset", s, s);
    if (!k)
      return k.err();
    DeltaItem item;
    item.set_category(k->first);
    item.set_key(k->second);
    item.set_action(DELTA_ACTION_REMOVE);
    if (auto st = add(std::move(item), "unset", s); !st)
      return st.err();
  }
  if (out.items().empty())
    return make_error("nothing to commit: name the changes with --set "
                      "CATEGORY:KEY=VALUE or --unset CATEGORY:KEY");
  return out;
}

expected<std::vector<ItemExpectation>>
parse_expectations(const std::vector<std::string>& specs) {
  std::vector<ItemExpectation> out;
  std::map<journal::item_key, bool> seen;
  for (auto& s : specs) {
    auto eq = s.find('=');
    auto k = split_key("if-previous", s.substr(0, eq), s);
    if (!k)
      return k.err();
    if (!seen.emplace(journal::item_key{k->first, k->second}, true).second)
      return make_error("--if-previous '" + s
                        + "': the same key is named twice");
    ItemExpectation x;
    x.set_category(k->first);
    x.set_key(k->second);
    x.set_present(eq != std::string::npos);
    if (eq != std::string::npos)
      x.set_value(s.substr(eq + 1));
    out.push_back(std::move(x));
  }
  return out;
}

} // namespace pact::client
