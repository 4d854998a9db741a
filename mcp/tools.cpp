#include "mcp/tools.hpp"

#include <set>

#include "actors/client/client.hpp"
#include "actors/client/journal_render.hpp"
#include "actors/client/status_render.hpp"
#include "mcp/tool_specs.hpp"
#include "runtime/common/clock.hpp"
#include "runtime/common/files.hpp"
#include "runtime/spec/promote.hpp"

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

/// Sends one request to the journal as the bridge; the error is the text
/// the CLI would print.
expected<protocol::Response> call_journal(caf::actor_system& sys,
                                          const config::values& cfg,
                                          protocol::Request req) {
  std::vector<endpoint> eps;
  for (auto& text : cfg.get_list("endpoint")) {
    auto ep = parse_endpoint(text, "PACT_ENDPOINT");
    if (!ep)
      return ep.err();
    eps.push_back(*ep);
  }
  auto token = bridge_token(cfg);
  if (token.empty())
    return make_error("No auth token found: set PACT_MCP_TOKEN or PACT_TOKEN",
                      exit_code::auth_failure);
  client::connection conn{
    sys, {std::move(eps), "journal", token,
          std::chrono::seconds(cfg.get_int("timeout_seconds"))}};
  return conn.call(std::move(req));
}

tool log_tool(caf::actor_system& sys, const config::values& cfg) {
  tool t = log_tool_spec();
  t.call = [&sys, cfg](const json& args) -> tool_result {
    protocol::Request req;
    req.set_request_id("mcp-log");
    auto a = decode_log_args(args);
    auto* q = req.mutable_log();
    q->set_limit(a.limit);
    q->set_scope(a.scope);
    q->set_verify(a.verify);
    auto resp = call_journal(sys, cfg, req);
    if (!resp)
      return {resp.err().message, nullptr, true};
    const auto& r = resp->log_reply();
    std::vector<protocol::ConfigEntry> es(r.entries().begin(),
                                          r.entries().end());
    json j{{"entries", json::array()}, {"last_sequence", r.last_sequence()}};
    for (auto& e : es)
      j["entries"].push_back(client::entry_json(e));
    auto text = client::render_entries_text(es);
    if (q->verify()) {
      j["verify"] = {{"ok", r.verified()}, {"error", r.verify_error()}};
      text += r.verified() ? "hash chain verified\n"
                           : "hash chain broken: " + r.verify_error() + "\n";
    }
    return {text, j, q->verify() && !r.verified()};
  };
  return t;
}

tool diff_tool(caf::actor_system& sys, const config::values& cfg) {
  tool t = diff_tool_spec();
  t.call = [&sys, cfg](const json& args) -> tool_result {
    auto node = decode_diff_args(args).node;
    protocol::Request req;
    req.set_request_id("mcp-diff");
    req.mutable_state()->set_node(node);
    auto resp = call_journal(sys, cfg, req);
    if (!resp)
      return {resp.err().message, nullptr, true};
    if (resp->state_reply().nodes_size() == 0)
      return {"node '" + node + "' is not known to the journal", nullptr,
              true};
    auto rec = resp->state_reply().nodes(0);
    protocol::VClusterOverlay overlay;
    overlay.set_vcluster(rec.vcluster());
    if (!rec.vcluster().empty()) {
      protocol::Request vq;
      vq.set_request_id("mcp-diff-vc");
      vq.mutable_state()->set_vcluster(rec.vcluster());
      auto vr = call_journal(sys, cfg, vq);
      if (!vr)
        return {vr.err().message, nullptr, true};
      for (auto& o : vr->state_reply().overlays())
        if (o.vcluster() == rec.vcluster())
          overlay = o;
    }
    std::set<std::pair<int, std::string>> pending;
    for (auto& i : spec::unpromoted(overlay, rec))
      pending.insert({i.category(), i.key()});
    json j{{"node", node},
           {"vcluster", rec.vcluster()},
           {"overlay_version", overlay.version()},
           {"state", client::node_state_name(rec.state())},
           {"committed", json::array()},
           {"actual", nullptr}};
    std::string text = "node " + node + " ("
                       + client::node_state_name(rec.state()) + ")\n";
    for (auto& i : rec.items()) {
      bool promoted = pending.count({i.category(), i.key()}) == 0;
      auto ij = client::item_json(i);
      ij["promoted"] = promoted;
      j["committed"].push_back(ij);
      text += "  " + client::action_name(i.action()) + "  "
              + client::item_text(i)
              + (promoted ? "  [in overlay]\n" : "  [committed]\n");
    }
    if (rec.items().empty())
      text += "  no differences from the overlay\n";
    return {text, j, false};
  };
  return t;
}

tool status_tool(caf::actor_system& sys, const config::values& cfg) {
  tool t = status_tool_spec();
  t.call = [&sys, cfg](const json& args) -> tool_result {
    protocol::Request req;
    req.set_request_id("mcp-status");
    auto a = decode_status_args(args, cfg.get_string("vcluster"));
    auto* q = req.mutable_status();
    q->set_node(a.node);
    q->set_vcluster(a.vcluster);
    auto resp = call_journal(sys, cfg, req);
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
  return {status_tool(sys, cli_cfg), log_tool(sys, cli_cfg),
          diff_tool(sys, cli_cfg)};
}

} // namespace pact::mcp
