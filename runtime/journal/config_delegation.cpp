// DELEGATION commands (docs/delegation.md): the journal's record of an
// operation pact delegates to the scheduler (lattice) or to node
// management (OpenCHAMI, CSM). The client records the request, which is
// authorized like any write to the node (a lattice backup: to the
// cluster) before it calls out, then the outcome, which closes the
// request. The call itself is the client's: the journal never reaches
// another system from its state machine (it must apply every entry alike
// on every replica).

#include <algorithm>
#include <array>

#include "runtime/common/assert.hpp"
#include "runtime/journal/config_detail.hpp"
#include "runtime/journal/config_state_machine.hpp"
#include "runtime/journal/journal_items.hpp"
#include "runtime/policy/agent_action.hpp"

namespace pact::journal {

using protocol::CommandResult;
using protocol::Delegation;
using protocol::JournalCommand;
using protocol::Scope;
using namespace detail;

namespace {

constexpr size_t max_reason_bytes = 1024;
constexpr size_t max_detail_bytes = 4096;
constexpr size_t max_endpoint_bytes = 512;
constexpr size_t max_path_bytes = 4096;

constexpr std::array<const char*, 6> node_actions{
  "drain", "undrain", "cordon", "uncordon", "reboot", "reimage"};

bool by_node_management(const std::string& action) {
  return action == "reboot" || action == "reimage";
}

/// Empty when the delegation's fields fit its action and phase.
std::string check_delegation(const JournalCommand& cmd) {
  const Delegation& d = cmd.delegation();
  bool node_action = std::find(node_actions.begin(), node_actions.end(),
                               d.action())
                     != node_actions.end();
  if (!node_action && d.action() != "backup.create")
    return "delegation: unknown action '" + d.action().substr(0, 40)
           + "' (drain, undrain, cordon, uncordon, backup.create, reboot, "
             "reimage)";
  if (node_action) {
    if (auto err = check_scope(cmd.scope(), allow_node, "delegation");
        !err.empty())
      return err;
    if (d.node() != cmd.scope().node() || !d.path().empty())
      return "delegation: a node action names its node as the command's "
             "scope, and no path";
  } else {
    if (auto err = check_scope(cmd.scope(), allow_global, "delegation");
        !err.empty())
      return err;
    if (!d.node().empty() || d.path().empty()
        || d.path().size() > max_path_bytes)
      return "delegation: a lattice backup names a path (1.."
             + std::to_string(max_path_bytes) + " bytes) and no node";
  }
  bool nm = by_node_management(d.action());
  if (nm ? (d.backend() != "ochami" && d.backend() != "csm")
         : d.backend() != "lattice")
    return "delegation: " + d.action() + " goes to "
           + (nm ? "node management (ochami or csm)" : "lattice") + ", not '"
           + d.backend().substr(0, 40) + "'";
  if ((d.force() && !nm) || (!d.reason().empty() && d.action() != "drain"))
    return "delegation: --force belongs to reboot and reimage, a reason to "
           "drain";
  if (d.reason().size() > max_reason_bytes
      || d.detail().size() > max_detail_bytes
      || d.endpoint().size() > max_endpoint_bytes || d.grant_id().size() > 64)
    return "delegation: a field is too long (reason "
           + std::to_string(max_reason_bytes) + ", detail "
           + std::to_string(max_detail_bytes) + ", endpoint "
           + std::to_string(max_endpoint_bytes) + " bytes)";
  if (d.phase() == "requested") {
    if (d.request_sequence() != 0 || !d.detail().empty())
      return "delegation: a request has no outcome fields";
    return {};
  }
  if (d.phase() != "succeeded" && d.phase() != "failed"
      && d.phase() != "unknown")
    return "delegation: phase must be requested, succeeded, failed or "
           "unknown";
  if (d.request_sequence() == 0 || !d.grant_id().empty())
    return "delegation: an outcome names its request's sequence (and no "
           "grant)";
  return {};
}

} // namespace

bool config_state_machine::delegation_outcome(const JournalCommand& cmd) {
  return cmd.kind() == protocol::COMMAND_KIND_DELEGATION
         && cmd.delegation().phase() != "requested";
}

CommandResult
config_state_machine::redeem_delegation_grant(const JournalCommand& cmd) {
  if (auto err = check_delegation(cmd); !err.empty())
    return refuse(invalid, err);
  // The grant is an agent-action approval for exactly this operation
  // (docs/approval.md: asked with APPROVAL_REQUEST, decided by a second
  // person), used once, by its requester.
  JournalCommand redeem = cmd;
  redeem.set_kind(protocol::COMMAND_KIND_APPROVAL_REDEEM);
  redeem.set_approval_id(cmd.delegation().grant_id());
  *redeem.mutable_agent_action() = delegation_action(cmd.delegation());
  redeem.clear_delegation();
  return do_approval_redeem(redeem);
}

protocol::AgentAction
config_state_machine::delegation_action(const Delegation& d) {
  protocol::AgentAction a;
  a.set_node(d.node());
  a.set_action(d.action());
  if (d.action() == "drain")
    a.set_detail(d.reason());
  else if (d.force())
    a.set_detail("force");
  return a;
}

CommandResult config_state_machine::do_delegation(const JournalCommand& cmd) {
  if (auto err = check_delegation(cmd); !err.empty())
    return refuse(invalid, err);
  const Delegation& d = cmd.delegation();
  if (d.phase() != "requested") {
    // The outcome closes a request of the same author for the same
    // operation: the audit pairs them, and nobody else writes an outcome
    // for someone's call.
    if (d.request_sequence() > last_sequence())
      return refuse(invalid, "delegation: no entry "
                               + std::to_string(d.request_sequence()));
    auto req = entries_.get(d.request_sequence());
    PACT_ASSERT(req, "delegation: the journal's entries cannot be read");
    const auto& e = *req;
    if (!e || e->entry_type() != protocol::ENTRY_TYPE_DELEGATION
        || e->delegation().phase() != "requested"
        || e->delegation().action() != d.action()
        || e->delegation().node() != d.node()
        || e->delegation().path() != d.path())
      return refuse(invalid, "delegation: entry "
                               + std::to_string(d.request_sequence())
                               + " is not the request of this " + d.action());
    if (e->author().principal() != cmd.author().principal())
      return refuse(protocol::STATUS_CODE_UNAUTHORIZED,
                    "policy: denied: the " + d.action() + " of entry "
                      + std::to_string(d.request_sequence())
                      + " was requested by " + e->author().principal()
                      + "; only they record its outcome");
  }
  auto e = make_entry(cmd, protocol::ENTRY_TYPE_DELEGATION, cmd.scope());
  *e.mutable_delegation() = d;
  return accept({append(std::move(e))});
}

} // namespace pact::journal

namespace pact::journal {

CommandResult config_state_machine::authorize_delegation(
  const JournalCommand& cmd, bool needs_approval,
  const std::vector<std::string>& vclusters) {
  const auto& d = cmd.delegation();
  bool request = !delegation_outcome(cmd);
  // The outcome of a call already made is recorded whatever holds now: it
  // happened (an emergency begun meanwhile does not unmake it).
  if (!request)
    return dispatch(cmd);
  if (auto conflict = emergency_conflict(cmd))
    return *conflict;
  if (!needs_approval) {
    if (!d.grant_id().empty())
      return refuse(invalid, "delegation: approval " + d.grant_id()
                               + " is not needed: no two-person policy "
                                 "covers node "
                               + d.node());
    return dispatch(cmd);
  }
  // The owner of the node's emergency acts alone, flagged for the audit,
  // as for every other write (docs/approval.md, "In an emergency").
  if (owned_emergency(cmd) != nullptr) {
    approval_skipped_ = true;
    auto r = dispatch(cmd);
    approval_skipped_ = false;
    return r;
  }
  if (d.grant_id().empty()) {
    auto r = refuse(protocol::STATUS_CODE_POLICY_REJECTED,
                    policy::approval_required_text(
                      vclusters.empty() ? std::string() : vclusters.front()));
    r.mutable_status()->set_approval_required(true);
    return r;
  }
  if (auto err = detail::check_command(cmd); !err.empty())
    return refuse(invalid, err);
  auto used = redeem_delegation_grant(cmd);
  if (used.status().code() != protocol::STATUS_CODE_OK)
    return used;
  auto r = dispatch(cmd);
  PACT_ASSERT(r.status().code() == protocol::STATUS_CODE_OK,
              "a delegation checked before its grant was used is applied");
  // Both entries: the grant's use, then the request.
  auto request_sequences = r.sequences();
  *r.mutable_sequences() = used.sequences();
  r.mutable_sequences()->MergeFrom(request_sequences);
  *r.mutable_approval() = used.approval();
  return r;
}

} // namespace pact::journal
