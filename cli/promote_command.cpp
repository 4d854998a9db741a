// `pact promote NODE [--dry-run] [--ack-conflicts] [--write FILE]`: folds
// a node's committed delta into its vCluster's overlay. --dry-run prints
// the resulting overlay as a spec that `pact apply` accepts unchanged.
// Other nodes that committed different values for the same keys are
// conflicts: reported, and only promoted over with --ack-conflicts.

#include <fstream>
#include <iostream>

#include "actors/client/changes.hpp"
#include "actors/client/journal_session.hpp"
#include "cli/commands.hpp"
#include "runtime/common/terminal_text.hpp"
#include "runtime/render/diff_view.hpp"
#include "runtime/render/journal_render.hpp"
#include "runtime/render/write_render.hpp"
#include "runtime/spec/overlay_render.hpp"
#include "runtime/spec/promote.hpp"

namespace pact::cli {

using render::unchanged_lines;

namespace po = boost::program_options;

namespace {

std::string conflict_text(const spec::promote_conflict& c) {
  auto value = [](protocol::DeltaAction a, const std::string& v) {
    return a == protocol::DELTA_ACTION_REMOVE ? std::string("(removed)")
                                              : terminal_safe(v);
  };
  return render::category_name(c.category) + " " + terminal_safe(c.key)
         + ": this node " + value(c.node_action, c.node_value) + ", "
         + terminal_safe(c.other_node) + " "
         + value(c.other_action, c.other_value);
}

int run_promote(context& ctx) {
  auto node = ctx.vm["node"].as<std::string>();
  auto s = open_session(ctx);
  if (!s)
    return report(s.err());
  auto st = (*s)->state("", node);
  if (!st)
    return report(st.err());
  if (st->nodes_size() == 0 || st->nodes(0).items_size() == 0)
    return report(
      make_error("promote: node '" + node + "' has no committed changes"));
  auto rec = st->nodes(0);
  auto vc = rec.vcluster().empty() ? ctx.cfg.get_string("vcluster")
                                   : rec.vcluster();
  if (vc.empty())
    return report(make_error("promote: node '" + node
                             + "' is enrolled in no vCluster; name one with "
                               "--vcluster"));
  auto vst = (*s)->state(vc, "");
  if (!vst)
    return report(vst.err());
  auto current = render::overlay_of(*vst, vc);
  std::vector<protocol::NodeRecord> others(vst->nodes().begin(),
                                           vst->nodes().end());
  auto plan = spec::plan_promote(current, rec, others);
  for (auto& c : plan.conflicts)
    std::cerr << "conflict: " << conflict_text(c) << "\n";
  if (!plan.conflicts.empty() && !ctx.vm.count("ack-conflicts"))
    return report(make_error(
      std::to_string(plan.conflicts.size())
        + " conflict(s) with other nodes' committed changes on the same "
          "keys; re-run with --ack-conflicts to promote anyway",
      exit_code::conflict));
  if (ctx.vm.count("dry-run")) {
    auto toml = spec::render_overlay_toml(
      plan.overlay, "pact promote " + node + " --dry-run: vcluster " + vc
                      + " overlay version " + std::to_string(current.version())
                      + " with the committed changes of " + node);
    if (ctx.vm.count("write")) {
      std::ofstream f(ctx.vm["write"].as<std::string>());
      f << toml;
      if (!f)
        return report(make_error("promote: cannot write "
                                 + ctx.vm["write"].as<std::string>()));
    } else {
      std::cout << toml;
    }
    return 0;
  }
  if (plan.changes.items().empty()) {
    std::cout << "vcluster " << vc << " already reflects " << node << "\n";
    return 0;
  }
  protocol::JournalCommand cmd;
  cmd.set_kind(protocol::COMMAND_KIND_OVERLAY_APPLY);
  auto* o = cmd.add_overlays();
  o->set_vcluster(vc);
  *o->mutable_attributes() = plan.overlay.attributes();
  *o->mutable_items() = plan.overlay.items();
  *o->mutable_policy() = plan.overlay.policy();
  cmd.set_message(ctx.vm.count("message") ? ctx.vm["message"].as<std::string>()
                                          : "promote " + node + " into " + vc);
  auto r = (*s)->command(cmd);
  if (!r)
    return report(r.err());
  // Someone applied the same overlay meanwhile: the journal wrote nothing.
  if (r->result().sequences().empty()) {
    for (auto& line : unchanged_lines(r->result()))
      std::cout << line << "\n";
    return 0;
  }
  if (ctx.json) {
    nlohmann::json j{{"sequence", r->result().sequences(0)},
                     {"vcluster", vc},
                     {"node", node},
                     {"changes", nlohmann::json::array()}};
    for (auto& i : plan.changes.items())
      j["changes"].push_back(render::item_json(i));
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << "promoted " << plan.changes.items_size() << " change(s) of "
            << node << " into vcluster " << vc << " as entry "
            << render::sequences_text(*r) << "\n";
  for (auto& i : plan.changes.items())
    std::cout << "  " << render::action_name(i.action()) << "  "
              << render::item_text(i) << "\n";
  return 0;
}

} // namespace

command promote_command() {
  command c;
  c.name = "promote";
  c.summary = "Fold a node's committed changes into its vCluster overlay";
  c.usage = "NODE [--dry-run] [--write FILE] [--ack-conflicts] [-m MSG]";
  c.declare = [](po::options_description& desc,
                 po::positional_options_description& pos) {
    desc.add_options()("node", po::value<std::string>()->required(), "Node")(
      "dry-run", "Print the resulting overlay spec; write nothing")(
      "write", po::value<std::string>(), "With --dry-run: write it here")(
      "ack-conflicts", "Promote although other nodes disagree")(
      "message,m", po::value<std::string>(), "Why");
    pos.add("node", 1);
  };
  c.run = run_promote;
  return c;
}

} // namespace pact::cli
