// `pact status [NODE] [--vcluster V]`: the journal's actor tree and, for the
// nodes that report to it, each agent's tree, with health.

#include <iostream>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "actors/client/client.hpp"
#include "cli/commands.hpp"
#include "actors/client/status_render.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/common/clock.hpp"

namespace pact::cli {

namespace po = boost::program_options;

namespace {

int run_status(context& ctx) {
  auto token = resolve_token(ctx.cfg);
  if (!token)
    return report(token.err());
  caf::actor_system_config cfg;
  protocol::configure(cfg);
  caf::actor_system sys{cfg};
  client::connection conn{sys,
                          {ctx.journal, "journal", *token, timeout(ctx.cfg)}};
  protocol::Request req;
  req.set_request_id("status");
  if (ctx.vm.count("node"))
    req.mutable_status()->set_node(ctx.vm["node"].as<std::string>());
  else
    req.mutable_status();
  req.mutable_status()->set_vcluster(ctx.cfg.get_string("vcluster"));
  auto resp = conn.call(req);
  if (!resp)
    return report(resp.err());
  if (ctx.json)
    std::cout << client::render_status_json(resp->status_reply()).dump(2) << "\n";
  else
    std::cout << client::render_status_text(resp->status_reply(),
                                     system_clock{}.now_unix_ms());
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
