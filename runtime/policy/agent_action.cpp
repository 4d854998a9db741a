#include "runtime/policy/agent_action.hpp"

#include "runtime/policy/command_authz.hpp"

namespace pact::policy {

protocol::AgentAction exec_action(const std::string& node,
                                  const std::vector<std::string>& argv) {
  protocol::AgentAction a;
  a.set_node(node);
  a.set_action("exec");
  for (const auto& arg : argv)
    a.add_argv(arg);
  return a;
}

protocol::AgentAction restart_action(const std::string& node,
                                     const std::string& service) {
  protocol::AgentAction a;
  a.set_node(node);
  a.set_action("service.restart");
  a.set_service(service);
  return a;
}

std::string approval_required_text(const std::string& vcluster) {
  return "approval required (two-person policy on vcluster: " + vcluster + ")";
}

std::string bad_approval_id_text(const std::string& id) {
  std::string shown;
  for (char c : id.substr(0, 40))
    shown += (c >= 0x20 && c < 0x7f) ? c : '?';
  return "'" + shown
         + "' is not an approval id (ap- and 8 letters or digits, as `pact "
           "approve list` shows)";
}

bool needs_second_person(const authenticated& who, std::string_view action,
                         const std::string& vcluster,
                         const protocol::VClusterPolicy& policy) {
  auto d = decide(principal_of(who), who.roles, action,
                  {vcluster, is_regulated(policy)}, view_of(policy));
  return d.allowed() && d.needs_approval;
}

protocol::JournalCommand redeem_command(const std::string& approval_id,
                                        const protocol::AgentAction& what,
                                        const std::string& client_request_id) {
  protocol::JournalCommand cmd;
  cmd.set_kind(protocol::COMMAND_KIND_APPROVAL_REDEEM);
  cmd.mutable_scope()->set_node(what.node());
  cmd.set_approval_id(approval_id);
  *cmd.mutable_agent_action() = what;
  cmd.set_client_request_id(client_request_id);
  return cmd;
}

std::string redeem_doubt(const protocol::CommandResult& result,
                         const std::string& approval_id) {
  // A remembered result answers a retry of an earlier use: this request
  // did not use the grant, so it may not run anything.
  if (result.duplicate())
    return "approval " + approval_id
           + " was already used (the journal answered an earlier use)";
  if (result.approval().id() != approval_id
      || result.approval().state() != protocol::APPROVAL_STATE_REDEEMED)
    return "the journal did not confirm the use of approval " + approval_id
           + "; nothing was run";
  return {};
}

bool held_for_approval(const protocol::CommandResult& result) {
  return result.has_approval()
         && result.approval().state() == protocol::APPROVAL_STATE_PENDING;
}

} // namespace pact::policy
