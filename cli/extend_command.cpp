// `pact extend [MINUTES] [--node NODE]`: lengthens a node's commit window
// (default +15 minutes), recorded in the journal so the agent and every
// operator see the same deadline.

#include <iostream>

#include "actors/client/changes.hpp"
#include "actors/client/journal_session.hpp"
#include "cli/commands.hpp"
#include "cli/local_node.hpp"
#include "runtime/render/journal_render.hpp"

namespace pact::cli {

using client::parse_target;

namespace po = boost::program_options;

namespace {

int run_extend(context& ctx) {
  auto minutes = ctx.vm["minutes"].as<unsigned>();
  auto node = ctx.vm.count("node") ? ctx.vm["node"].as<std::string>()
                                   : local_node();
  if (minutes == 0 || minutes > 1440)
    return report(make_error("extend: " + std::to_string(minutes)
                             + " minutes is outside 1 .. 1440"));
  auto target = parse_target(node);
  if (!target || target->target_case() != protocol::Scope::kNode)
    return report(make_error("extend: '" + node + "' is not a node name"));
  auto s = open_session(ctx);
  if (!s)
    return report(s.err());
  protocol::JournalCommand cmd;
  cmd.set_kind(protocol::COMMAND_KIND_EXTEND_WINDOW);
  *cmd.mutable_scope() = *target;
  cmd.set_extend_seconds(minutes * 60);
  cmd.set_message(ctx.vm.count("message")
                    ? ctx.vm["message"].as<std::string>()
                    : "extend commit window by " + std::to_string(minutes)
                        + " min");
  auto r = (*s)->command(cmd);
  if (!r)
    return report(r.err());
  auto st = (*s)->state("", node);
  int64_t ends = 0;
  if (st && st->nodes_size() > 0)
    ends = st->nodes(0).window_ends_unix_ms();
  if (ctx.json)
    std::cout << nlohmann::json{{"sequence", r->result().sequences(0)},
                                {"node", node},
                                {"commit_window_ends", render::time_text(ends)}}
                   .dump(2)
              << "\n";
  else
    std::cout << "commit window of " << node << " extended by " << minutes
              << " min; it now ends at " << render::time_text(ends)
              << " (entry " << render::sequences_text(*r) << ")\n";
  return 0;
}

} // namespace

command extend_command() {
  command c;
  c.name = "extend";
  c.summary = "Extend a node's commit window";
  c.usage = "[MINUTES] [--node NODE] [-m MSG]";
  c.declare = [](po::options_description& desc,
                 po::positional_options_description& pos) {
    desc.add_options()("minutes", po::value<unsigned>()->default_value(15),
                       "Minutes to add (default 15)")(
      "node", po::value<std::string>(), "Node (default: this host)")(
      "message,m", po::value<std::string>(), "Why");
    pos.add("minutes", 1);
  };
  c.run = run_extend;
  return c;
}

} // namespace pact::cli
