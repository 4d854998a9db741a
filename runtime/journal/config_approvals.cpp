// config_state_machine: two-person approval (issue 14 items 1-3;
// docs/approval.md) and the emergency ownership rule. A write on a
// two-person vCluster is held as a pending approval in the replicated
// state; a second person's decision applies it (as its requester) or
// discards it; the leader's approval actor records expiry once the
// deadline has passed in leader time. Everything here is decided from the
// command and the state, identically on every replica.

#include "runtime/journal/config_state_machine.hpp"

#include <algorithm>

#include "runtime/journal/config_detail.hpp"
#include "runtime/journal/journal_items.hpp"
#include "runtime/policy/approval_id.hpp"
#include "runtime/policy/command_authz.hpp"

namespace pact::journal {

using protocol::Approval;
using protocol::CommandResult;
using protocol::JournalCommand;
using protocol::Scope;
using namespace detail;

namespace {

constexpr auto conflict = protocol::STATUS_CODE_CONFLICT;
constexpr auto unauthorized = protocol::STATUS_CODE_UNAUTHORIZED;

std::string state_word(protocol::ApprovalState s) {
  switch (s) {
    case protocol::APPROVAL_STATE_PENDING:
      return "pending";
    case protocol::APPROVAL_STATE_APPROVED:
      return "approved";
    case protocol::APPROVAL_STATE_DENIED:
      return "denied";
    case protocol::APPROVAL_STATE_EXPIRED:
      return "expired";
    case protocol::APPROVAL_STATE_REDEEMED:
      return "used";
    default:
      return "unknown";
  }
}

/// Why `a` can no longer be decided (exit 4).
std::string decided_text(const Approval& a) {
  std::string out = "approval " + a.id() + " was already "
                    + state_word(a.state());
  if (a.state() == protocol::APPROVAL_STATE_EXPIRED)
    return out + " (nobody decided in time; the change was discarded)";
  // A grant is used by its requester, after the decision: the decider and
  // the decision's entry would name the wrong person and moment.
  if (a.state() == protocol::APPROVAL_STATE_REDEEMED)
    return out + " by its requester " + a.requester().principal()
           + " (approved by " + a.decided_by().principal()
           + "); a grant is used once: ask again";
  if (!a.decided_by().principal().empty())
    out += " by " + a.decided_by().principal();
  if (a.decided_sequence() != 0)
    out += " (entry " + std::to_string(a.decided_sequence()) + ")";
  return out;
}

bool is_agent_action(const Approval& a) {
  return !a.agent_action().action().empty();
}

/// Empty when `x` is an agent action an approval can hold.
std::string check_agent_action(const protocol::AgentAction& x) {
  if (!valid_name(x.node()))
    return "approval request: invalid node name";
  size_t bytes = x.service().size();
  for (const auto& arg : x.argv())
    bytes += arg.size();
  if (bytes > max_agent_action_bytes)
    return "approval request: the action is longer than "
           + std::to_string(max_agent_action_bytes) + " bytes";
  if (x.action() == "exec") {
    if (x.argv_size() == 0 || x.argv(0).empty() || !x.service().empty())
      return "approval request: an exec needs a command (argv) and no "
             "service";
    return {};
  }
  if (x.action() == "service.restart") {
    if (x.service().empty() || x.argv_size() != 0 || !x.detail().empty())
      return "approval request: a service restart needs a service and no "
             "command";
    return {};
  }
  // A delegated operation (docs/delegation.md): the grant is redeemed by
  // the requester's own client when it records the request.
  for (const char* op :
       {"drain", "undrain", "cordon", "uncordon", "reboot", "reimage"})
    if (x.action() == op) {
      if (x.argv_size() != 0 || !x.service().empty()
          || x.detail().size() > 1024)
        return "approval request: a " + x.action()
               + " has no command or service, and options of at most 1024 "
                 "bytes";
      return {};
    }
  return "approval request: the action must be exec, service.restart, "
         "drain, undrain, cordon, uncordon, reboot or reimage";
}

bool same_action(const protocol::AgentAction& a,
                 const protocol::AgentAction& b) {
  return a.node() == b.node() && a.action() == b.action()
         && a.service() == b.service() && a.detail() == b.detail()
         && std::equal(a.argv().begin(), a.argv().end(), b.argv().begin(),
                       b.argv().end());
}

/// The scopes a command writes, for the emergency rule.
std::vector<Scope> written_scopes(const JournalCommand& cmd) {
  std::vector<Scope> out;
  if (cmd.kind() == protocol::COMMAND_KIND_OVERLAY_APPLY) {
    for (const auto& o : cmd.overlays()) {
      Scope s;
      s.set_vcluster(o.vcluster());
      out.push_back(std::move(s));
    }
    return out;
  }
  out.push_back(cmd.scope());
  // Enrolling writes the vCluster the node joins as well.
  if (cmd.kind() == protocol::COMMAND_KIND_NODE_ENROLL
      && !cmd.vcluster().empty()) {
    Scope s;
    s.set_vcluster(cmd.vcluster());
    out.push_back(std::move(s));
  }
  return out;
}

/// Commands a principal's write to a scope is made of (not the node's own
/// observations and records, not approval decisions: the write an
/// approval applies is checked when it is applied).
bool is_principal_write(const JournalCommand& cmd) {
  switch (cmd.kind()) {
    case protocol::COMMAND_KIND_COMMIT:
    case protocol::COMMAND_KIND_ROLLBACK:
    case protocol::COMMAND_KIND_OVERLAY_APPLY:
    case protocol::COMMAND_KIND_POLICY_UPDATE:
    case protocol::COMMAND_KIND_BLACKLIST_ADD:
    case protocol::COMMAND_KIND_BLACKLIST_REMOVE:
    case protocol::COMMAND_KIND_NODE_STATE_CHANGE:
    case protocol::COMMAND_KIND_NODE_ENROLL:
    case protocol::COMMAND_KIND_EXTEND_WINDOW:
    case protocol::COMMAND_KIND_EMERGENCY_START:
    case protocol::COMMAND_KIND_APPROVAL_REQUEST:
      return true;
    case protocol::COMMAND_KIND_DELEGATION:
      return cmd.delegation().phase() == "requested";
    default:
      return false;
  }
}

/// The journal's own identity, for entries its actors cause.
protocol::Identity journal_identity() {
  protocol::Identity id;
  id.set_principal(journal_principal);
  id.set_principal_type(protocol::PRINCIPAL_TYPE_SERVICE);
  return id;
}

} // namespace

std::optional<CommandResult>
config_state_machine::emergency_conflict(const JournalCommand& cmd) const {
  if (emergencies_.empty() || !is_principal_write(cmd))
    return std::nullopt;
  for (const auto& scope : written_scopes(cmd)) {
    const auto* em = covering_emergency(scope);
    if (em == nullptr || em->author().principal() == cmd.author().principal())
      continue;
    const auto end = "pact emergency end "
                     + (em->scope().target_case() == Scope::kNode
                          ? em->scope().node()
                          : "--vcluster " + em->scope().vcluster());
    return refuse(conflict,
                  scope_key(em->scope()) + " is in an emergency started by "
                    + em->author().principal() + " (entry "
                    + std::to_string(em->started_sequence()) + ": "
                    + em->reason().substr(0, 200)
                    + "); only its owner writes there until it ends (`" + end
                    + "`, or `" + end + " --force` by a pact-platform-admin)");
  }
  return std::nullopt;
}

const protocol::Emergency*
config_state_machine::owned_emergency(const JournalCommand& cmd) const {
  const protocol::Emergency* found = nullptr;
  for (const auto& scope : written_scopes(cmd)) {
    const auto* em = covering_emergency(scope);
    // A node joining a vCluster is under nothing yet: the vCluster decides.
    if (em == nullptr && cmd.kind() == protocol::COMMAND_KIND_NODE_ENROLL
        && scope.target_case() == Scope::kNode)
      continue;
    if (em == nullptr || em->author().principal() != cmd.author().principal())
      return nullptr;
    found = em;
  }
  return found;
}

const Approval* config_state_machine::approval(const std::string& id) const {
  auto it = approvals_.find(id);
  return it == approvals_.end() ? nullptr : &it->second;
}

void config_state_machine::keep_approval(Approval a, int64_t now_ms) {
  auto id = a.id();
  approvals_[id] = std::move(a);
  mark_approval_dirty(id);
  // Decided approvals stay for a while (a waiting requester reads its
  // outcome, `pact approve accept` explains a second decision); pending
  // and granted ones always stay. Deterministic: leader time and ids.
  std::vector<std::pair<int64_t, std::string>> decided;
  for (const auto& [key, x] : approvals_) {
    bool live = x.state() == protocol::APPROVAL_STATE_PENDING
                || (x.state() == protocol::APPROVAL_STATE_APPROVED
                    && is_agent_action(x));
    if (!live)
      decided.emplace_back(x.decided_unix_ms(), key);
  }
  std::sort(decided.begin(), decided.end());
  size_t excess = decided.size() > max_retained_approvals
                    ? decided.size() - max_retained_approvals
                    : 0;
  for (size_t i = 0; i < decided.size(); ++i) {
    if (i >= excess && decided[i].first >= now_ms - approval_retention_ms)
      break;
    approvals_.erase(decided[i].second);
    mark_approval_dirty(decided[i].second);
  }
}

uint64_t config_state_machine::append_decision(const JournalCommand& cmd,
                                               const Approval& a) {
  auto e = make_entry(cmd, protocol::ENTRY_TYPE_APPROVAL_DECISION, a.scope());
  *e.mutable_approval() = a;
  if (e.message().empty())
    e.set_message(a.decision_message());
  return append(std::move(e));
}

CommandResult
config_state_machine::hold_for_approval(const JournalCommand& cmd,
                                        const std::vector<std::string>& vcs) {
  if (auto err = check_command(cmd); !err.empty())
    return refuse(invalid, err);
  if (!policy::is_approval_id(cmd.approval_id()))
    return refuse(invalid, "this write needs a second person's approval "
                           "(two-person policy) but carries no approval id "
                           "(the gateway draws one: send it through the "
                           "gateway)");
  if (approvals_.count(cmd.approval_id()) != 0)
    return refuse(conflict, "approval id " + cmd.approval_id()
                              + " is taken; retry the request");
  // The policy of the first two-person vCluster sets the deadline (the
  // strictest would need every one; they are one vCluster in practice).
  uint32_t timeout = policy(vcs.front()).approval_timeout_seconds();
  Approval a;
  a.set_id(cmd.approval_id());
  a.set_state(protocol::APPROVAL_STATE_PENDING);
  *a.mutable_requester() = cmd.author();
  *a.mutable_scope() = cmd.kind() == protocol::COMMAND_KIND_OVERLAY_APPLY
                         ? Scope()
                         : cmd.scope();
  if (cmd.kind() == protocol::COMMAND_KIND_OVERLAY_APPLY)
    a.mutable_scope()->set_vcluster(vcs.front());
  for (const auto& vc : vcs)
    a.add_vclusters(vc);
  a.set_action(std::string(policy::command_action(cmd)));
  if (cmd.kind() == protocol::COMMAND_KIND_APPROVAL_REQUEST) {
    *a.mutable_agent_action() = cmd.agent_action();
  } else {
    *a.mutable_command() = cmd;
    // Applied later at its decision's time; the id served its purpose.
    a.mutable_command()->clear_approval_id();
  }
  a.set_message(cmd.message());
  a.set_requested_unix_ms(cmd.timestamp_unix_ms());
  a.set_expires_unix_ms(cmd.timestamp_unix_ms() + int64_t{timeout} * 1000);
  auto e = make_entry(cmd, protocol::ENTRY_TYPE_PENDING_APPROVAL, a.scope());
  *e.mutable_approval() = a;
  uint64_t seq = append(std::move(e));
  a.set_requested_sequence(seq);
  auto r = accept({seq});
  *r.mutable_approval() = a;
  r.mutable_approval()->clear_command();
  keep_approval(std::move(a), cmd.timestamp_unix_ms());
  return r;
}

CommandResult
config_state_machine::do_approval_decide(const JournalCommand& cmd) {
  auto it = approvals_.find(cmd.approval_id());
  if (it == approvals_.end())
    return refuse(invalid, "no approval " + cmd.approval_id().substr(0, 40)
                             + " (it never existed, or was decided more "
                               "than a week ago)");
  Approval a = it->second;
  if (a.state() != protocol::APPROVAL_STATE_PENDING)
    return refuse(conflict, decided_text(a));
  if (cmd.timestamp_unix_ms() >= a.expires_unix_ms())
    return refuse(conflict, "approval " + a.id()
                              + " has expired; the change was discarded "
                                "(resubmit it)");
  // Two persons: never the requester, whatever roles they hold
  // (operator guide, "Cannot approve own request").
  if (cmd.author().principal() == a.requester().principal())
    return refuse(unauthorized,
                  "policy: denied: " + cmd.author().principal()
                    + " may not approve their own request " + a.id()
                    + " (two-person approval needs a different admin with "
                      "pact-regulated-{vcluster} or pact-platform-admin)");
  // The approver: pact-regulated-{vc} for every vCluster it touches, or a
  // platform admin; never an AI principal. A raw command acts as a
  // platform admin.
  policy::principal who{cmd.author().principal(),
                        cmd.author().principal_type()
                          == protocol::PRINCIPAL_TYPE_AGENT};
  std::vector<policy::role> roles{{policy::role::kind::platform_admin, {}}};
  if (cmd.has_author_roles()) {
    const auto& g = cmd.author_roles().groups();
    roles = policy::parse_roles(std::vector<std::string>(g.begin(), g.end()));
  }
  std::string role;
  for (const auto& vc : a.vclusters()) {
    auto d = policy::decide(who, roles, "approve", {vc, true},
                            policy::view_of(policy(vc)));
    if (!d.allowed())
      return refuse(d.out == policy::decision::outcome::reject
                      ? protocol::STATUS_CODE_POLICY_REJECTED
                      : unauthorized,
                    d.message);
    if (role.empty())
      role = d.role;
  }
  if (!cmd.approve()
      && (cmd.message().find_first_not_of(" \t\r\n") == std::string::npos
          || cmd.message().size() > max_message_bytes))
    return refuse(invalid, "a denial needs a reason (not only blanks) of at "
                           "most "
                             + std::to_string(max_message_bytes)
                             + " bytes (-m)");
  auto decider = cmd;
  decider.mutable_author()->set_role(role);
  a.set_state(cmd.approve() ? protocol::APPROVAL_STATE_APPROVED
                            : protocol::APPROVAL_STATE_DENIED);
  *a.mutable_decided_by() = decider.author();
  a.set_decided_unix_ms(cmd.timestamp_unix_ms());
  a.set_decision_message(cmd.message());
  if (cmd.approve() && is_agent_action(a)) {
    // A grant the requester redeems once, within the same timeout.
    uint32_t timeout = policy(a.vclusters(0)).approval_timeout_seconds();
    a.set_expires_unix_ms(cmd.timestamp_unix_ms() + int64_t{timeout} * 1000);
  }
  auto record = a;
  record.clear_command();
  uint64_t seq = append_decision(decider, record);
  a.set_decided_sequence(seq);
  std::vector<uint64_t> seqs{seq};
  if (cmd.approve() && !is_agent_action(a)) {
    auto inner = apply_approved(cmd, a);
    for (auto s : inner.sequences())
      seqs.push_back(s);
    *a.mutable_result() = std::move(inner);
  }
  auto r = accept(seqs);
  *r.mutable_approval() = a;
  keep_approval(std::move(a), cmd.timestamp_unix_ms());
  return r;
}

CommandResult
config_state_machine::apply_approved(const JournalCommand& decision,
                                     const Approval& a) {
  // As its requester (author, stamped roles, message), at the decision's
  // time, through every rule again except the second person: the policy
  // may have changed, an emergency may have begun, a conditional commit's
  // condition may no longer hold.
  auto inner = a.command();
  inner.set_timestamp_unix_ms(decision.timestamp_unix_ms());
  inner.clear_client_request_id();
  approving_ = true;
  auto r = authorize(inner);
  approving_ = false;
  if (r.status().code() == protocol::STATUS_CODE_OK)
    mark_dirty(inner);
  r.clear_approval();
  return r;
}

CommandResult
config_state_machine::do_approval_expire(const JournalCommand& cmd) {
  auto it = approvals_.find(cmd.approval_id());
  if (it == approvals_.end())
    return refuse(invalid, "no approval " + cmd.approval_id().substr(0, 40));
  Approval a = it->second;
  bool live = a.state() == protocol::APPROVAL_STATE_PENDING
              || (a.state() == protocol::APPROVAL_STATE_APPROVED
                  && is_agent_action(a));
  // Decided meanwhile (the actor's view lagged): nothing to do.
  if (!live)
    return unchanged(a.scope(), last_in_scope(a.scope()));
  if (cmd.timestamp_unix_ms() < a.expires_unix_ms())
    return refuse(conflict, "approval " + a.id() + " is not due to expire yet");
  auto by = cmd;
  *by.mutable_author() = journal_identity();
  by.set_message(a.state() == protocol::APPROVAL_STATE_PENDING
                   ? "approval expired: nobody decided in time; the change "
                     "was discarded"
                   : "approval grant expired unused");
  a.set_state(protocol::APPROVAL_STATE_EXPIRED);
  if (a.decided_by().principal().empty()) {
    *a.mutable_decided_by() = journal_identity();
    a.set_decided_unix_ms(cmd.timestamp_unix_ms());
  }
  auto record = a;
  record.clear_command();
  uint64_t seq = append_decision(by, record);
  a.set_decided_sequence(seq);
  auto r = accept({seq});
  *r.mutable_approval() = record;
  keep_approval(std::move(a), cmd.timestamp_unix_ms());
  return r;
}

CommandResult
config_state_machine::do_approval_request(const JournalCommand& cmd) {
  if (auto err = check_scope(cmd.scope(), allow_node, "approval request");
      !err.empty())
    return refuse(invalid, err);
  if (auto err = check_agent_action(cmd.agent_action()); !err.empty())
    return refuse(invalid, err);
  if (cmd.agent_action().node() != cmd.scope().node())
    return refuse(invalid, "approval request: the action's node is not the "
                           "command's scope");
  const auto* rec = node(cmd.scope().node());
  std::string vc = rec ? rec->vcluster() : std::string();
  if (vc.empty() || !policy::is_regulated(policy(vc)))
    return refuse(invalid, "node " + cmd.scope().node()
                             + " is not in a vCluster with two-person "
                               "approval; nothing to approve (its agent "
                               "decides alone)");
  if (owned_emergency(cmd) == nullptr)
    return hold_for_approval(cmd, {vc});
  // The owner of the node's emergency acts without a second person: the
  // grant is issued at once, flagged for the audit.
  approval_skipped_ = true;
  auto r = hold_for_approval(cmd, {vc});
  approval_skipped_ = false;
  if (r.status().code() != protocol::STATUS_CODE_OK)
    return r;
  Approval a = approvals_.at(cmd.approval_id());
  a.set_state(protocol::APPROVAL_STATE_APPROVED);
  *a.mutable_decided_by() = cmd.author();
  a.set_decided_unix_ms(cmd.timestamp_unix_ms());
  a.set_decision_message("granted to the owner of the active emergency");
  auto decider = cmd;
  decider.set_message(a.decision_message());
  approval_skipped_ = true;
  uint64_t seq = append_decision(decider, a);
  approval_skipped_ = false;
  a.set_decided_sequence(seq);
  r.add_sequences(seq);
  *r.mutable_approval() = a;
  keep_approval(std::move(a), cmd.timestamp_unix_ms());
  return r;
}

CommandResult
config_state_machine::do_approval_redeem(const JournalCommand& cmd) {
  if (auto err = check_scope(cmd.scope(), allow_node, "approval redeem");
      !err.empty())
    return refuse(invalid, err);
  auto it = approvals_.find(cmd.approval_id());
  if (it == approvals_.end() || !is_agent_action(it->second))
    return refuse(invalid, "no approval " + cmd.approval_id().substr(0, 40)
                             + " for an action on a node");
  Approval a = it->second;
  if (a.state() == protocol::APPROVAL_STATE_PENDING)
    return refuse(conflict, "approval " + a.id()
                              + " is still pending; wait for a second "
                                "person to accept it");
  if (a.state() != protocol::APPROVAL_STATE_APPROVED)
    return refuse(conflict, decided_text(a));
  if (cmd.timestamp_unix_ms() >= a.expires_unix_ms())
    return refuse(conflict, "approval " + a.id()
                              + "'s grant has expired unused; request it "
                                "again");
  // Redeemed by the node's agent with its node credential, naming the
  // operator whose token it verified; or proposed with that operator's own
  // token (the journal then verified who it is).
  const auto& groups = cmd.author_roles().groups();
  bool node_credential = std::find(groups.begin(), groups.end(), "pact-node")
                         != groups.end();
  const std::string& caller = node_credential ? cmd.grant_caller()
                                              : cmd.author().principal();
  if (caller != a.requester().principal()
      || (!node_credential && !cmd.grant_caller().empty()
          && cmd.grant_caller() != caller))
    return refuse(unauthorized, "policy: denied: approval " + a.id()
                                  + " was granted to "
                                  + a.requester().principal() + ", not to "
                                  + caller.substr(0, 80));
  if (cmd.scope().node() != a.agent_action().node()
      || !same_action(cmd.agent_action(), a.agent_action()))
    return refuse(
      unauthorized,
      "policy: denied: approval " + a.id()
        + " grants a different action (it was approved for exactly what was "
          "asked"
        + (a.agent_action().action() == "exec"
               || a.agent_action().action() == "service.restart"
             ? std::string()
             : ": " + a.agent_action().action() + " " + a.agent_action().node()
                 + (a.agent_action().detail().empty()
                      ? std::string()
                      : " with " + a.agent_action().detail().substr(0, 200)))
        + ")");
  a.set_state(protocol::APPROVAL_STATE_REDEEMED);
  auto by = cmd;
  by.set_message("approval grant used");
  uint64_t seq = append_decision(by, a);
  auto r = accept({seq});
  *r.mutable_approval() = a;
  keep_approval(std::move(a), cmd.timestamp_unix_ms());
  return r;
}

} // namespace pact::journal
