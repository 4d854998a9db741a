#pragma once

/// The policy decision point (DESIGN.md §5; issue 13 item 4): every
/// operation of the CLI, the agent API and MCP is a named action, and one
/// pure function decides it from the caller's roles, whether it is an AI
/// principal, the vCluster it touches and that vCluster's policy. The
/// gateway, the journal's state machine and the agent all ask decide(), so
/// there is one answer per action. docs/authorization.md holds the same
/// table for operators; tests/unit/runtime/policy/decision_matrix_test.cpp
/// reads that table and checks decide() against every cell, so the two
/// cannot drift.
///
/// Node credentials (`pact-node`) are not decided here: what a node may
/// write for itself is node_authz.hpp's narrower rule.

#include <string>
#include <string_view>
#include <vector>

#include "runtime/policy/roles.hpp"

namespace pact::policy {

/// What a role's cell in the action table grants.
enum class grant {
  /// `no`: nothing.
  none,
  /// `own`: the role's own vCluster.
  own,
  /// `own, read-only`: its own vCluster, read-only commands only (exec).
  own_read_only,
  /// `yes`: every vCluster (and, for reads, the global scope).
  any,
};

/// What being an AI principal changes.
enum class ai_rule {
  /// `as role`: nothing.
  as_role,
  /// `never`: refused by role (exit 2), whatever the roles.
  never,
  /// `ai_write_allowed`: only where the vCluster policy sets it (else
  /// exit 3).
  write_key,
  /// `ai_exec_allowed, read-only`: only where the vCluster policy sets
  /// ai_exec_allowed (else exit 3), and then read-only commands only.
  exec_key,
};

/// Whether an action reads, writes or runs commands. Reads of the global
/// scope are open to every role a read cell grants anything; writes of the
/// global scope to platform admins only.
enum class action_kind { read, write, exec };

/// One row of the action table.
struct action_rule {
  std::string_view name;
  action_kind kind;
  grant admin, ops, regulated, viewer, service_ai;
  ai_rule ai;
  /// A vCluster policy key that must be true (else exit 3); empty if none.
  std::string_view policy_key;
  /// In a two-person vCluster (policy `two_person_approval`) the write
  /// waits for a second person's approval (issue 14; for exec, a command
  /// that is not read-only).
  bool approval;
  /// Refused while a configured OPA server is unreachable (exit 3, "policy
  /// engine unreachable"): the two-person approval rules need the engine.
  bool needs_engine;
};

/// Every action, in the order of docs/authorization.md.
const std::vector<action_rule>& action_table();

/// The row of `name`; null when no such action exists.
const action_rule* find_action(std::string_view name);

/// Who asks.
struct principal {
  std::string subject;
  /// An AI principal: the token says `pact_principal_type = agent`. The
  /// `pact-service-ai` role makes any holder an AI principal too.
  bool ai = false;
};

/// What the action touches: `vcluster` "" is the global scope (or a node
/// enrolled in no vCluster).
struct target {
  std::string vcluster;
  /// Whether the vCluster requires two-person approval (its policy sets
  /// `two_person_approval`).
  bool regulated = false;
};

/// The vCluster policy keys the table names. `known = false` where the
/// caller has no policy at hand (the gateway before proposing: the state
/// machine decides again with it when it applies the command); the
/// policy-key rules then pass and are decided there.
struct policy_view {
  bool known = false;
  bool ai_write_allowed = false;
  bool ai_exec_allowed = false;
  bool emergency_allowed = true;
};

struct decision {
  enum class outcome {
    allow,
    /// Refused by role: exit 2 (STATUS_CODE_UNAUTHORIZED).
    deny,
    /// Rejected by the vCluster policy (or OPA): exit 3
    /// (STATUS_CODE_POLICY_REJECTED).
    reject,
  };
  outcome out = outcome::deny;
  /// "policy: denied: …" / "policy: rejected: …"; empty when allowed.
  std::string message;
  /// When allowed: read-only commands only (exec, shell).
  bool read_only = false;
  /// When allowed: a second person must approve (two-person vCluster)...
  bool needs_approval = false;
  /// ... on these vClusters (decide_command: every one it writes that
  /// needs it).
  std::vector<std::string> approval_vclusters;
  /// When allowed: refused if the policy engine is configured and
  /// unreachable.
  bool needs_engine = false;
  /// When allowed: the role that grants it (group name).
  std::string role;

  bool allowed() const {
    return out == outcome::allow;
  }
  /// The CLI's exit code for this outcome: 0, 2 or 3.
  int exit_code() const;
};

/// Decides `action` for `who` holding `roles` on `where` under `pol`. An
/// unknown action is denied. Pure and deterministic: the state machine
/// calls it while applying entries.
decision decide(const principal& who, const std::vector<role>& roles,
                std::string_view action, const target& where,
                const policy_view& pol);

/// Whether `roles` make the principal an AI principal whatever its token
/// says (the `pact-service-ai` role).
bool holds_ai_role(const std::vector<role>& roles);

/// The group names that would grant `action` on `vcluster`, joined for a
/// message ("pact-ops-ml, pact-regulated-ml or pact-platform-admin").
std::string roles_needed(const action_rule& rule, const std::string& vcluster);

/// What `kind` grants in `rule`'s row.
grant grant_of(const action_rule& rule, role::kind kind);

} // namespace pact::policy
