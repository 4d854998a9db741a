#include "actors/client/capability_query.hpp"

#include "actors/client/agent_drift.hpp"

namespace pact::client {

expected<protocol::CapabilityReply> ask_capability(const config::values& cfg,
                                                   const endpoint& agent,
                                                   const std::string& node) {
  protocol::Request req;
  req.set_request_id("capability");
  req.mutable_capability()->set_node(node);
  auto resp = agent_call(cfg, agent, std::move(req));
  if (!resp)
    return resp.err();
  if (!resp->has_capability_reply())
    return make_error("the agent at " + agent.url()
                      + " answered without a capability manifest");
  return resp->capability_reply();
}

} // namespace pact::client
