// `pact service status [NAME] [--node NODE]`, `pact service restart NAME
// [--node NODE]`, `pact service logs NAME [--node NODE] [-n N]`: the
// services the node's agent supervises (docs/services.md). No --node: this
// host's agent. Restarts are subject to the node's commit window (exit 3,
// "commit window expired"); on a two-person vCluster a restart waits for a
// second person's grant (agent_grant.hpp; `--approval ID` uses one).

#include <iostream>

#include "actors/client/service_query.hpp"
#include "cli/agent_grant.hpp"
#include "cli/commands.hpp"
#include "runtime/node/diag_filter.hpp"
#include "runtime/policy/agent_action.hpp"
#include "runtime/render/service_render.hpp"

namespace pact::cli {

namespace po = boost::program_options;

namespace {

/// A service name as the spec allows it (docs/spec.md, "Services"; the
/// rule of runtime/node/diag_filter.hpp): one that could name a path (`/`,
/// `..`) is refused before anything is asked.
status check_service_name(const std::string& name) {
  if (auto st = node::check_service_name(name); !st)
    return make_error("service: " + st.err().message);
  return {};
}

int run_service(context& ctx) {
  auto action = ctx.vm["action"].as<std::string>();
  std::string name = ctx.vm.count("name") ? ctx.vm["name"].as<std::string>()
                                          : "";
  std::string node = ctx.vm.count("node") ? ctx.vm["node"].as<std::string>()
                                          : "";
  protocol::ServiceRequest q;
  if (action == "status")
    q.set_op(protocol::ServiceRequest::OP_STATUS);
  else if (action == "restart")
    q.set_op(protocol::ServiceRequest::OP_RESTART);
  else if (action == "logs")
    q.set_op(protocol::ServiceRequest::OP_LOGS);
  else
    return report(make_error("service: unknown action '" + action
                             + "' (status, restart, logs)"));
  if (action != "status" && name.empty())
    return report(make_error("service " + action + ": name the service"));
  if (!name.empty())
    if (auto st = check_service_name(name); !st)
      return report(st.err());
  if (node == "local")
    node.clear(); // this host's agent, as `pact exec local` means
  else if (ctx.vm.count("node"))
    if (auto st = check_node_name(node); !st)
      return report(st.err());
  int64_t lines = 50;
  if (ctx.vm.count("lines")) {
    if (action != "logs")
      return report(make_error("service " + action
                               + ": -n/--lines is for "
                                 "`service logs` only"));
    lines = ctx.vm["lines"].as<int64_t>();
    if (lines < 1 || lines > 10'000)
      return report(make_error("service logs: -n " + std::to_string(lines)
                               + " is outside 1..10000"));
  }
  auto approval = approval_flag(ctx);
  if (!approval)
    return report(approval.err());
  if (!approval->empty() && action != "restart")
    return report(make_error("service " + action
                             + ": --approval is for `service restart` only"));
  q.set_node(node);
  q.set_name(name);
  q.set_lines(static_cast<uint32_t>(lines));
  auto agent = node_agent(ctx, node);
  if (!agent)
    return report(agent.err());
  q.set_approval_id(*approval);
  bool needs_grant = false;
  auto reply = client::ask_service(ctx.cfg, *agent, q, &needs_grant);
  if (!reply && needs_grant && approval->empty()) {
    // Two-person vCluster: a second person grants this restart, and it is
    // sent again with the grant (the agent uses it up first).
    auto granted = obtain_grant(
      ctx, *agent, node,
      [&](const std::string& served) {
        return policy::restart_action(served, name);
      },
      [&](const std::string& served, const std::string& id) {
        return "pact service restart " + name + " --node " + served
               + " --approval " + id;
      });
    if (!granted)
      return report(granted.err());
    q.set_approval_id(*granted);
    reply = client::ask_service(ctx.cfg, *agent, q);
  }
  if (!reply)
    return report(reply.err());
  if (action == "logs") {
    if (ctx.json)
      std::cout << render::service_logs_json(*reply, name).dump(2) << "\n";
    else {
      // The note goes to stderr: stdout is the service's own lines.
      if (reply->truncated()
          && static_cast<int64_t>(reply->lines_size()) < lines)
        std::cerr << "pact: older lines were dropped from the bounded log\n";
      std::cout << render::service_logs_text(*reply);
    }
    return 0;
  }
  if (ctx.json)
    std::cout << render::service_status_json(*reply).dump(2) << "\n";
  else
    std::cout << render::service_status_text(*reply);
  return 0;
}

} // namespace

command service_command() {
  command c;
  c.name = "service";
  c.summary = "Show, restart or read the logs of the services a node's "
              "agent supervises";
  c.usage = "status [NAME] | restart NAME [--approval ID] | logs NAME [-n N]  "
            "[--node NODE]";
  c.declare = [](po::options_description& desc,
                 po::positional_options_description& pos) {
    desc.add_options()("action", po::value<std::string>()->required(),
                       "status, restart or logs")(
      "name", po::value<std::string>(), "Service")(
      "node", po::value<std::string>(),
      "Node whose agent to ask (found in the journal; 'local' or none: "
      "this host)")("lines,n", po::value<int64_t>(),
                    "logs: newest lines to show (50)")(
      "approval", po::value<std::string>(),
      "restart: with the grant of approval ID (two-person vCluster: asked "
      "for earlier and accepted since; used once)");
    pos.add("action", 1).add("name", 1);
  };
  c.run = run_service;
  return c;
}

} // namespace pact::cli
