// `pact diff [NODE] [--committed]`: how a node's declared state differs
// from its vCluster overlay. With NODE and a known agent endpoint
// (PACT_AGENT_ENDPOINT, else the one its agent recorded in the journal at
// boot), the node's live drift from its agent; otherwise the node's
// committed delta from the journal; --committed shows only the
// committed changes not yet promoted into the overlay. Without NODE: one
// line per node of the vCluster (or of every vCluster).

#include <iostream>

#include "actors/client/agent_drift.hpp"
#include "actors/client/journal_session.hpp"
#include "cli/commands.hpp"
#include "runtime/common/clock.hpp"
#include "runtime/render/diff_view.hpp"
#include "runtime/render/drift_view.hpp"

namespace pact::cli {

namespace po = boost::program_options;

namespace {

int diff_node(context& ctx, journal_session& s, const std::string& node,
              bool committed_only) {
  auto d = s.diff(node, ctx.cfg.get_string("vcluster"), committed_only);
  if (!d)
    return report(d.err());
  if (ctx.json)
    std::cout << render::node_diff_json(*d).dump(2) << "\n";
  else
    std::cout << render::node_diff_text(*d);
  return 0;
}

int diff_all(context& ctx, journal_session& s) {
  auto vc = ctx.cfg.get_string("vcluster");
  auto st = s.state(vc, "");
  if (!st)
    return report(st.err());
  if (auto known = client::vcluster_known(*st, vc); !known)
    return report(known.err());
  if (ctx.json)
    std::cout << render::diff_table_json(*st).dump(2) << "\n";
  else
    std::cout << render::diff_table_text(*st, vc);
  return 0;
}

/// The node's live drift, asked of its agent.
int live_drift(context& ctx, const endpoint& agent, const std::string& node) {
  auto d = client::node_drift(ctx.cfg, agent, node);
  if (!d)
    return report(d.err());
  if (ctx.json)
    std::cout << render::drift_json(*d).dump(2) << "\n";
  else
    std::cout << render::drift_text(*d, system_clock{}.now_unix_ms());
  return 0;
}

int run_diff(context& ctx) {
  if (ctx.vm.count("node"))
    if (auto st = check_node_name(ctx.vm["node"].as<std::string>()); !st)
      return report(st.err());
  if (ctx.vm.count("node") && !ctx.vm.count("committed")) {
    auto node = ctx.vm["node"].as<std::string>();
    if (auto agent = client::agent_endpoint_for(ctx.cfg, node)) {
      if (!*agent)
        return report(agent->err());
      return live_drift(ctx, **agent, node);
    }
  }
  auto s = open_session(ctx);
  if (!s)
    return report(s.err());
  if (ctx.vm.count("node") && !ctx.vm.count("committed")) {
    // The endpoint the node's agent recorded at boot, from any replica; a
    // node whose agent never booted shows its declared delta instead.
    auto node = ctx.vm["node"].as<std::string>();
    auto agent = client::recorded_agent_endpoint(**s, node);
    if (!agent)
      return report(agent.err());
    if (*agent)
      return live_drift(ctx, **agent, node);
  }
  if (ctx.vm.count("node"))
    return diff_node(ctx, **s, ctx.vm["node"].as<std::string>(),
                     ctx.vm.count("committed") > 0);
  return diff_all(ctx, **s);
}

} // namespace

command diff_command() {
  command c;
  c.name = "diff";
  c.summary = "Show how a node differs from its declared vCluster state "
              "(live from its agent once the agent has booted)";
  c.usage = "[NODE] [--committed] [--vcluster V]";
  c.declare = [](po::options_description& desc,
                 po::positional_options_description& pos) {
    desc.add_options()("node", po::value<std::string>(), "Node")(
      "committed", "Only committed changes not yet promoted");
    pos.add("node", 1);
  };
  c.run = run_diff;
  return c;
}

} // namespace pact::cli
