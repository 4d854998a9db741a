#include "actors/client/service_query.hpp"

#include "actors/client/agent_drift.hpp"

namespace pact::client {

expected<protocol::ServiceReply>
ask_service(const config::values& cfg, const endpoint& agent,
            const protocol::ServiceRequest& q, bool* approval_required) {
  protocol::Request req;
  req.set_request_id("service");
  *req.mutable_service() = q;
  auto resp = agent_call(cfg, agent, std::move(req), approval_required);
  if (!resp)
    return resp.err();
  if (!resp->has_service_reply())
    return make_error("the agent at " + agent.url()
                      + " answered without a service reply");
  return resp->service_reply();
}

} // namespace pact::client
