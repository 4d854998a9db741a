#include "actors/client/agent_drift.hpp"

#include "actors/client/enroll_client.hpp"

#include "actors/client/access.hpp"
#include "actors/client/journal_session.hpp"
#include "runtime/journal/node_history.hpp"
#include "runtime/render/failure.hpp"

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

expected<protocol::Response>
agent_call(const config::values& cfg, const endpoint& agent,
           protocol::Request req, bool* approval_required) {
  auto token = resolve_token(cfg);
  if (!token)
    return token.err();
  auto opts = agent_options(cfg, agent, node_of(req), std::move(*token),
                            timeout_of(cfg));
  if (!opts)
    return opts.err();
  journal_session s(nullptr, std::move(*opts));
  auto resp = s.call(std::move(req));
  if (resp)
    if (auto refused = approval_refusal(*resp, agent, approval_required))
      return *refused;
  return resp;
}

std::optional<error> approval_refusal(const protocol::Response& resp,
                                      const endpoint& agent,
                                      bool* approval_required) {
  const auto& st = resp.status();
  if (st.code() == protocol::STATUS_CODE_OK || !st.approval_required())
    return std::nullopt;
  if (approval_required)
    *approval_required = true;
  return render::failure_of(st, "the agent at " + agent.url());
}

expected<std::optional<endpoint>> find_agent(const config::values& cfg,
                                             journal_session& s,
                                             const std::string& node) {
  if (auto named = agent_endpoint_for(cfg, node)) {
    if (!*named)
      return named->err();
    return std::optional<endpoint>(**named);
  }
  return recorded_agent_endpoint(s, node);
}

expected<protocol::StateDelta>
node_items_at(journal_session& s, const std::string& node, uint64_t seq,
              int64_t seq_unix_ms) {
  constexpr uint32_t page = 1000;
  // A bound on pages: a node with a million entries since its last
  // rollback is not a history to replay from a command line.
  constexpr int max_pages = 1000;
  std::vector<protocol::ConfigEntry> entries;
  uint64_t oldest = seq + 1;
  int64_t until = seq_unix_ms;
  for (int n = 0; n < max_pages; ++n) {
    protocol::Request req;
    req.set_request_id("history");
    req.mutable_log()->set_scope("node:" + node);
    req.mutable_log()->set_limit(page);
    req.mutable_log()->set_until_unix_ms(until);
    auto resp = s.call(std::move(req));
    if (!resp)
      return resp.err();
    const auto& got = resp->log_reply().entries();
    bool progress = false;
    for (const auto& e : got) {
      // Pages overlap at equal timestamps: keep only older entries.
      if (e.sequence() >= oldest)
        continue;
      progress = true;
      oldest = e.sequence();
      entries.push_back(e);
      if (journal::starts_node_history(e, seq))
        return journal::node_items_at(entries, seq);
    }
    if (got.size() < static_cast<int>(page))
      return journal::node_items_at(entries, seq);
    if (!progress)
      return make_error("node " + node + " has more than "
                        + std::to_string(page)
                        + " entries stamped in one millisecond; its history "
                          "cannot be read in pages");
    until = got.Get(got.size() - 1).timestamp_unix_ms();
  }
  return make_error("node " + node
                    + "'s history since its last rollback is "
                      "too long to replay");
}

expected<protocol::DriftReply> node_drift(const config::values& cfg,
                                          const endpoint& agent,
                                          const std::string& node) {
  protocol::Request req;
  req.set_request_id("drift");
  req.mutable_drift()->set_node(node);
  auto resp = agent_call(cfg, agent, std::move(req));
  if (!resp)
    return resp.err();
  if (!resp->has_drift_reply())
    return make_error("the agent at " + agent.url()
                      + " does not serve drift (an older pact-agent?)");
  return resp->drift_reply();
}

expected<endpoint>
node_agent(const config::values& cfg,
           const std::function<expected<journal_session*>()>& session,
           const std::string& node) {
  if (auto configured = agent_endpoint_for(cfg, node))
    return std::move(*configured);
  if (node.empty())
    return parse_endpoint(cfg.get_string("agent_endpoint"), "agent_endpoint");
  auto s = session();
  if (!s)
    return s.err();
  auto recorded = recorded_agent_endpoint(**s, node);
  if (!recorded)
    return recorded.err();
  if (!*recorded)
    return make_error("node " + node
                      + " has no agent endpoint in the journal (its agent "
                        "has not booted); set PACT_AGENT_ENDPOINT to ask an "
                        "agent directly");
  return **recorded;
}

expected<std::string> served_node(const config::values& cfg,
                                  const endpoint& agent,
                                  const std::string& node) {
  if (!node.empty())
    return node;
  auto drift = node_drift(cfg, agent, node);
  if (!drift)
    return drift.err();
  return drift->node();
}

} // namespace pact::client
