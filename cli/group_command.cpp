// `pact group list | show NAME | set-policy NAME --file policy.toml`:
// vCluster overlays and their policies.

#include <iostream>

#include "actors/client/journal_session.hpp"
#include "cli/commands.hpp"
#include "runtime/common/terminal_text.hpp"
#include "runtime/render/journal_render.hpp"
#include "runtime/render/status_render.hpp"
#include "runtime/spec/overlay_spec.hpp"

namespace pact::cli {

namespace po = boost::program_options;

namespace {

int group_list(context& ctx, journal_session& s) {
  auto st = s.state("", "");
  if (!st)
    return report(st.err());
  std::map<std::string, int> nodes;
  for (auto& n : st->nodes())
    ++nodes[n.vcluster()];
  if (ctx.json) {
    auto j = nlohmann::json::array();
    for (auto& o : st->overlays()) {
      auto oj = render::overlay_json(o);
      oj["nodes"] = nodes[o.vcluster()];
      j.push_back(oj);
    }
    std::cout << nlohmann::json{{"vclusters", j}}.dump(2) << "\n";
    return 0;
  }
  if (st->overlays().empty()) {
    std::cout << "no vClusters (create one with pact apply or pact group "
                 "set-policy)\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows{{"VCLUSTER", "VERSION", "ITEMS",
                                              "NODES", "ENFORCEMENT",
                                              "REGULATED", "CHECKSUM"}};
  for (auto& o : st->overlays()) {
    auto pj = render::policy_json(o.policy());
    rows.push_back(
      {o.vcluster(), std::to_string(o.version()),
       std::to_string(o.items_size()), std::to_string(nodes[o.vcluster()]),
       pj["enforcement_mode"].get<std::string>(),
       o.policy().regulated() ? "yes" : "no", o.checksum().substr(0, 12)});
  }
  std::cout << render::render_table(rows);
  return 0;
}

int group_show(context& ctx, journal_session& s, const std::string& name) {
  auto st = s.state(name, "");
  if (!st)
    return report(st.err());
  const protocol::VClusterOverlay* o = nullptr;
  for (auto& x : st->overlays())
    if (x.vcluster() == name)
      o = &x;
  if (o == nullptr)
    return report(make_error("vcluster '" + name + "' is not known"));
  if (ctx.json) {
    auto j = render::overlay_json(*o);
    j["nodes"] = nlohmann::json::array();
    for (auto& n : st->nodes())
      j["nodes"].push_back(render::node_json(n));
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << "vcluster " << terminal_safe(name) << "\n  version "
            << o->version() << ", checksum " << terminal_safe(o->checksum())
            << "\n";
  if (!o->attributes().base_image().empty())
    std::cout << "  base image " << terminal_safe(o->attributes().base_image())
              << "\n";
  if (!o->attributes().supervisor_backend().empty())
    std::cout << "  supervisor "
              << terminal_safe(o->attributes().supervisor_backend()) << "\n";
  std::cout << "\nPolicy:\n";
  std::vector<std::vector<std::string>> rows;
  auto pj = render::policy_json(o->policy());
  for (auto& el : pj.items())
    rows.push_back({el.key(), el.value().is_string()
                                ? el.value().get<std::string>()
                                : el.value().dump()});
  std::cout << render::render_table(rows);
  std::cout << "\nDeclared (" << o->items_size() << " items):\n";
  for (auto& i : o->items())
    std::cout << "  " << render::item_text(i) << "\n";
  std::cout << "\nNodes (" << st->nodes_size() << "):\n";
  for (auto& n : st->nodes())
    std::cout << "  " << terminal_safe(n.node()) << "  "
              << render::node_state_name(n.state()) << "  " << n.items_size()
              << " committed items\n";
  return 0;
}

int group_set_policy(context& ctx, journal_session& s,
                     const std::string& name) {
  if (!ctx.vm.count("file"))
    return report(make_error("group set-policy: --file policy.toml is "
                             "required"));
  auto policy = spec::parse_policy_file(ctx.vm["file"].as<std::string>(), name);
  if (!policy)
    return report(policy.err());
  protocol::JournalCommand cmd;
  cmd.set_kind(protocol::COMMAND_KIND_POLICY_UPDATE);
  cmd.mutable_scope()->set_vcluster(name);
  *cmd.mutable_policy() = *policy;
  cmd.set_message(ctx.vm.count("message")
                    ? ctx.vm["message"].as<std::string>()
                    : "set policy of " + name + " from "
                        + ctx.vm["file"].as<std::string>());
  auto r = s.command(cmd);
  if (!r)
    return report(r.err());
  // A policy equal to the current one writes nothing (CommandResult
  // lists the vCluster as unchanged, with its version).
  bool same = r->result().sequences().empty();
  uint64_t at = same && r->result().unchanged_size() > 0
                  ? r->result().unchanged(0).version()
                : same ? 0
                       : r->result().sequences(0);
  if (ctx.json)
    std::cout << nlohmann::json{{same ? "version" : "sequence", at},
                                {"vcluster", name},
                                {"unchanged", same}}
                   .dump(2)
              << "\n";
  else if (same)
    std::cout << "vcluster " << name << ": unchanged (version " << at << ")\n";
  else
    std::cout << "policy of " << name << " updated as entry " << at << "\n";
  return 0;
}

int run_group(context& ctx) {
  auto action = ctx.vm["action"].as<std::string>();
  std::string name = ctx.vm.count("name") ? ctx.vm["name"].as<std::string>()
                                          : "";
  if (action != "list" && name.empty())
    return report(make_error("group " + action + ": name the vCluster"));
  if (action != "list" && action != "show" && action != "set-policy")
    return report(make_error("group: unknown action '" + action
                             + "' (list, show, set-policy)"));
  auto s = open_session(ctx);
  if (!s)
    return report(s.err());
  if (action == "list")
    return group_list(ctx, **s);
  if (action == "show")
    return group_show(ctx, **s, name);
  return group_set_policy(ctx, **s, name);
}

} // namespace

command group_command() {
  command c;
  c.name = "group";
  c.summary = "List vClusters, show one, or set its policy";
  c.usage = "list | show NAME | set-policy NAME --file policy.toml";
  c.declare = [](po::options_description& desc,
                 po::positional_options_description& pos) {
    desc.add_options()("action", po::value<std::string>()->required(),
                       "list, show or set-policy")(
      "name", po::value<std::string>(),
      "vCluster")("file", po::value<std::string>(), "Policy TOML (set-policy)")(
      "message,m", po::value<std::string>(), "Why (set-policy)");
    pos.add("action", 1).add("name", 1);
  };
  c.run = run_group;
  return c;
}

} // namespace pact::cli
