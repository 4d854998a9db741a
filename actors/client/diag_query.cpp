#include "actors/client/diag_query.hpp"

#include "actors/client/enroll_client.hpp"

#include <atomic>
#include <thread>

#include "actors/client/access.hpp"
#include "actors/client/agent_drift.hpp"
#include "actors/client/journal_session.hpp"

namespace pact::client {

namespace {

expected<protocol::DiagReply> diag_of(expected<protocol::Response> resp,
                                      const endpoint& agent) {
  if (!resp)
    return resp.err();
  if (!resp->has_diag_reply())
    return make_error("the agent at " + agent.url()
                      + " does not serve diag (an older pact-agent?)");
  return resp->diag_reply();
}

protocol::Request request_for(const protocol::DiagRequest& q,
                              const std::string& node) {
  protocol::Request req;
  req.set_request_id(new_request_id()); // pairs the agent's audit record
  *req.mutable_diag() = q;
  req.mutable_diag()->set_node(node);
  return req;
}

} // namespace

expected<protocol::DiagReply> ask_diag(const config::values& cfg,
                                       const endpoint& agent,
                                       const protocol::DiagRequest& q) {
  return diag_of(agent_call(cfg, agent, request_for(q, q.node())), agent);
}

expected<std::vector<diag_answer>>
fleet_diag(const config::values& cfg, caf::actor_system& sys,
           const std::vector<diag_target>& targets,
           const protocol::DiagRequest& q, fleet_limits lim) {
  auto token = resolve_token(cfg);
  if (!token)
    return token.err();
  std::vector<diag_answer> out(targets.size());
  std::atomic<size_t> next{0};
  // Workers take the next target until none is left: at most `parallel`
  // connections are open at once, and a slow agent holds up only its
  // worker. Each writes only its own slots of `out`.
  auto work = [&] {
    for (size_t i = next++; i < targets.size(); i = next++) {
      const auto& t = targets[i];
      out[i].node = t.node;
      if (!t.agent) {
        out[i].reply = make_error("no agent endpoint in the journal (its "
                                  "agent has not booted)",
                                  exit_code::unavailable);
        continue;
      }
      auto opts = agent_options(cfg, *t.agent, t.node, *token, lim.per_agent);
      if (!opts) {
        out[i].reply = opts.err();
        continue;
      }
      journal_session s(&sys, std::move(*opts));
      out[i].reply = diag_of(s.call(request_for(q, t.node)), *t.agent);
    }
  };
  auto n = std::min(std::max<size_t>(lim.parallel, 1), targets.size());
  std::vector<std::thread> workers;
  workers.reserve(n);
  for (size_t w = 0; w < n; ++w)
    workers.emplace_back(work);
  for (auto& w : workers)
    w.join();
  return out;
}

} // namespace pact::client
