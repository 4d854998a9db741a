#include "actors/client/capability_query.hpp"

#include "actors/client/access.hpp"
#include "actors/client/agent_drift.hpp"
#include "actors/client/journal_session.hpp"

namespace pact::client {

expected<protocol::CapabilityReply> ask_capability(const config::values& cfg,
                                                   const std::string& node) {
  // PACT_AGENT_ENDPOINT / agent_endpoint when set (agent_drift.hpp), else
  // this host's agent at the default.
  auto configured = agent_endpoint_for(cfg, node);
  auto ep = configured ? std::move(*configured)
                       : parse_endpoint(cfg.get_string("agent_endpoint"),
                                        "agent_endpoint");
  if (!ep)
    return ep.err();
  auto token = resolve_token(cfg);
  if (!token)
    return token.err();
  // journal_session is the generic envelope connection (what = "agent"
  // names the target in its messages).
  journal_session agent(
    nullptr, options{{*ep}, "agent", std::move(*token), timeout_of(cfg)});
  protocol::Request req;
  req.set_request_id("capability");
  req.mutable_capability()->set_node(node);
  auto resp = agent.call(std::move(req));
  if (!resp)
    return resp.err();
  if (!resp->has_capability_reply())
    return make_error("the agent at " + ep->url()
                      + " answered without a capability manifest");
  return resp->capability_reply();
}

} // namespace pact::client
