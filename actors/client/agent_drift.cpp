#include "actors/client/agent_drift.hpp"

#include "actors/client/access.hpp"
#include "actors/client/journal_session.hpp"

namespace pact::client {

std::optional<expected<endpoint>>
agent_endpoint_for(const config::values& cfg, const std::string& /*node*/) {
  const auto& where = cfg.origin_of("agent_endpoint");
  if (where.source == config::origin::kind::default_value)
    return std::nullopt;
  auto what = where.where.empty() ? std::string("agent_endpoint") : where.where;
  return parse_endpoint(cfg.get_string("agent_endpoint"), what);
}

expected<std::optional<endpoint>>
recorded_agent_endpoint(journal_session& s, const std::string& node) {
  // A stale read is good enough: an endpoint changes only when the agent
  // boots again, and a follower answers without a ReadIndex round.
  auto st = s.state("", node, true);
  if (!st)
    return st.err();
  for (const auto& rec : st->nodes()) {
    if (rec.node() != node || rec.agent_endpoint().empty())
      continue;
    auto ep = parse_endpoint(rec.agent_endpoint(),
                             "the journal's record of node " + node
                               + "'s agent endpoint");
    if (!ep)
      return ep.err();
    return std::optional<endpoint>(*ep);
  }
  return std::optional<endpoint>();
}

expected<protocol::DriftReply> node_drift(const config::values& cfg,
                                          const endpoint& agent,
                                          const std::string& node) {
  auto token = resolve_token(cfg);
  if (!token)
    return token.err();
  journal_session s(
    nullptr, options{{agent}, "agent", std::move(*token), timeout_of(cfg)});
  protocol::Request req;
  req.set_request_id("drift");
  req.mutable_drift()->set_node(node);
  auto resp = s.call(std::move(req));
  if (!resp)
    return resp.err();
  if (!resp->has_drift_reply())
    return make_error("the agent at " + agent.url()
                      + " does not serve drift (an older pact-agent?)");
  return resp->drift_reply();
}

} // namespace pact::client
