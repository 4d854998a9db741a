#pragma once

/// The agent API's answer to ServiceRequest (`pact service status|restart|
/// logs`, issue 12 item 5; docs/services.md). Decided by the decision
/// point's service.status, service.logs and service.restart rows
/// (docs/authorization.md); a restart with the vCluster policy the agent
/// booted with (an AI principal's: ai_write_allowed; on a two-person
/// vCluster, only with a second person's grant, used up with the journal
/// before the restart: docs/agent.md, "Approval"); the service supervisor
/// registered as service_supervisor_name answers. Errors: another node's name
/// (INVALID_ARGUMENT), a service not declared here (INVALID_ARGUMENT), a
/// restart while the commit window has expired (POLICY_REJECTED, "commit
/// window expired"), no grant (POLICY_REJECTED with
/// Status.approval_required), a grant the journal refuses (its status), no
/// supervisor running or no journal to check a grant (UNAVAILABLE).

#include <string>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>

#include "actors/daemon/api_endpoint.hpp"
#include "runtime/policy/request_auth.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::agent {

/// Where the agent's declared state is asked for (link_command.hpp).
struct service_api_links {
  caf::actor supervisor;
  std::string journal_link_name = "agent/journal-link";
};

void handle_service(caf::event_based_actor* self, const std::string& node_id,
                    const std::string& vcluster, const service_api_links& links,
                    const protocol::Request& req,
                    const policy::authenticated& who, daemon::api_reply reply);

} // namespace pact::agent
