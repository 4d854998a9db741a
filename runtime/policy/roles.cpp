#include "runtime/policy/roles.hpp"

#include <algorithm>

#include "runtime/policy/decision.hpp"

namespace pact::policy {

namespace {

bool valid_vcluster_name(std::string_view name) {
  if (name.empty())
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
}

/// The role for `group` if it is `prefix` followed by a vCluster name.
std::optional<role> parse_scoped(std::string_view group,
                                 std::string_view prefix, role::kind k) {
  if (group.substr(0, prefix.size()) != prefix)
    return std::nullopt;
  auto vcluster = group.substr(prefix.size());
  if (!valid_vcluster_name(vcluster))
    return std::nullopt;
  return role{k, std::string(vcluster)};
}

} // namespace

bool operator==(const role& lhs, const role& rhs) {
  return lhs.k == rhs.k && lhs.vcluster == rhs.vcluster;
}

bool operator!=(const role& lhs, const role& rhs) {
  return !(lhs == rhs);
}

std::optional<role> parse_role(std::string_view group) {
  if (group == "pact-platform-admin")
    return role{role::kind::platform_admin, {}};
  if (group == "pact-service-ai")
    return role{role::kind::service_ai, {}};
  if (group == "pact-node")
    return role{role::kind::node, {}};
  if (auto r = parse_scoped(group, "pact-ops-", role::kind::ops))
    return r;
  if (auto r = parse_scoped(group, "pact-viewer-", role::kind::viewer))
    return r;
  return parse_scoped(group, "pact-regulated-", role::kind::regulated);
}

std::vector<role> parse_roles(const std::vector<std::string>& groups) {
  std::vector<role> roles;
  for (const auto& group : groups)
    if (auto r = parse_role(group))
      roles.push_back(std::move(*r));
  return roles;
}

bool can_read(const std::vector<role>& roles, std::string_view vcluster) {
  // Every read action has the same row (docs/authorization.md): ask the
  // decision point for one of them. A node credential reads nothing but
  // its own boot stream (node_authz.hpp), not even global state.
  return decide({}, roles, "status", {std::string(vcluster), false}, {})
    .allowed();
}

bool can_write(const std::vector<role>& roles, std::string_view vcluster) {
  return std::any_of(roles.begin(), roles.end(), [&](const role& r) {
    if (r.k == role::kind::platform_admin)
      return true;
    if (vcluster.empty())
      return false;
    return (r.k == role::kind::ops || r.k == role::kind::regulated)
           && r.vcluster == vcluster;
  });
}

} // namespace pact::policy
