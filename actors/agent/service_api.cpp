#include "actors/agent/service_api.hpp"

#include "actors/agent/link_command.hpp"
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

void refuse(daemon::api_reply& reply, const policy::decision& d) {
  reply.fail(d.out == policy::decision::outcome::reject
               ? STATUS_CODE_POLICY_REJECTED
               : STATUS_CODE_UNAUTHORIZED,
             d.message);
}

void call_supervisor(caf::event_based_actor* self, const ServiceRequest& q,
                     const policy::authenticated& who, daemon::api_reply reply,
                     bool write) {
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

} // namespace

void handle_service(caf::event_based_actor* self, const std::string& node_id,
                    const std::string& vcluster, const service_api_links& links,
                    const Request& req, const policy::authenticated& who,
                    daemon::api_reply reply) {
  const auto& q = req.service();
  if (!q.node().empty() && q.node() != node_id) {
    reply.fail(STATUS_CODE_INVALID_ARGUMENT,
               "this agent serves node " + node_id + ", not " + q.node()
                 + " (ask that node's agent: PACT_AGENT_ENDPOINT)");
    return;
  }
  bool write = q.op() == ServiceRequest::OP_RESTART;
  reply.set_write(write);
  std::string_view action = write ? "service.restart"
                            : q.op() == ServiceRequest::OP_LOGS
                              ? "service.logs"
                              : "service.status";
  auto v = policy::decide_for(who, action, vcluster);
  if (!v.allowed()) {
    refuse(reply, v);
    return;
  }
  // The roles allow it; the vCluster policy matters only for an AI
  // principal's restart (ai_write_allowed): the one the agent booted with.
  if (!write || !policy::principal_of(who).ai) {
    call_supervisor(self, q, who, std::move(reply), write);
    return;
  }
  with_declared_state(
    self, links.supervisor, links.journal_link_name,
    [self, q, who, reply, vcluster, action](const caf::actor&,
                                            const std::string& overlay_bytes,
                                            const std::string&) mutable {
      VClusterOverlay overlay;
      overlay.ParseFromString(overlay_bytes);
      auto d = policy::decide_for(who, action, vcluster,
                                  policy::view_of(overlay.policy()));
      if (!d.allowed()) {
        refuse(reply, d);
        return;
      }
      call_supervisor(self, q, who, std::move(reply), true);
    },
    [reply](const std::string& missing) mutable {
      reply.fail(STATUS_CODE_UNAVAILABLE,
                 missing + "; nothing was restarted, retry");
    });
}

} // namespace pact::agent
