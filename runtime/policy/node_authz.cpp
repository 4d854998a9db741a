#include "runtime/policy/node_authz.hpp"

#include <algorithm>

namespace pact::policy {

using namespace pact::protocol;

bool holds_node_role(const std::vector<role>& roles) {
  return std::any_of(roles.begin(), roles.end(),
                     [](const role& r) { return r.k == role::kind::node; });
}

bool node_role_only(const std::vector<role>& roles) {
  return holds_node_role(roles)
         && std::all_of(roles.begin(), roles.end(),
                        [](const role& r) { return r.k == role::kind::node; });
}

bool is_node_event(const JournalCommand& cmd) {
  switch (cmd.kind()) {
    case COMMAND_KIND_DRIFT_DETECTED:
    case COMMAND_KIND_AUTO_CONVERGE:
    // Using an approval's grant for an action the agent runs on its node.
    case COMMAND_KIND_APPROVAL_REDEEM:
      return true;
    case COMMAND_KIND_RECORD:
      switch (cmd.record_type()) {
        case ENTRY_TYPE_CAPABILITY_CHANGE:
        case ENTRY_TYPE_BOOT_CONFIG:
        case ENTRY_TYPE_EXEC_LOG:
        case ENTRY_TYPE_SHELL_SESSION:
        case ENTRY_TYPE_SERVICE_LIFECYCLE:
        case ENTRY_TYPE_WINDOW_EXPIRED:
        case ENTRY_TYPE_DRIFT_RESOLVED:
          return true;
        default:
          return false;
      }
    default:
      return false;
  }
}

namespace {

std::string denied(const authenticated& who, const std::string& what) {
  return "policy: denied: " + who.claims.subject + " may not " + what;
}

} // namespace

std::string node_command_denial(const authenticated& who,
                                const JournalCommand& cmd) {
  if (!holds_node_role(who.roles))
    return denied(who, "write with a node credential (no pact-node role)");
  if (cmd.scope().target_case() != Scope::kNode)
    return denied(who, "write outside its node (a node credential writes "
                       "for its own node only)");
  if (cmd.scope().node() != who.claims.subject)
    return denied(who, "write to node " + cmd.scope().node()
                         + " (a node credential writes for its own node "
                           "only)");
  if (!is_node_event(cmd))
    return denied(who, "run this command on node " + cmd.scope().node()
                         + " (a node credential records only drift, "
                           "convergence, capabilities, boots and audit "
                           "entries of its node)");
  return {};
}

std::string boot_request_denial(const authenticated& who,
                                const std::string& node,
                                const std::string& vcluster) {
  if (holds_node_role(who.roles) && node == who.claims.subject)
    return {};
  if (node_role_only(who.roles))
    return denied(who, "read the boot configuration of node " + node
                         + " (a node credential boots its own node only)");
  return vcluster_denial(who, vcluster);
}

std::string
boot_answer_denial(const authenticated& who, const std::string& node,
                   const google::protobuf::RepeatedPtrField<BootChunk>& chunks,
                   const vcluster_of& of) {
  if (!holds_node_role(who.roles) || node != who.claims.subject)
    return boot_denial(who, node, chunks, of);
  auto own = of(node);
  for (const auto& c : chunks)
    if (c.has_complete() && !own.empty() && c.complete().vcluster() != own)
      return denied(who, "read vcluster " + c.complete().vcluster() + " (node "
                           + node + " belongs to " + own + ")");
  return {};
}

std::string report_denial(const NodeReport& report, const verifier_config& cfg,
                          int64_t now_unix_seconds, token_cache* cache) {
  if (report.token().empty())
    return "node report of " + report.node_id()
           + " carries no credential (set agent.token_file)";
  auto who = authenticate_token(report.token(), cfg, now_unix_seconds, cache);
  if (!who)
    return "node report of " + report.node_id() + ": " + who.err().message;
  const auto& roles = who->roles;
  if (std::any_of(roles.begin(), roles.end(), [](const role& r) {
        return r.k == role::kind::platform_admin;
      }))
    return {};
  if (holds_node_role(roles) && who->claims.subject == report.node_id())
    return {};
  return "node report of " + report.node_id() + ": " + who->claims.subject
         + " may not report for that node (a node credential reports for "
           "the node named in its sub only)";
}

} // namespace pact::policy
