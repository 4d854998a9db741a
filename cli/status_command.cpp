// `pact status [NODE] [--vcluster V]`: the journal's actor tree and, for the
// nodes that report to it, each agent's tree, with health.

#include <iostream>
#include <sstream>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "actors/client/client.hpp"
#include "actors/client/journal_render.hpp"
#include "cli/journal_session.hpp"
#include "cli/commands.hpp"
#include "actors/client/status_render.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/common/clock.hpp"
#include "runtime/common/terminal_text.hpp"

namespace pact::cli {

namespace po = boost::program_options;

namespace {

/// The journal's view of the node or vCluster asked about: declared state
/// (overlay version, node state, committed changes, commit window) as
/// text. Drift from the agent's reports arrives with the agent service.
std::string declared_text(const protocol::StateReply& st,
                          const std::string& node, const std::string& vc) {
  std::ostringstream os;
  for (auto& n : st.nodes()) {
    if (!node.empty() && n.node() != node)
      continue;
    os << "\njournal: node " << terminal_safe(n.node()) << " "
       << client::node_state_name(n.state()) << ", vcluster "
       << (n.vcluster().empty() ? std::string("-") : terminal_safe(n.vcluster()))
       << ", "
       << n.items_size() << " committed change"
       << (n.items_size() == 1 ? "" : "s");
    if (n.window_ends_unix_ms() != 0)
      os << ", commit window until "
         << client::time_text(n.window_ends_unix_ms());
    os << "\n";
    for (auto& i : n.items())
      os << "  " << client::action_name(i.action()) << "  "
         << client::item_text(i) << "\n";
  }
  for (auto& o : st.overlays())
    if (o.vcluster() == vc)
      os << "\njournal: vcluster " << vc << " overlay version " << o.version()
         << ", " << o.items_size() << " declared items, checksum "
         << terminal_safe(o.checksum().substr(0, 12)) << "\n";
  for (auto& e : st.emergencies())
    os << "journal: EMERGENCY on " << terminal_safe(client::scope_text(e.scope()))
       << " by " << terminal_safe(e.author().principal()) << ": "
       << terminal_safe(e.reason()) << "\n";
  return os.str();
}

int run_status(context& ctx) {
  auto s = journal_session::open(ctx);
  if (!s)
    return report(s.err());
  std::string node = ctx.vm.count("node") ? ctx.vm["node"].as<std::string>()
                                          : "";
  auto vc = ctx.cfg.get_string("vcluster");
  // Declared state first: a node the journal knows is not an error even
  // when its agent has not reported (yet).
  protocol::StateReply declared;
  bool have_declared = false;
  if (!node.empty() || !vc.empty()) {
    auto st = (*s)->state(vc, node, true);
    if (st) {
      declared = *st;
      have_declared = true;
    }
  }
  bool journal_knows = have_declared && declared.nodes_size() > 0;
  protocol::Request req;
  req.set_request_id("status");
  req.mutable_status()->set_vcluster(vc);
  if (!node.empty() && !journal_knows)
    req.mutable_status()->set_node(node);
  auto resp = (*s)->call(req);
  if (!resp)
    return report(resp.err());
  auto reply = resp->status_reply();
  if (!node.empty()) {
    // Only the node asked about.
    auto all = reply.nodes();
    reply.clear_nodes();
    for (auto& n : all)
      if (n.report().node_id() == node)
        *reply.add_nodes() = n;
  }
  if (ctx.json) {
    auto j = client::render_status_json(reply);
    if (have_declared) {
      j["declared"] = {{"nodes", nlohmann::json::array()},
                       {"overlays", nlohmann::json::array()}};
      for (auto& n : declared.nodes())
        j["declared"]["nodes"].push_back(client::node_json(n));
      for (auto& o : declared.overlays())
        j["declared"]["overlays"].push_back(
          {{"vcluster", o.vcluster()},
           {"version", o.version()},
           {"checksum", o.checksum()},
           {"items", o.items_size()}});
    }
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << client::render_status_text(reply, system_clock{}.now_unix_ms());
  if (have_declared)
    std::cout << declared_text(declared, node, vc);
  return 0;
}

} // namespace

command status_command() {
  command c;
  c.name = "status";
  c.summary = "Show journal, node and actor health";
  c.usage = "[NODE] [--vcluster V] [--output text|json]";
  c.declare = [](po::options_description& desc,
                 po::positional_options_description& pos) {
    desc.add_options()("node", po::value<std::string>(),
                       "Show only this node");
    pos.add("node", 1);
  };
  c.run = run_status;
  return c;
}

} // namespace pact::cli
