#include "actors/agent/capability_api.hpp"

#include "runtime/node/capability_manifest.hpp"
#include "runtime/policy/command_authz.hpp"
#include "runtime/policy/roles.hpp"

namespace pact::agent {

void handle_capability(const capability_api_config& cfg,
                       const protocol::Request& req,
                       const policy::authenticated& who,
                       daemon::api_reply reply) {
  const auto& asked = req.capability().node();
  if (!asked.empty() && asked != cfg.node_id) {
    reply.fail(protocol::STATUS_CODE_INVALID_ARGUMENT,
               "this agent serves node " + cfg.node_id + ", not " + asked
                 + " (ask that node's agent: PACT_AGENT_ENDPOINT)");
    return;
  }
  if (auto v = policy::decide_for(who, "cap", cfg.vcluster); !v.allowed()) {
    reply.fail(protocol::STATUS_CODE_UNAUTHORIZED, v.message);
    return;
  }
  // A small local file: reading it here costs less than a hop to the
  // poller, and the poller replaces it atomically, so it is never torn.
  auto text = node::read_manifest(cfg.root);
  if (!text) {
    reply.fail(protocol::STATUS_CODE_ERROR, text.err().message);
    return;
  }
  protocol::Response resp;
  auto* r = resp.mutable_capability_reply();
  r->set_node(cfg.node_id);
  r->set_manifest_json(std::move(*text));
  r->set_path(node::manifest_path);
  reply.ok(std::move(resp));
}

} // namespace pact::agent
