// `pact commit -m MSG [TARGET] [--set CATEGORY:KEY=VALUE]... [--unset
// CATEGORY:KEY]... [--if-previous CATEGORY:KEY[=VALUE]]... [--ttl SECONDS]`:
// records a change as declared state. Without --set/--unset it commits the
// node's live drift, asked of its agent (docs/drift.md).
// TARGET is a node (default: this host), vc:NAME or global. A node commit
// is a node delta with a lifetime (900 s .. 10 days); a vCluster or global
// commit edits the declared state itself.

#include <iostream>

#include "actors/client/changes.hpp"
#include "actors/client/client.hpp"
#include "actors/client/journal_session.hpp"
#include "actors/client/write_ops.hpp"
#include "cli/approval_wait.hpp"
#include "cli/commands.hpp"
#include "cli/local_node.hpp"
#include "runtime/policy/agent_action.hpp"
#include "runtime/render/journal_render.hpp"
#include "runtime/render/write_render.hpp"

namespace pact::cli {

using client::build_delta;
using client::check_ttl_flag;
using client::parse_expectations;
using client::parse_target;
using client::recorded_delta;

namespace po = boost::program_options;

namespace {

std::vector<std::string> strings(const context& ctx, const char* name) {
  if (!ctx.vm.count(name))
    return {};
  return ctx.vm[name].as<std::vector<std::string>>();
}

/// Prints a commit's outcome: `reply` from the journal, `recorded` the
/// delta as the entry holds it.
int print_commit(const context& ctx, const protocol::Scope& target,
                 const protocol::CommandReply& reply,
                 const protocol::StateDelta& recorded) {
  if (ctx.json)
    std::cout << render::commit_json(target, reply, recorded).dump(2) << "\n";
  else
    std::cout << render::commit_text(target, reply, recorded);
  return 0;
}

/// `pact commit -m MSG [NODE]` without --set/--unset: the node's live
/// drift, as its agent reports it now, becomes its node delta. The agent
/// checks the items are still as reported and proposes the commit
/// conditional on the declared values it compared with (docs/drift.md).
int commit_drift(context& ctx, journal_session& s,
                 const protocol::Scope& target) {
  if (target.target_case() != protocol::Scope::kNode)
    return report(make_error("commit: " + render::scope_text(target)
                             + " has no drift to commit; give the changes "
                               "with --set/--unset"));
  auto r = client::commit_drift(ctx.cfg, s, target.node(),
                                ctx.vm["message"].as<std::string>(),
                                ctx.vm["ttl"].as<unsigned>());
  if (!r)
    return report(r.err());
  if (!*r) {
    if (ctx.json)
      std::cout << render::no_drift_json(target).dump(2) << "\n";
    else
      std::cout << render::no_drift_text(target.node());
    return 0;
  }
  const auto& reply = **r;
  // Two-person vCluster: the journal holds the commit for a second person
  // and applies it on approval, as a journal write (the agent declared
  // nothing yet); wait as `commit --set` does.
  if (policy::held_for_approval(reply.result())) {
    auto decided = await_approval(s, reply);
    if (!decided)
      return report(decided.err());
    // The entry as recorded when the journal applied it.
    return print_commit(ctx, target, *decided,
                        recorded_delta(s, *decided, protocol::StateDelta()));
  }
  return print_commit(ctx, target, reply, reply.result().state_delta());
}

int run_commit(context& ctx) {
  auto target = parse_target(
    ctx.vm.count("target") ? ctx.vm["target"].as<std::string>() : local_node());
  if (!target)
    return report(target.err());
  // The flag's own name and range, before anything is sent (the journal
  // would name its field, ttl_seconds).
  if (auto st = check_ttl_flag(*target, ctx.vm["ttl"].as<unsigned>(),
                               !ctx.vm["ttl"].defaulted());
      !st)
    return report(st.err());
  auto s = open_session(ctx);
  if (!s)
    return report(s.err());
  bool node = target->target_case() == protocol::Scope::kNode;
  if (!ctx.vm.count("set") && !ctx.vm.count("unset")) {
    if (ctx.vm.count("if-previous"))
      return report(make_error("commit: --if-previous conditions a commit "
                               "given with --set/--unset"));
    return commit_drift(ctx, **s, *target);
  }
  // Only the intent is sent: the journal decides add or modify and reads
  // each previous value when it applies the commit (one quorum round).
  auto delta = build_delta(strings(ctx, "set"), strings(ctx, "unset"));
  if (!delta)
    return report(delta.err());
  auto expect = parse_expectations(strings(ctx, "if-previous"));
  if (!expect)
    return report(expect.err());
  protocol::JournalCommand cmd;
  cmd.set_kind(protocol::COMMAND_KIND_COMMIT);
  *cmd.mutable_scope() = *target;
  *cmd.mutable_state_delta() = *delta;
  for (auto& x : *expect)
    *cmd.add_expect_previous() = x;
  cmd.set_message(ctx.vm["message"].as<std::string>());
  if (node)
    cmd.set_ttl_seconds(ctx.vm["ttl"].as<unsigned>());
  auto r = (*s)->command(cmd);
  if (!r)
    return report(r.err());
  // The entry as recorded: its actions and `previous` values are what the
  // change really did and replaced, which only the journal knows.
  return print_commit(ctx, *target, *r, recorded_delta(**s, *r, *delta));
}

} // namespace

command commit_command() {
  command c;
  c.name = "commit";
  c.summary
    = "Commit a node's live drift, or changes given with --set/--unset, "
      "as declared state (node delta, vCluster or global)";
  c.usage = "-m MSG [NODE|vc:NAME|global] [--set CATEGORY:KEY=VALUE]... "
            "[--unset CATEGORY:KEY]... [--if-previous CATEGORY:KEY[=VALUE]]... "
            "[--ttl SECONDS]";
  c.declare = [](po::options_description& desc,
                 po::positional_options_description& pos) {
    desc.add_options()("message,m", po::value<std::string>()->required(),
                       "Why (recorded in the journal)")(
      "target", po::value<std::string>(),
      "Node (default: this host), vc:NAME or global")(
      "set", po::value<std::vector<std::string>>()->composing(),
      "CATEGORY:KEY=VALUE to declare (repeatable)")(
      "unset", po::value<std::vector<std::string>>()->composing(),
      "CATEGORY:KEY to remove (repeatable)")(
      "if-previous", po::value<std::vector<std::string>>()->composing(),
      "Commit only if CATEGORY:KEY holds VALUE (CATEGORY:KEY=VALUE) or is "
      "unset (CATEGORY:KEY) when the journal applies it; else exit 4 and "
      "nothing is written (repeatable)")(
      "ttl", po::value<unsigned>()->default_value(86400),
      "Lifetime of a node delta in seconds (900 .. 864000)");
    pos.add("target", 1);
  };
  c.run = run_commit;
  return c;
}

} // namespace pact::cli
