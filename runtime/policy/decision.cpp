#include "runtime/policy/decision.hpp"

#include <algorithm>

#include "runtime/policy/command_authz.hpp"

namespace pact::policy {

namespace {

constexpr auto R = action_kind::read;
constexpr auto W = action_kind::write;
constexpr auto X = action_kind::exec;
constexpr auto no = grant::none;
constexpr auto own = grant::own;
constexpr auto own_ro = grant::own_read_only;
constexpr auto yes = grant::any;

/// A read: every role reads its own vCluster, admins and the AI service
/// every vCluster; AI principals as their roles.
constexpr action_rule read_row(std::string_view name) {
  return {name, R, yes, own, own, own, yes, ai_rule::as_role, {}, false, false};
}

/// A write: ops and regulated their own vCluster, admins every one, the AI
/// service only where ai_write_allowed (as every AI principal); viewers
/// never. Two-person vClusters need a second person's approval.
constexpr action_rule write_row(std::string_view name) {
  return {name, W, yes, own, own, no, yes, ai_rule::write_key, {}, true, false};
}

/// `rule`, never waiting for a second person.
constexpr action_rule without_approval(action_rule rule) {
  rule.approval = false;
  return rule;
}

/// exec and shell: viewers read-only commands, AI principals read-only
/// commands where ai_exec_allowed. `approval`: in a two-person vCluster a
/// command that is not read-only waits for a second person (exec only: a
/// shell's lines are decided one by one, interactively).
constexpr action_rule exec_row(std::string_view name, bool approval) {
  return {name, X,        yes,  own, own, own_ro, yes, ai_rule::exec_key,
          {},   approval, false};
}

// The order and every cell are docs/authorization.md's "Action table".
const std::vector<action_rule> table = {
  read_row("status"),
  read_row("log"),
  {"log.export", R, yes, no, no, no, yes, ai_rule::as_role, {}, false, false},
  read_row("diff"),
  read_row("watch"),
  read_row("group.list"),
  read_row("group.show"),
  read_row("blacklist.list"),
  read_row("cap"),
  read_row("service.status"),
  read_row("service.logs"),
  write_row("commit"),
  write_row("rollback"),
  write_row("extend"),
  write_row("apply"),
  write_row("promote"),
  write_row("group.set-policy"),
  write_row("blacklist.add"),
  write_row("blacklist.remove"),
  write_row("enroll"),
  write_row("node.set-state"),
  // What a node observed (drift, convergence): no approval to wait for.
  without_approval(write_row("node.event")),
  // Audit records (exec-log, shell-session, approvals): the exec they
  // record was decided by its own row; an AI principal records as its role.
  {"record", W, yes, own, own, no, yes, ai_rule::as_role, {}, false, false},
  write_row("service.restart"),
  {"emergency.start", W, yes, own, own, no, no, ai_rule::never,
   "emergency_allowed", false, false},
  // Ending an emergency restores the stricter rules: it never waits.
  without_approval(write_row("emergency.end")),
  // The second person of two-person approval: pact-regulated-{vc} or a
  // platform admin (operator guide, "Approval Workflow Issues").
  {"approve", W, yes, no, own, no, no, ai_rule::never, {}, false, true},
  exec_row("exec", true),
  exec_row("shell", false),
  {"diag", X, yes, own, own, own, yes, ai_rule::exec_key, {}, false, false},
  // Delegated operations (docs/delegation.md): writes to the node's
  // vCluster; a lattice backup is a cluster-wide write, platform admins'.
  write_row("drain"),
  write_row("undrain"),
  write_row("cordon"),
  write_row("uncordon"),
  write_row("reboot"),
  write_row("reimage"),
  {"backup.create", W, yes, no, no, no, no, ai_rule::as_role, {}, false, false},
};

std::string denied(const principal& who, const std::string& what) {
  return "policy: denied: " + who.subject + " may not " + what;
}

/// What the caller asked for, in a refusal's words.
std::string doing(const action_rule& rule, const std::string& vc) {
  if (rule.name == "emergency.start")
    return vc.empty() ? "start an emergency"
                      : "start an emergency in vcluster " + vc;
  if (rule.name == "approve")
    return "approve changes of vcluster " + vc;
  if (rule.name == "diag")
    return "read the diagnostics of nodes of vCluster " + vc;
  if (rule.name == "cap")
    return "read the capabilities of nodes of vCluster " + vc;
  if (rule.name == "service.restart")
    return "restart services on nodes of vCluster " + vc;
  if (rule.name == "service.status" || rule.name == "service.logs")
    return "read the services of nodes of vCluster " + vc;
  if (rule.name == "shell")
    return "open a shell on nodes of vCluster " + vc;
  if (rule.name == "backup.create")
    return "back up lattice's state";
  for (std::string_view op :
       {"drain", "undrain", "cordon", "uncordon", "reboot", "reimage"})
    if (rule.name == op)
      return std::string(op) + " nodes of vCluster " + vc;
  if (rule.kind == X)
    return "exec on nodes of vCluster " + vc;
  if (rule.kind == W)
    return vc.empty() ? "make cluster-wide changes" : "write to vcluster " + vc;
  if (vc.empty())
    return "run " + std::string(rule.name) + " across every vCluster";
  return "read vcluster " + vc;
}

/// Whether `g` lets a role scoped to `role_vc` act on `vc`.
bool covers(grant g, const std::string& role_vc, const std::string& vc) {
  switch (g) {
    case grant::none:
      return false;
    case grant::any:
      return true;
    case grant::own:
    case grant::own_read_only:
      return !vc.empty() && role_vc == vc;
  }
  return false;
}

/// Reads of the global scope are open to any role the row lets read
/// something; global writes and exec to platform admins only.
bool allows(const action_rule& rule, const role& r, const std::string& vc) {
  auto g = grant_of(rule, r.k);
  if (vc.empty() && rule.kind == R && g != grant::none)
    return true;
  if (vc.empty() && r.k != role::kind::platform_admin)
    return false;
  return covers(g, r.vcluster, vc);
}

} // namespace

const std::vector<action_rule>& action_table() {
  return table;
}

const action_rule* find_action(std::string_view name) {
  for (auto& row : table)
    if (row.name == name)
      return &row;
  return nullptr;
}

grant grant_of(const action_rule& rule, role::kind kind) {
  switch (kind) {
    case role::kind::platform_admin:
      return rule.admin;
    case role::kind::ops:
      return rule.ops;
    case role::kind::regulated:
      return rule.regulated;
    case role::kind::viewer:
      return rule.viewer;
    case role::kind::service_ai:
      return rule.service_ai;
    case role::kind::node:
      return grant::none;
  }
  return grant::none;
}

bool holds_ai_role(const std::vector<role>& roles) {
  return std::any_of(roles.begin(), roles.end(), [](const role& r) {
    return r.k == role::kind::service_ai;
  });
}

std::string roles_needed(const action_rule& rule, const std::string& vc) {
  std::vector<std::string> names;
  auto add = [&](role::kind k, bool scoped) {
    if (grant_of(rule, k) == grant::none)
      return;
    if (vc.empty() && k != role::kind::platform_admin
        && (rule.kind != R || scoped))
      return;
    names.push_back(role_name({k, scoped ? (vc.empty() ? "V" : vc) : ""}));
  };
  add(role::kind::ops, true);
  add(role::kind::regulated, true);
  add(role::kind::viewer, true);
  add(role::kind::service_ai, false);
  add(role::kind::platform_admin, false);
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0)
      out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

int decision::exit_code() const {
  switch (out) {
    case outcome::allow:
      return 0;
    case outcome::deny:
      return 2;
    case outcome::reject:
      return 3;
  }
  return 2;
}

decision decide(const principal& who, const std::vector<role>& roles,
                std::string_view action, const target& where,
                const policy_view& pol) {
  decision d;
  const auto* rule = find_action(action);
  if (rule == nullptr) {
    d.message = denied(who, "run the unknown action '"
                              + std::string(action.substr(0, 64)) + "'");
    return d;
  }
  const auto& vc = where.vcluster;
  bool ai = who.ai || holds_ai_role(roles);
  // AI principals never meet some rules (DESIGN.md §5: emergency mode):
  // a refusal by role, whatever roles they hold.
  if (ai && rule->ai == ai_rule::never) {
    d.message = denied(who, doing(*rule, vc)
                              + " (AI principals never may; it needs a "
                                "human principal with "
                              + roles_needed(*rule, vc) + ")");
    return d;
  }
  // The strongest grant among the roles held: full before read-only.
  const role* by = nullptr;
  for (auto& r : roles) {
    if (!allows(*rule, r, vc))
      continue;
    if (by == nullptr
        || (grant_of(*rule, by->k) == grant::own_read_only
            && grant_of(*rule, r.k) != grant::own_read_only))
      by = &r;
  }
  if (by == nullptr) {
    d.message = denied(who, doing(*rule, vc) + " (needs "
                              + roles_needed(*rule, vc) + ")");
    return d;
  }
  d.read_only = grant_of(*rule, by->k) == grant::own_read_only;
  d.role = role_name(*by);
  d.out = decision::outcome::reject;
  const std::string policy_of = vc.empty() ? "the global scope"
                                           : "vCluster " + vc;
  if (ai && rule->ai == ai_rule::write_key && (vc.empty() || pol.known)
      && !pol.ai_write_allowed) {
    d.message = "AI write is not allowed by the policy of " + policy_of
                + " (ai_write_allowed = false)";
    return d;
  }
  if (ai && rule->ai == ai_rule::exec_key) {
    if (pol.known && !pol.ai_exec_allowed) {
      d.message = "AI " + std::string(rule->name == "diag" ? "diag" : "exec")
                  + " is not allowed by the policy of " + policy_of
                  + " (ai_exec_allowed = false)";
      return d;
    }
    d.read_only = true;
  }
  if (rule->policy_key == "emergency_allowed" && pol.known
      && !pol.emergency_allowed) {
    d.message = "emergencies are not allowed by the policy of " + policy_of
                + " (emergency_allowed = false)";
    return d;
  }
  d.out = decision::outcome::allow;
  d.message.clear();
  d.needs_approval = rule->approval && where.regulated;
  d.needs_engine = rule->needs_engine || d.needs_approval;
  return d;
}

} // namespace pact::policy
