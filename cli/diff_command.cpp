// `pact diff [NODE] [--committed]`: how a node's declared state differs
// from its vCluster overlay. Until agents report actual state (the agent
// service), this shows the node's committed delta; --committed shows only
// the committed changes not yet promoted into the overlay. Without NODE:
// one line per node of the vCluster (or of every vCluster).

#include <iostream>

#include "actors/client/journal_render.hpp"
#include "actors/client/status_render.hpp"
#include "cli/commands.hpp"
#include "cli/journal_session.hpp"
#include "runtime/journal/journal_items.hpp"
#include "runtime/spec/promote.hpp"
#include "runtime/common/terminal_text.hpp"

namespace pact::cli {

namespace po = boost::program_options;

namespace {

protocol::VClusterOverlay overlay_of(const protocol::StateReply& st,
                                     const std::string& vc) {
  protocol::VClusterOverlay out;
  out.set_vcluster(vc);
  for (auto& o : st.overlays())
    if (o.vcluster() == vc)
      out = o;
  return out;
}

int diff_node(context& ctx, journal_session& s, const std::string& node,
              bool committed_only) {
  auto st = s.state("", node);
  if (!st)
    return report(st.err());
  if (st->nodes_size() == 0)
    return report(make_error("node '" + node
                             + "' is not known to the journal"));
  auto rec = st->nodes(0);
  // A node enrolled nowhere is compared with the vCluster named by
  // --vcluster, if any.
  if (rec.vcluster().empty())
    rec.set_vcluster(ctx.cfg.get_string("vcluster"));
  auto vst = s.state(rec.vcluster(), "");
  if (!vst)
    return report(vst.err());
  auto overlay = overlay_of(*vst, rec.vcluster());
  auto pending = spec::unpromoted(overlay, rec);
  journal::item_map pending_keys;
  for (auto& i : pending)
    pending_keys[journal::key_of(i)] = i;
  std::vector<protocol::DeltaItem> shown;
  for (auto& i : rec.items())
    if (!committed_only || pending_keys.count(journal::key_of(i)))
      shown.push_back(i);
  if (ctx.json) {
    nlohmann::json j{{"node", node},
                     {"vcluster", rec.vcluster()},
                     {"overlay_version", overlay.version()},
                     {"state", client::node_state_name(rec.state())},
                     {"committed", nlohmann::json::array()},
                     {"actual", nullptr}};
    for (auto& i : shown) {
      auto ij = client::item_json(i);
      ij["promoted"] = pending_keys.count(journal::key_of(i)) == 0;
      j["committed"].push_back(ij);
    }
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << "node " << node << " ("
            << (rec.vcluster().empty() ? std::string("no vcluster")
                                       : "vcluster "
                                           + terminal_safe(rec.vcluster())
                                           + " overlay v"
                                           + std::to_string(overlay.version()))
            << ", " << client::node_state_name(rec.state()) << ")\n";
  if (shown.empty())
    std::cout << (committed_only ? "  no committed changes awaiting promotion\n"
                                 : "  no differences from the overlay\n");
  for (auto& i : shown)
    std::cout << "  " << client::action_name(i.action()) << "  "
              << client::item_text(i)
              << (pending_keys.count(journal::key_of(i)) ? "  [committed]"
                                                         : "  [in overlay]")
              << "\n";
  if (rec.delta_expires_unix_ms() != 0 && !rec.items().empty())
    std::cout << "  committed delta expires "
              << client::time_text(rec.delta_expires_unix_ms()) << "\n";
  return 0;
}

int diff_all(context& ctx, journal_session& s) {
  auto vc = ctx.cfg.get_string("vcluster");
  auto st = s.state(vc, "");
  if (!st)
    return report(st.err());
  std::vector<std::vector<std::string>> rows{
    {"NODE", "VCLUSTER", "STATE", "COMMITTED", "UNPROMOTED"}};
  auto j = nlohmann::json::array();
  for (auto& n : st->nodes()) {
    auto pending = spec::unpromoted(overlay_of(*st, n.vcluster()), n);
    rows.push_back({n.node(), n.vcluster(), client::node_state_name(n.state()),
                    std::to_string(n.items_size()),
                    std::to_string(pending.size())});
    j.push_back({{"node", n.node()},
                 {"vcluster", n.vcluster()},
                 {"state", client::node_state_name(n.state())},
                 {"committed", n.items_size()},
                 {"unpromoted", pending.size()}});
  }
  if (ctx.json)
    std::cout << nlohmann::json{{"nodes", j}}.dump(2) << "\n";
  else if (rows.size() == 1)
    std::cout << "no nodes with journal records"
              << (vc.empty() ? "" : " in vcluster " + vc) << "\n";
  else
    std::cout << client::render_table(rows);
  return 0;
}

int run_diff(context& ctx) {
  auto s = journal_session::open(ctx);
  if (!s)
    return report(s.err());
  if (ctx.vm.count("node"))
    return diff_node(ctx, **s, ctx.vm["node"].as<std::string>(),
                     ctx.vm.count("committed") > 0);
  return diff_all(ctx, **s);
}

} // namespace

command diff_command() {
  command c;
  c.name = "diff";
  c.summary = "Show how a node differs from its declared vCluster state";
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
