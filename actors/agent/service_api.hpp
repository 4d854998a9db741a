#pragma once

/// The agent API's answer to ServiceRequest (`pact service status|restart|
/// logs`, issue 12 item 5; docs/services.md). STATUS and LOGS follow the
/// read rule of status (policy::can_read on the node's vCluster), RESTART
/// the write rule (policy::can_write); the service supervisor registered
/// as service_supervisor_name answers. Errors: another node's name
/// (INVALID_ARGUMENT), a service not declared here (INVALID_ARGUMENT), a
/// restart while the commit window has expired (POLICY_REJECTED, "commit
/// window expired"), no supervisor running (UNAVAILABLE).

#include <caf/event_based_actor.hpp>

#include "actors/daemon/api_endpoint.hpp"
#include "runtime/policy/request_auth.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::agent {

void handle_service(caf::event_based_actor* self, const std::string& node_id,
                    const std::string& vcluster, const protocol::Request& req,
                    const policy::authenticated& who, daemon::api_reply reply);

} // namespace pact::agent
