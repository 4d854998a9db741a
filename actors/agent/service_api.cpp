#include "actors/agent/service_api.hpp"

#include "actors/agent/link_command.hpp"
#include "actors/agent/operator_call.hpp"
#include "actors/agent/service_atoms.hpp"
#include "runtime/policy/agent_action.hpp"
#include "runtime/policy/approval_id.hpp"
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

/// `grant`: the approval whose grant a restart used, named in the
/// service-lifecycle entry beside the operator.
void call_supervisor(caf::event_based_actor* self, const ServiceRequest& q,
                     const policy::authenticated& who, daemon::api_reply reply,
                     bool write, const std::string& grant = {}) {
  auto sup = caf::actor_cast<caf::actor>(
    self->system().registry().get(service_supervisor_name));
  if (!sup) {
    reply.fail(STATUS_CODE_UNAVAILABLE,
               "the service supervisor is not running; retry in a moment");
    return;
  }
  self
    ->request(sup, std::chrono::seconds(40), service_call_atom::value,
              q.SerializeAsString(),
              operator_text(who)
                + (grant.empty() ? "" : ", with approval " + grant))
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
  if (!q.approval_id().empty()) {
    if (!write) {
      reply.fail(STATUS_CODE_INVALID_ARGUMENT,
                 "an approval grant is for a restart, not a service read");
      return;
    }
    if (!policy::is_approval_id(q.approval_id())) {
      reply.fail(STATUS_CODE_INVALID_ARGUMENT,
                 policy::bad_approval_id_text(q.approval_id()));
      return;
    }
  }
  auto v = policy::decide_for(who, action, vcluster);
  if (!v.allowed()) {
    refuse(reply, v);
    return;
  }
  if (!write) {
    call_supervisor(self, q, who, std::move(reply), write);
    return;
  }
  // A restart: the vCluster policy the agent booted with decides an AI
  // principal's (ai_write_allowed) and whether a second person must grant
  // it (two_person_approval; docs/agent.md, "Approval").
  with_declared_state(
    self, links.supervisor, links.journal_link_name,
    [self, q, who, reply, vcluster, node_id, token = req.token()](
      const caf::actor& link, const std::string& overlay_bytes,
      const std::string&) mutable {
      VClusterOverlay overlay;
      overlay.ParseFromString(overlay_bytes);
      const auto& pol = overlay.policy();
      auto d = policy::decide_for(who, "service.restart", vcluster,
                                  policy::view_of(pol));
      if (!d.allowed()) {
        refuse(reply, d);
        return;
      }
      if (!q.approval_id().empty()) {
        // The journal records the grant's use before the restart: any
        // refusal, or no journal to ask, restarts nothing.
        redeem_grant(self, link, token, q.approval_id(),
                     policy::restart_action(node_id, q.name()),
                     [self, q, who, reply](Status st) mutable {
                       if (st.code() != STATUS_CODE_OK) {
                         st.set_message("approval " + q.approval_id() + ": "
                                        + st.message());
                         reply.fail(std::move(st));
                         return;
                       }
                       call_supervisor(self, q, who, std::move(reply), true,
                                       q.approval_id());
                     });
        return;
      }
      if (policy::needs_second_person(who, "service.restart", vcluster, pol)) {
        Status st;
        st.set_code(STATUS_CODE_POLICY_REJECTED);
        st.set_message(policy::approval_required_text(vcluster));
        st.set_approval_required(true);
        reply.fail(std::move(st));
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
