#include "actors/client/write_ops.hpp"

#include "actors/client/agent_drift.hpp"
#include "actors/client/journal_session.hpp"

namespace pact::client {

protocol::StateDelta recorded_delta(journal_session& s,
                                    const protocol::CommandReply& reply,
                                    const protocol::StateDelta& sent) {
  const auto& result = reply.result();
  if (result.sequences().empty() || result.state_delta().items_size() > 0)
    return result.state_delta();
  protocol::Request req;
  req.set_request_id("log");
  req.mutable_log()->set_sequence(result.sequences(0));
  auto resp = s.call(req);
  if (resp && resp->log_reply().entries_size() == 1)
    return resp->log_reply().entries(0).state_delta();
  return sent;
}

expected<protocol::ConfigEntry> entry_at(journal_session& s, uint64_t seq) {
  protocol::Request req;
  req.set_request_id("log");
  req.mutable_log()->set_sequence(seq);
  auto resp = s.call(req);
  if (!resp)
    return resp.err();
  if (resp->log_reply().entries_size() != 1)
    return make_error("rollback: no entry with sequence "
                      + std::to_string(seq));
  return resp->log_reply().entries(0);
}

expected<std::optional<protocol::CommandReply>>
commit_drift(const config::values& cfg, journal_session& s,
             const std::string& node, const std::string& message,
             uint32_t ttl_seconds) {
  auto agent = find_agent(cfg, s, node);
  if (!agent)
    return agent.err();
  if (!*agent)
    return make_error(
      "commit: no agent is known for node " + node
      + " (it never booted, and PACT_AGENT_ENDPOINT is not set), so there "
        "is no live drift to commit; give changes with --set/--unset");
  auto drift = node_drift(cfg, **agent, node);
  if (!drift)
    return drift.err();
  if (drift->items_size() == 0)
    return std::optional<protocol::CommandReply>{};
  protocol::Request req;
  req.set_request_id("drift-commit");
  auto* c = req.mutable_drift_commit();
  c->set_node(node);
  *c->mutable_items() = drift->items();
  c->set_message(message);
  c->set_ttl_seconds(ttl_seconds);
  c->set_client_request_id(new_request_id());
  auto resp = agent_call(cfg, **agent, std::move(req));
  if (!resp)
    return resp.err();
  if (!resp->has_drift_commit_reply())
    return make_error("the agent at " + agent->value().url()
                      + " does not commit drift (an older pact-agent?)");
  return std::optional<protocol::CommandReply>{
    resp->drift_commit_reply().command()};
}

expected<protocol::NodeRollbackReply>
rollback_node(const config::values& cfg, journal_session& s,
              const endpoint& agent, const std::string& node, uint64_t seq,
              int64_t seq_unix_ms, bool force, const std::string& message) {
  auto items = node_items_at(s, node, seq, seq_unix_ms);
  if (!items)
    return items.err();
  protocol::Request req;
  req.set_request_id("node-rollback");
  auto* r = req.mutable_node_rollback();
  r->set_node(node);
  r->set_rollback_to(seq);
  *r->mutable_node_items() = items->items();
  r->set_force(force);
  r->set_message(message);
  r->set_client_request_id(new_request_id());
  auto resp = agent_call(cfg, agent, std::move(req));
  if (!resp)
    return resp.err();
  if (!resp->has_node_rollback_reply())
    return make_error("the agent at " + agent.url()
                      + " does not roll nodes back (an older pact-agent?)");
  return resp->node_rollback_reply();
}

std::optional<protocol::Emergency>
active_emergency(journal_session& s, const protocol::Scope& scope) {
  protocol::Request req;
  req.set_request_id("emergency");
  auto* q = req.mutable_state();
  if (scope.target_case() == protocol::Scope::kNode)
    q->set_node(scope.node());
  else
    q->set_vcluster(scope.vcluster());
  auto resp = s.call(std::move(req));
  if (!resp)
    return std::nullopt;
  for (const auto& e : resp->state_reply().emergencies())
    if (e.scope().SerializeAsString() == scope.SerializeAsString())
      return e;
  return std::nullopt;
}

} // namespace pact::client
