#include "actors/client/agent_exec.hpp"

#include "actors/client/enroll_client.hpp"

#include "actors/client/access.hpp"
#include "actors/client/agent_drift.hpp"
#include "actors/client/journal_session.hpp"

namespace pact::client {

expected<protocol::ExecReply>
agent_exec(const config::values& cfg, const endpoint& agent,
           const std::string& node, const std::vector<std::string>& argv,
           uint32_t timeout_seconds,
           const std::function<void(const protocol::ExecChunk&)>& on_chunk,
           const std::string& approval_id, bool* approval_required,
           const std::function<bool()>& stop) {
  auto token = resolve_token(cfg);
  if (!token)
    return token.err();
  protocol::Request req;
  req.set_request_id("exec");
  auto* ex = req.mutable_exec();
  ex->set_node(node);
  for (const auto& a : argv)
    ex->add_argv(a);
  ex->set_timeout_seconds(timeout_seconds);
  ex->set_approval_id(approval_id);
  // The answer comes when the command has ended: wait its timeout on top
  // of the CLI's (the agent cuts an over-long one to its maximum, and its
  // default applies when none is given).
  auto extra = std::chrono::seconds(timeout_seconds == 0 ? 3600
                                                         : timeout_seconds)
               + std::chrono::seconds(10);
  auto opts = agent_options(cfg, agent, node_of(req), std::move(*token),
                            timeout_of(cfg));
  if (!opts)
    return opts.err();
  journal_session s(nullptr, std::move(*opts));
  auto resp = s.conn().call_streaming(
    std::move(req), extra,
    [&](const std::string& bytes) {
      protocol::ExecChunk c;
      if (c.ParseFromString(bytes))
        on_chunk(c);
    },
    {}, stop);
  if (!resp)
    return resp.err();
  if (auto refused = approval_refusal(*resp, agent, approval_required))
    return *refused;
  if (!resp->has_exec_reply())
    return make_error("the agent at " + agent.url()
                      + " does not serve exec (an older pact-agent?)");
  return resp->exec_reply();
}

} // namespace pact::client
