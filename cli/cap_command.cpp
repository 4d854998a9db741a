// `pact cap [NODE]`: the node's hardware capabilities as its agent last
// recorded them in /run/pact/capability.json (docs/capabilities.md): CPU,
// memory, GPUs with their health, network, storage, modules. Text by
// default; `--output json` prints the manifest itself.

#include <iostream>

#include <nlohmann/json.hpp>

#include "actors/client/capability_query.hpp"
#include "cli/commands.hpp"
#include "runtime/common/clock.hpp"
#include "runtime/render/capability_render.hpp"

namespace pact::cli {

namespace po = boost::program_options;

namespace {

int run_cap(context& ctx) {
  std::string node = ctx.vm.count("node") ? ctx.vm["node"].as<std::string>()
                                          : "";
  if (ctx.vm.count("node"))
    if (auto st = check_node_name(node); !st)
      return report(st.err());
  auto agent = node_agent(ctx, node);
  if (!agent)
    return report(agent.err());
  auto reply = client::ask_capability(ctx.cfg, *agent, node);
  if (!reply)
    return report(reply.err());
  auto manifest = nlohmann::json::parse(reply->manifest_json(), nullptr, false);
  if (manifest.is_discarded() || !manifest.is_object())
    return report(make_error("the agent of " + reply->node()
                             + " sent a capability manifest that is not a "
                               "JSON object"));
  if (ctx.json)
    std::cout << manifest.dump(2) << "\n";
  else
    std::cout << render::render_capability_text(manifest,
                                                system_clock{}.now_unix_ms());
  return 0;
}

} // namespace

command cap_command() {
  command c;
  c.name = "cap";
  c.summary = "Show a node's hardware capabilities (CPU, memory, GPUs, "
              "network, storage)";
  c.usage = "[NODE] [--output text|json]";
  c.declare = [](po::options_description& desc,
                 po::positional_options_description& pos) {
    desc.add_options()("node", po::value<std::string>(),
                       "Node to ask about (its agent is found in the "
                       "journal; default: this host's agent)");
    pos.add("node", 1);
  };
  c.run = run_cap;
  return c;
}

} // namespace pact::cli
