#include "runtime/policy/command_authz.hpp"

#include <algorithm>

#include "runtime/policy/node_authz.hpp"

namespace pact::policy {

using namespace pact::protocol;

std::vector<std::string> written_vclusters(const JournalCommand& cmd,
                                           const std::string& node_vcluster) {
  if (cmd.kind() == COMMAND_KIND_OVERLAY_APPLY) {
    std::vector<std::string> out;
    for (auto& o : cmd.overlays())
      out.push_back(o.vcluster());
    return out;
  }
  if (cmd.kind() == COMMAND_KIND_NODE_ENROLL) {
    // Moving a node out of a vCluster writes to that vCluster too.
    if (!node_vcluster.empty() && node_vcluster != cmd.vcluster())
      return {cmd.vcluster(), node_vcluster};
    return {cmd.vcluster()};
  }
  switch (cmd.scope().target_case()) {
    case Scope::kVcluster:
      return {cmd.scope().vcluster()};
    case Scope::kNode:
      return {node_vcluster};
    default:
      return {""};
  }
}

std::string role_name(const role& r) {
  switch (r.k) {
    case role::kind::platform_admin:
      return "pact-platform-admin";
    case role::kind::ops:
      return "pact-ops-" + r.vcluster;
    case role::kind::viewer:
      return "pact-viewer-" + r.vcluster;
    case role::kind::regulated:
      return "pact-regulated-" + r.vcluster;
    case role::kind::service_ai:
      return "pact-service-ai";
    case role::kind::node:
      return "pact-node";
  }
  return "unknown";
}

namespace {

/// The decision point's action of a delegated operation; "record" (a write
/// the state machine then refuses as malformed) for anything else.
std::string_view delegated_action(const std::string& action) {
  for (std::string_view op : {"drain", "undrain", "cordon", "uncordon",
                              "reboot", "reimage", "backup.create"})
    if (action == op)
      return op;
  return "record";
}

} // namespace

std::string_view command_action(const JournalCommand& cmd) {
  switch (cmd.kind()) {
    case COMMAND_KIND_COMMIT:
      return "commit";
    case COMMAND_KIND_ROLLBACK:
      return "rollback";
    case COMMAND_KIND_OVERLAY_APPLY:
      return "apply";
    case COMMAND_KIND_POLICY_UPDATE:
      return "group.set-policy";
    case COMMAND_KIND_BLACKLIST_ADD:
      return "blacklist.add";
    case COMMAND_KIND_BLACKLIST_REMOVE:
      return "blacklist.remove";
    case COMMAND_KIND_NODE_STATE_CHANGE:
      return "node.set-state";
    case COMMAND_KIND_DRIFT_DETECTED:
    case COMMAND_KIND_AUTO_CONVERGE:
      return "node.event";
    case COMMAND_KIND_EMERGENCY_START:
      return "emergency.start";
    case COMMAND_KIND_EMERGENCY_END:
      return "emergency.end";
    case COMMAND_KIND_NODE_ENROLL:
    case COMMAND_KIND_NODE_REVOKE:
      return "enroll";
    case COMMAND_KIND_RECORD:
      return "record";
    case COMMAND_KIND_EXTEND_WINDOW:
      return "extend";
    case COMMAND_KIND_APPROVAL_DECIDE:
      return "approve";
    case COMMAND_KIND_APPROVAL_REQUEST:
      // Asking approval for an agent action needs the right to the action
      // itself (then decided with the two-person rule).
      if (cmd.agent_action().action() == "exec")
        return "exec";
      if (cmd.agent_action().action() == "service.restart")
        return "service.restart";
      return delegated_action(cmd.agent_action().action());
    case COMMAND_KIND_DELEGATION:
      // The request is the operation itself; its outcome is an audit
      // record of a call already made.
      if (cmd.delegation().phase() == "requested")
        return delegated_action(cmd.delegation().action());
      return "record";
    default:
      break;
  }
  // An unknown kind is a write like any other; the state machine refuses
  // it as malformed.
  return "record";
}

policy_view view_of(const VClusterPolicy& p) {
  policy_view v;
  v.known = true;
  v.ai_write_allowed = p.ai_write_allowed();
  v.ai_exec_allowed = p.ai_exec_allowed();
  v.emergency_allowed = !p.has_emergency_allowed() || p.emergency_allowed();
  return v;
}

bool is_regulated(const VClusterPolicy& p) {
  return p.two_person_approval();
}

bool decided_at_apply(const JournalCommand& cmd) {
  switch (cmd.kind()) {
    case COMMAND_KIND_APPROVAL_DECIDE:
    case COMMAND_KIND_APPROVAL_REQUEST:
    case COMMAND_KIND_APPROVAL_EXPIRE:
    case COMMAND_KIND_APPROVAL_REDEEM:
      return true;
    default:
      return cmd.scope().target_case() == Scope::kNode;
  }
}

principal principal_of(const authenticated& who) {
  return {who.claims.subject,
          who.claims.principal_type == "agent" || holds_ai_role(who.roles)};
}

decision decide_for(const authenticated& who, std::string_view action,
                    const std::string& vcluster, const policy_view& pol) {
  return decide(principal_of(who), who.roles, action, {vcluster, false}, pol);
}

namespace {

/// `pact enroll revoke`: platform admins only, never an AI principal, and
/// never held for a second person nor by an emergency: cutting a node off
/// must not wait (docs/security.md).
decision decide_revoke(const authenticated& who, const JournalCommand& cmd) {
  decision d;
  auto me = principal_of(who);
  bool admin = std::any_of(who.roles.begin(), who.roles.end(),
                           [](const role& r) {
                             return r.k == role::kind::platform_admin;
                           });
  if (!admin || me.ai) {
    d.message = "policy: denied: " + who.claims.subject
                + " may not revoke the enrollment of node "
                + cmd.scope().node().substr(0, 64)
                + (me.ai ? " (AI principals never do)"
                         : " (needs pact-platform-admin)");
    return d;
  }
  d.out = decision::outcome::allow;
  d.role = role_name({role::kind::platform_admin, {}});
  return d;
}

} // namespace

decision decide_command(const authenticated& who, const JournalCommand& cmd,
                        const std::string& node_vcluster,
                        const policy_lookup& lookup) {
  if (cmd.kind() == COMMAND_KIND_NODE_REVOKE)
    return decide_revoke(who, cmd);
  auto action = command_action(cmd);
  auto me = principal_of(who);
  decision out;
  out.out = decision::outcome::allow;
  for (auto& vc : written_vclusters(cmd, node_vcluster)) {
    target where{vc, false};
    policy_view pol;
    if (lookup) {
      auto p = lookup(vc);
      where.regulated = !vc.empty() && is_regulated(p);
      pol = view_of(p);
    }
    auto d = decide(me, who.roles, action, where, pol);
    if (!d.allowed()) {
      if (d.out == decision::outcome::deny && vc.empty()
          && cmd.scope().target_case() == Scope::kNode
          && action != "emergency.start")
        d.message = "policy: denied: " + who.claims.subject
                    + " may not write to node " + cmd.scope().node()
                    + ", which is enrolled in no vCluster (platform admins "
                      "only)";
      return d;
    }
    if (out.role.empty())
      out.role = d.role;
    out.read_only = out.read_only || d.read_only;
    if (d.needs_approval)
      out.approval_vclusters.push_back(vc);
    out.needs_approval = out.needs_approval || d.needs_approval;
    out.needs_engine = out.needs_engine || d.needs_engine;
  }
  return out;
}

std::string command_denial(const authenticated& who, const JournalCommand& cmd,
                           const std::string& node_vcluster) {
  return decide_command(who, cmd, node_vcluster).message;
}

Identity author_of(const authenticated& who, const std::string& vcluster) {
  Identity id;
  id.set_principal(who.claims.subject);
  bool ai = std::any_of(who.roles.begin(), who.roles.end(), [](const role& r) {
    return r.k == role::kind::service_ai;
  });
  // The token may say what kind of principal it is; the AI service role
  // always makes it an agent, whatever the token claims.
  auto type = PRINCIPAL_TYPE_HUMAN;
  if (who.claims.principal_type == "agent" || ai)
    type = PRINCIPAL_TYPE_AGENT;
  else if (who.claims.principal_type == "service" || holds_node_role(who.roles))
    type = PRINCIPAL_TYPE_SERVICE;
  id.set_principal_type(type);
  const role* pick = nullptr;
  for (auto& r : who.roles)
    if (can_write({r}, vcluster)) {
      pick = &r;
      break;
    }
  if (pick == nullptr && !who.roles.empty())
    pick = &who.roles.front();
  if (pick != nullptr)
    id.set_role(role_name(*pick));
  return id;
}

AuthorRoles stamp_roles(const std::vector<role>& roles) {
  AuthorRoles out;
  for (auto& r : roles)
    out.add_groups(role_name(r));
  return out;
}

proposal prepare_proposal(const authenticated& who, JournalCommand cmd) {
  proposal out;
  // A node credential's rule needs no enrollment: decided here, at once.
  if (node_role_only(who.roles))
    out.denial = node_command_denial(who, cmd);
  else if (!decided_at_apply(cmd)) {
    out.verdict = decide_command(who, cmd, "");
    out.denial = out.verdict.message;
  } else {
    out.verdict.out = decision::outcome::allow;
  }
  auto vcs = written_vclusters(cmd, "");
  *cmd.mutable_author() = author_of(who, vcs.empty() ? "" : vcs[0]);
  *cmd.mutable_author_roles() = stamp_roles(who.roles);
  cmd.set_timestamp_unix_ms(0);
  out.command = std::move(cmd);
  return out;
}

apply_decision decide_at_apply(const JournalCommand& cmd,
                               const std::string& enrolled_vcluster,
                               const policy_lookup& lookup) {
  authenticated who;
  who.claims.subject = cmd.author().principal();
  if (cmd.author().principal_type() == PRINCIPAL_TYPE_AGENT)
    who.claims.principal_type = "agent";
  const auto& groups = cmd.author_roles().groups();
  who.roles
    = parse_roles(std::vector<std::string>(groups.begin(), groups.end()));
  // The gateway did not read the enrollment for a platform admin (it may
  // write anywhere), so its author role was picked as for a cluster-wide
  // write; keep recording the same role.
  bool admin = std::any_of(who.roles.begin(), who.roles.end(),
                           [](const role& r) {
                             return r.k == role::kind::platform_admin;
                           });
  // A node writing its own events (node_authz.hpp), whatever its
  // enrollment; its entries name the pact-node role.
  if (!admin && holds_node_role(who.roles)) {
    auto why = node_command_denial(who, cmd);
    if (why.empty())
      return apply_decision::allow(role_name({role::kind::node, {}}));
    if (node_role_only(who.roles))
      return apply_decision::refuse(why, false);
  }
  // Decided with the node's real vCluster, admins included: its policy
  // holds for them too (emergency_allowed, AI writes).
  auto d = decide_command(who, cmd, enrolled_vcluster, lookup);
  if (!d.allowed())
    return apply_decision::refuse(d.message,
                                  d.out == decision::outcome::reject);
  const std::string node_vc = admin ? std::string() : enrolled_vcluster;
  auto vcs = written_vclusters(cmd, node_vc);
  auto out
    = apply_decision::allow(author_of(who, vcs.empty() ? "" : vcs[0]).role());
  out.read_only = d.read_only;
  out.needs_approval = d.needs_approval;
  out.approval_vclusters = d.approval_vclusters;
  return out;
}

} // namespace pact::policy
