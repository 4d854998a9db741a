// `pact rollback SEQ [--scope TARGET] [--force]`: restores a scope's
// declared state to what it was right after entry SEQ. The scope defaults
// to the scope of entry SEQ itself. A node whose agent is known is also
// restored: the agent checks it can bring the node to that state, has the
// journal record the rollback, and puts the files and keys back
// (docs/drift.md, "Rolling a node back").

#include <iostream>

#include "actors/client/agent_drift.hpp"
#include "actors/client/changes.hpp"
#include "actors/client/client.hpp"
#include "actors/client/journal_session.hpp"
#include "actors/client/write_ops.hpp"
#include "cli/commands.hpp"
#include "runtime/render/drift_view.hpp"
#include "runtime/render/journal_render.hpp"
#include "runtime/render/write_render.hpp"

namespace pact::cli {

using client::parse_target;

namespace po = boost::program_options;

namespace {

std::string rollback_message(const context& ctx, uint64_t seq) {
  return ctx.vm.count("message") ? ctx.vm["message"].as<std::string>()
                                 : "rollback to " + std::to_string(seq);
}

void print_restored(const context& ctx, const protocol::NodeRollbackReply& r,
                    const protocol::Scope& scope, uint64_t seq) {
  if (ctx.json)
    std::cout << render::restored_json(r, scope, seq).dump(2) << "\n";
  else
    std::cout << render::restored_text(r, scope, seq);
}

/// The node half: replay the node's items after `seq` and have its agent
/// check, record and restore them.
int rollback_node(context& ctx, journal_session& s, const endpoint& agent,
                  const protocol::Scope& scope, uint64_t seq,
                  int64_t seq_unix_ms) {
  auto r = client::rollback_node(ctx.cfg, s, agent, scope.node(), seq,
                                 seq_unix_ms, ctx.vm.count("force") > 0,
                                 rollback_message(ctx, seq));
  if (!r)
    return report(r.err());
  print_restored(ctx, *r, scope, seq);
  for (const auto& i : r->restored())
    if (i.outcome() == "failed")
      return 1; // the journal recorded it; the node is not fully restored
  return 0;
}

int run_rollback(context& ctx) {
  auto seq = ctx.vm["sequence"].as<uint64_t>();
  if (seq == 0)
    return report(make_error("rollback: sequence numbers start at 1"));
  auto s = open_session(ctx);
  if (!s)
    return report(s.err());
  auto found = client::entry_at(**s, seq);
  if (!found)
    return report(found.err());
  const auto& entry = *found;
  protocol::Scope scope = entry.scope();
  if (ctx.vm.count("scope")) {
    auto t = parse_target(ctx.vm["scope"].as<std::string>());
    if (!t)
      return report(t.err());
    scope = *t;
  }
  if (scope.target_case() == protocol::Scope::kNode) {
    auto agent = client::find_agent(ctx.cfg, **s, scope.node());
    if (!agent)
      return report(agent.err());
    if (*agent)
      return rollback_node(ctx, **s, **agent, scope, seq,
                           entry.timestamp_unix_ms());
  }
  protocol::JournalCommand cmd;
  cmd.set_kind(protocol::COMMAND_KIND_ROLLBACK);
  *cmd.mutable_scope() = scope;
  cmd.set_rollback_to(seq);
  cmd.set_message(rollback_message(ctx, seq));
  auto r = (*s)->command(cmd);
  if (!r)
    return report(r.err());
  if (ctx.json)
    std::cout << render::rollback_json(scope, seq, *r).dump(2) << "\n";
  else
    std::cout << render::rollback_text(scope, seq, *r);
  return 0;
}

} // namespace

command rollback_command() {
  command c;
  c.name = "rollback";
  c.summary = "Restore declared state to what it was after an entry";
  c.usage = "SEQ [--scope NODE|vc:NAME|global] [-m MSG] [--force]";
  c.declare = [](po::options_description& desc,
                 po::positional_options_description& pos) {
    desc.add_options()("sequence", po::value<uint64_t>()->required(),
                       "Entry to return to (see pact log)")(
      "scope", po::value<std::string>(),
      "Scope to restore (default: the scope of entry SEQ)")(
      "message,m", po::value<std::string>(), "Why")(
      "force", "Restore a node even when a mount in use would be unmounted "
               "or a service others depend on stopped (else exit 10)");
    pos.add("sequence", 1);
  };
  c.run = run_rollback;
  return c;
}

} // namespace pact::cli
