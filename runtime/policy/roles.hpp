#pragma once

/// Built-in roles (DESIGN.md §5). What each role may do, action by action,
/// is decision.hpp's table (docs/authorization.md).
///
/// Roles are derived from the group names of a verified token.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pact::policy {

/// One role a principal holds, parsed from one group name.
struct role {
  enum class kind {
    /// `pact-platform-admin`: reads and writes everything.
    platform_admin,
    /// `pact-ops-{vcluster}`: reads and writes its vCluster.
    ops,
    /// `pact-viewer-{vcluster}`: reads its vCluster.
    viewer,
    /// `pact-regulated-{vcluster}`: reads and writes its vCluster (writes
    /// need two-person approval, enforced by policy, not here).
    regulated,
    /// `pact-service-ai` (the MCP bridge): reads everything, writes nothing.
    service_ai,
    /// `pact-node`: an agent's credential before enrollment (DESIGN.md §5).
    /// It reads and writes no vCluster and no global state; what it may do
    /// for the node named in its token's `sub` is node_authz.hpp's rule.
    node,
  };

  kind k;
  /// The vCluster the role is scoped to; empty for platform_admin,
  /// service_ai and node, which are not scoped to a vCluster.
  std::string vcluster;
};

bool operator==(const role& lhs, const role& rhs);
bool operator!=(const role& lhs, const role& rhs);

/// Parses one group name. Returns the role for the six pact group forms;
/// returns nullopt for any other group (groups pact does not know are
/// ignored, not errors). Matching is exact and case-sensitive. A scoped
/// group needs a non-empty vCluster name made of `A-Z a-z 0-9 . _ -`, so
/// `pact-ops-` or `pact-ops-a/b` are not roles.
std::optional<role> parse_role(std::string_view group);

/// Parses every group with `parse_role`, keeping only the known roles, in
/// order.
std::vector<role> parse_roles(const std::vector<std::string>& groups);

/// Whether `roles` may read state of `vcluster`. An empty `vcluster` is the
/// global scope, readable by any known role but node. Otherwise: platform_admin
/// and service_ai read every vCluster; ops, viewer and regulated read their
/// own. The decision point's read row (decision.hpp), asked for `status`.
bool can_read(const std::vector<role>& roles, std::string_view vcluster);

/// Whether `roles` may change state of `vcluster`. An empty `vcluster` is
/// the global scope, writable by platform_admin only. Otherwise:
/// platform_admin writes every vCluster; ops and regulated write their own;
/// viewer, service_ai and node write nothing here (node_authz.hpp). Used to
/// pick the role an entry records; whether a write is allowed is the
/// decision point's answer (decision.hpp), which also lets AI principals
/// write where the vCluster policy sets ai_write_allowed.
bool can_write(const std::vector<role>& roles, std::string_view vcluster);

} // namespace pact::policy
