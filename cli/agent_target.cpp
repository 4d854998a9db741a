#include "cli/agent_target.hpp"

#include "actors/client/agent_drift.hpp"
#include "cli/commands.hpp"

namespace pact::cli {

expected<endpoint> agent_of(context& ctx, const std::string& node) {
  if (auto configured = client::agent_endpoint_for(ctx.cfg, node))
    return std::move(*configured);
  if (node.empty())
    return parse_endpoint(ctx.cfg.get_string("agent_endpoint"),
                          "agent_endpoint");
  auto s = open_session(ctx);
  if (!s)
    return s.err();
  auto recorded = client::recorded_agent_endpoint(**s, node);
  if (!recorded)
    return recorded.err();
  if (!*recorded)
    return make_error("node " + node
                      + " has no agent endpoint in the "
                        "journal (its agent has not booted); set "
                        "PACT_AGENT_ENDPOINT to ask an agent directly");
  return **recorded;
}

} // namespace pact::cli
