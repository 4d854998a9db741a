#include "actors/agent/service_api.hpp"

#include "actors/agent/service_atoms.hpp"
#include "runtime/policy/command_authz.hpp"
#include "runtime/policy/roles.hpp"

namespace pact::agent {

using namespace pact::protocol;

namespace {

/// "alice (pact-ops-ml)": the operator as service-lifecycle entries name
/// them.
std::string operator_text(const policy::authenticated& who) {
  std::string roles;
  for (const auto& r : who.roles)
    roles += (roles.empty() ? "" : ", ") + policy::role_name(r);
  return who.claims.subject + (roles.empty() ? "" : " (" + roles + ")");
}

} // namespace

void handle_service(caf::event_based_actor* self, const std::string& node_id,
                    const std::string& vcluster, const Request& req,
                    const policy::authenticated& who, daemon::api_reply reply) {
  const auto& q = req.service();
  if (!q.node().empty() && q.node() != node_id) {
    reply.fail(STATUS_CODE_INVALID_ARGUMENT,
               "this agent serves node " + node_id + ", not " + q.node()
                 + " (ask that node's agent: PACT_AGENT_ENDPOINT)");
    return;
  }
  bool write = q.op() == ServiceRequest::OP_RESTART;
  reply.set_write(write);
  // The agent does not consult the vCluster policy here: an AI principal's
  // restart fails closed, as under the default ai_write_allowed = false.
  policy::policy_view pol;
  pol.known = write;
  auto v = policy::decide_for(who,
                              write ? "service.restart"
                              : q.op() == ServiceRequest::OP_LOGS
                                ? "service.logs"
                                : "service.status",
                              vcluster, pol);
  if (!v.allowed()) {
    reply.fail(v.out == policy::decision::outcome::reject
                 ? STATUS_CODE_POLICY_REJECTED
                 : STATUS_CODE_UNAUTHORIZED,
               v.message);
    return;
  }
  auto sup = caf::actor_cast<caf::actor>(
    self->system().registry().get(service_supervisor_name));
  if (!sup) {
    reply.fail(STATUS_CODE_UNAVAILABLE,
               "the service supervisor is not running; retry in a moment");
    return;
  }
  self
    ->request(sup, std::chrono::seconds(40), service_call_atom::value,
              q.SerializeAsString(), operator_text(who))
    .then(
      [reply](const std::string& bytes) mutable {
        Response resp;
        if (!resp.ParseFromString(bytes)) { // never an abort of the agent
          reply.fail(STATUS_CODE_ERROR,
                     "the service supervisor's answer could not be read");
          return;
        }
        if (resp.status().code() == STATUS_CODE_OK)
          reply.ok(std::move(resp));
        else
          reply.fail(resp.status().code(), resp.status().message());
      },
      [reply, write](caf::error&) mutable {
        reply.fail(STATUS_CODE_UNAVAILABLE,
                   write ? "the service supervisor did not answer in time; "
                           "the restart's outcome is unknown (see pact "
                           "service status)"
                         : "the service supervisor did not answer; retry in "
                           "a moment");
      });
}

} // namespace pact::agent
