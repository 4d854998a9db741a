#include "actors/client/capability_query.hpp"

#include "actors/client/access.hpp"
#include "actors/client/journal_session.hpp"

namespace pact::client {

expected<protocol::CapabilityReply> ask_capability(const config::values& cfg,
                                                   const endpoint& agent,
                                                   const std::string& node) {
  auto token = resolve_token(cfg);
  if (!token)
    return token.err();
  // journal_session is the generic envelope connection (what = "agent"
  // names the target in its messages).
  journal_session session(
    nullptr, options{{agent}, "agent", std::move(*token), timeout_of(cfg)});
  protocol::Request req;
  req.set_request_id("capability");
  req.mutable_capability()->set_node(node);
  auto resp = session.call(std::move(req));
  if (!resp)
    return resp.err();
  if (!resp->has_capability_reply())
    return make_error("the agent at " + agent.url()
                      + " answered without a capability manifest");
  return resp->capability_reply();
}

} // namespace pact::client
