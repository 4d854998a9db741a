// `pact status [NODE] [--vcluster V]`: the journal's actor tree and, for the
// nodes that report to it, each agent's tree, with health.

#include <iostream>

#include "actors/client/journal_session.hpp"
#include "cli/commands.hpp"
#include "runtime/common/clock.hpp"
#include "runtime/render/status_view.hpp"

namespace pact::cli {

namespace po = boost::program_options;

namespace {

int run_status(context& ctx) {
  std::string node = ctx.vm.count("node") ? ctx.vm["node"].as<std::string>()
                                          : "";
  if (ctx.vm.count("node"))
    if (auto st = check_node_name(node); !st)
      return report(st.err());
  auto s = open_session(ctx);
  if (!s)
    return report(s.err());
  auto v = (*s)->status(node, ctx.cfg.get_string("vcluster"));
  if (!v)
    return report(v.err());
  auto now = system_clock{}.now_unix_ms();
  if (ctx.json)
    std::cout << render::status_view_json(*v, now).dump(2) << "\n";
  else
    std::cout << render::status_view_text(*v, now);
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
    desc.add_options()("node", po::value<std::string>(), "Show only this node");
    pos.add("node", 1);
  };
  c.run = run_status;
  return c;
}

} // namespace pact::cli
