#include "mcp/tools.hpp"

#include "actors/client/client.hpp"
#include "actors/client/status_render.hpp"
#include "runtime/common/clock.hpp"
#include "runtime/common/files.hpp"

namespace pact::mcp {

namespace {

/// The bridge's token: PACT_MCP_TOKEN, else the CLI's token sources.
std::string bridge_token(const config::values& cfg) {
  auto env = config::process_env();
  if (auto t = env("PACT_MCP_TOKEN"); t && !t->empty())
    return *t;
  if (!cfg.get_string("token").empty())
    return cfg.get_string("token");
  auto path = config::expand_home(cfg.get_string("token_file"), env);
  if (auto text = files::read_all(path)) {
    auto t = *text;
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r'))
      t.pop_back();
    return t;
  }
  return {};
}

tool status_tool(caf::actor_system& sys, const config::values& cfg) {
  tool t;
  t.name = "pact_status";
  t.title = "pact status";
  t.description = "Query journal, node and vCluster state with actor "
                  "health (like `pact status`).";
  t.input_schema = {
    {"type", "object"},
    {"properties",
     {{"node", {{"type", "string"}, {"description", "Only this node"}}},
      {"vcluster",
       {{"type", "string"}, {"description", "Only this vCluster"}}}}},
    {"additionalProperties", false}};
  t.call = [&sys, cfg](const json& args) -> tool_result {
    auto ep = parse_endpoint(cfg.get_string("endpoint"), "PACT_ENDPOINT");
    if (!ep)
      return {ep.err().message, nullptr, true};
    auto token = bridge_token(cfg);
    if (token.empty())
      return {"No auth token found: set PACT_MCP_TOKEN or PACT_TOKEN",
              nullptr, true};
    client::connection conn{
      sys, {*ep, "journal", token,
            std::chrono::seconds(cfg.get_int("timeout_seconds"))}};
    protocol::Request req;
    req.set_request_id("mcp-status");
    auto* q = req.mutable_status();
    q->set_node(args.value("node", ""));
    q->set_vcluster(args.value("vcluster", cfg.get_string("vcluster")));
    auto resp = conn.call(req);
    if (!resp)
      return {resp.err().message, nullptr, true};
    auto& reply = resp->status_reply();
    return {client::render_status_text(reply, system_clock{}.now_unix_ms()),
            client::render_status_json(reply), false};
  };
  return t;
}

} // namespace

std::vector<tool> make_tools(caf::actor_system& sys,
                             const config::values& cli_cfg) {
  return {status_tool(sys, cli_cfg)};
}

} // namespace pact::mcp
