// `pact emergency start [NODE] -r REASON | end [NODE] [--force] | status`:
// emergency mode (issue 14 item 4; operator guide, "Emergency Mode"). The
// scope is NODE, else --vcluster / PACT_VCLUSTER, else this host. The
// journal records who and why, relaxes the rules on the affected nodes for
// the policy's emergency window, and ends it when the window runs out;
// nobody else writes the scope meanwhile. Authentication and audit are
// never relaxed.

#include <iostream>

#include "actors/client/write_ops.hpp"
#include "cli/commands.hpp"
#include "cli/local_node.hpp"
#include "runtime/common/terminal_text.hpp"
#include "runtime/render/journal_render.hpp"
#include "runtime/render/write_render.hpp"

namespace pact::cli {

namespace po = boost::program_options;

namespace {

/// NODE, else --vcluster / PACT_VCLUSTER, else this host.
expected<protocol::Scope> emergency_scope(const context& ctx) {
  protocol::Scope scope;
  if (ctx.vm.count("node")) {
    auto node = ctx.vm["node"].as<std::string>();
    if (auto st = check_node_name(node); !st)
      return st.err();
    scope.set_node(node);
    return scope;
  }
  if (auto vc = ctx.cfg.get_string("vcluster"); !vc.empty()) {
    scope.set_vcluster(vc);
    return scope;
  }
  scope.set_node(local_node());
  return scope;
}

int emergency_start(context& ctx, journal_session& s,
                    const protocol::Scope& scope) {
  if (!ctx.vm.count("reason") || ctx.vm["reason"].as<std::string>().empty())
    return report(make_error("emergency start: give the reason with -r "
                             "REASON (it is recorded for the audit)"));
  protocol::JournalCommand cmd;
  cmd.set_kind(protocol::COMMAND_KIND_EMERGENCY_START);
  *cmd.mutable_scope() = scope;
  cmd.set_emergency_reason(ctx.vm["reason"].as<std::string>());
  cmd.set_message(ctx.vm["reason"].as<std::string>());
  auto r = s.command(cmd);
  if (!r)
    return report(r.err());
  auto em = client::active_emergency(s, scope);
  const protocol::Emergency* shown = em ? &*em : nullptr;
  if (ctx.json)
    std::cout << render::emergency_started_json(scope, *r, shown).dump(2)
              << "\n";
  else
    std::cout << render::emergency_started_text(scope, *r, shown);
  return 0;
}

int emergency_end(context& ctx, journal_session& s,
                  const protocol::Scope& scope) {
  protocol::JournalCommand cmd;
  cmd.set_kind(protocol::COMMAND_KIND_EMERGENCY_END);
  *cmd.mutable_scope() = scope;
  cmd.set_force(ctx.vm.count("force") > 0);
  if (ctx.vm.count("reason"))
    cmd.set_message(ctx.vm["reason"].as<std::string>());
  auto r = s.command(cmd);
  if (!r)
    return report(r.err());
  if (ctx.json)
    std::cout << render::emergency_ended_json(scope, *r).dump(2) << "\n";
  else
    std::cout << render::emergency_ended_text(scope, *r);
  return 0;
}

int emergency_status(context& ctx, journal_session& s) {
  auto st = s.state(ctx.cfg.get_string("vcluster"), "");
  if (!st)
    return report(st.err());
  if (ctx.json)
    std::cout << render::emergencies_json(*st).dump(2) << "\n";
  else
    std::cout << render::emergencies_text(*st);
  return 0;
}

int run_emergency(context& ctx) {
  auto action = ctx.vm["action"].as<std::string>();
  if (action != "start" && action != "end" && action != "status")
    return report(make_error("emergency: unknown action '"
                             + terminal_safe(action)
                             + "' (start, end, status)"));
  if (action != "end" && ctx.vm.count("force"))
    return report(
      make_error("emergency " + action + ": --force applies to end only"));
  if (action == "status" && ctx.vm.count("node"))
    return report(make_error("emergency status takes no NODE (use "
                             "--vcluster to narrow it)"));
  auto scope = emergency_scope(ctx);
  if (!scope)
    return report(scope.err());
  auto s = open_session(ctx);
  if (!s)
    return report(s.err());
  if (action == "start")
    return emergency_start(ctx, **s, *scope);
  if (action == "end")
    return emergency_end(ctx, **s, *scope);
  return emergency_status(ctx, **s);
}

} // namespace

command emergency_command() {
  command c;
  c.name = "emergency";
  c.summary = "Start or end emergency mode on a node or vCluster, or list "
              "active emergencies";
  c.usage = "start [NODE] -r REASON | end [NODE] [--force] | status";
  c.declare = [](po::options_description& desc,
                 po::positional_options_description& pos) {
    desc.add_options()("action", po::value<std::string>()->required(),
                       "start, end or status")(
      "node", po::value<std::string>(),
      "Node (default: --vcluster / PACT_VCLUSTER, else this host)")(
      "reason,r", po::value<std::string>(),
      "Why (start: required; recorded for the audit)")(
      "force", "end: end another admin's emergency (pact-platform-admin)");
    pos.add("action", 1).add("node", 1);
  };
  c.run = run_emergency;
  return c;
}

} // namespace pact::cli
