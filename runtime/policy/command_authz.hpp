#pragma once

/// Who may run which journal command (DESIGN.md §5, built-in RBAC). The
/// gateway calls this after authentication and before proposing, except for
/// node-scoped writes: which vCluster a node is in is known for certain only
/// where the command applies, so the gateway stamps the author's roles into
/// the command and the state machine decides there (decide_at_apply, issue 9
/// item 5: one quorum round per command). The state machine then applies
/// the vCluster-policy rules (AI principals and emergencies, blacklists,
/// exec permissions) deterministically.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <pact/protocol/journal.pb.h>

#include "runtime/policy/decision.hpp"
#include "runtime/policy/request_auth.hpp"
#include "runtime/policy/roles.hpp"

namespace pact::policy {

/// The vClusters a command writes to; "" for cluster-wide commands (global
/// scope). Enrolling a node writes to the vCluster it joins and to the one
/// it leaves. `node_vcluster` is the vCluster the command's node
/// belongs to, when its scope is a node ("" when not enrolled).
std::vector<std::string> written_vclusters(const protocol::JournalCommand& cmd,
                                           const std::string& node_vcluster);

/// The named action (decision.hpp) a journal command is: "commit",
/// "group.set-policy", "emergency.start", …
std::string_view command_action(const protocol::JournalCommand& cmd);

/// What the decision point needs of a vCluster's policy.
policy_view view_of(const protocol::VClusterPolicy& p);
/// A vCluster whose writes need a second person's approval: its policy
/// sets `two_person_approval` (`regulated` alone means stricter audit).
bool is_regulated(const protocol::VClusterPolicy& p);

/// Whether the gateway leaves `cmd` to the state machine to authorize:
/// node-scoped writes (the node's vCluster is known there) and the
/// approval commands (the approval's vClusters are known there).
bool decided_at_apply(const protocol::JournalCommand& cmd);

/// The policy governing a vCluster ("" = the global scope), where the caller
/// knows it (the state machine); an empty function where it does not (the
/// gateway before proposing: policy rules are then decided at apply).
using policy_lookup
  = std::function<protocol::VClusterPolicy(const std::string& vcluster)>;

/// The principal of a verified caller: AI when its token says
/// `pact_principal_type = agent` or it holds `pact-service-ai`.
principal principal_of(const authenticated& who);

/// decide() for a verified caller on `vcluster` (not regulated, `pol`).
decision decide_for(const authenticated& who, std::string_view action,
                    const std::string& vcluster, const policy_view& pol = {});

/// decide() for `cmd` on every vCluster it writes (the first refusal wins;
/// approval and engine needs are the union).
decision decide_command(const authenticated& who,
                        const protocol::JournalCommand& cmd,
                        const std::string& node_vcluster,
                        const policy_lookup& lookup = {});

/// Empty when `roles` may run `cmd`; otherwise the reason, phrased for the
/// operator ("policy: denied: …"). Role rules only (decide_command without
/// a policy).
std::string command_denial(const authenticated& who,
                           const protocol::JournalCommand& cmd,
                           const std::string& node_vcluster);

/// The author recorded in the journal: the token's subject, its principal
/// type (the token's `pact_principal_type` claim; always an agent for the
/// AI service role) and the role that
/// authorizes writing to `vcluster` (or the first role held).
protocol::Identity author_of(const authenticated& who,
                             const std::string& vcluster);

/// The group name of a role ("pact-ops-ml").
std::string role_name(const role& r);

/// The roles a gateway stamps into a proposed command
/// (JournalCommand.author_roles): their group names, in order.
protocol::AuthorRoles stamp_roles(const std::vector<role>& roles);

/// What a gateway does with a command request.
struct proposal {
  /// Empty when it may be proposed; else command_denial's message.
  std::string denial;
  /// The decision for it (role rules only; node-scoped commands are
  /// decided at apply and allowed here).
  decision verdict;
  /// The command to propose.
  protocol::JournalCommand command;
};

/// Prepares the request body `cmd` of `who` for proposing: identity, roles
/// and time are never taken from the body (DESIGN.md §5), so the author is
/// author_of(who) and `author_roles` is stamp_roles(who.roles) whatever the
/// body carried, and the time is cleared (the leader stamps it). A command
/// that is not node-scoped is authorized here (its vClusters are named in
/// it); a node-scoped one when it is applied (decide_at_apply), since only
/// there is the node's vCluster known without a read. A caller whose only
/// role is pact-node is decided here (node_command_denial needs no
/// enrollment).
proposal prepare_proposal(const authenticated& who,
                          protocol::JournalCommand cmd);

/// The state machine's decision on a command carrying stamped roles.
struct apply_decision {
  /// Empty when allowed; else the refusal's message.
  std::string denial;
  /// When refused: by role (exit 2) or by the vCluster policy (exit 3).
  bool policy_rejection = false;
  /// When allowed: the role recorded as `author.role` (as author_of).
  std::string role;
  /// When allowed: read-only commands only (an agent action's request).
  bool read_only = false;
  /// When allowed: the write waits for a second person's approval, on
  /// these two-person vClusters.
  bool needs_approval = false;
  std::vector<std::string> approval_vclusters;

  static apply_decision allow(std::string role) {
    apply_decision d;
    d.role = std::move(role);
    return d;
  }
  static apply_decision refuse(std::string why, bool by_policy) {
    apply_decision d;
    d.denial = std::move(why);
    d.policy_rejection = by_policy;
    return d;
  }
};

/// Authorizes `cmd` (author principal and stamped roles as carried) when it
/// is applied; `enrolled_vcluster` is the vCluster its node is enrolled in
/// at that moment ("" when none or not node-scoped). Deterministic: reads
/// only the command, that name and `lookup` (the replicated policies: the
/// vCluster-policy rules of decision.hpp are decided here, with the policy
/// as of this entry). Same role answers as the gateway gave when it
/// read the enrollment before proposing: a platform admin writes any node
/// (its entries name the admin role), a node credential its own node's
/// events (node_authz.hpp; its entries name pact-node), anyone else only
/// nodes of a vCluster a role lets them write.
apply_decision decide_at_apply(const protocol::JournalCommand& cmd,
                               const std::string& enrolled_vcluster,
                               const policy_lookup& lookup = {});

} // namespace pact::policy
