// `pact commit -m MSG [TARGET] [--set CATEGORY:KEY=VALUE]... [--unset
// CATEGORY:KEY]... [--if-previous CATEGORY:KEY[=VALUE]]... [--ttl SECONDS]`:
// records a change as declared state.
// TARGET is a node (default: this host), vc:NAME or global. A node commit
// is a node delta with a lifetime (900 s .. 10 days); a vCluster or global
// commit edits the declared state itself.

#include <iostream>

#include "actors/client/journal_session.hpp"
#include "cli/changes.hpp"
#include "cli/commands.hpp"
#include "cli/local_node.hpp"
#include "runtime/render/journal_render.hpp"

namespace pact::cli {

namespace po = boost::program_options;

namespace {

std::vector<std::string> strings(const context& ctx, const char* name) {
  if (!ctx.vm.count(name))
    return {};
  return ctx.vm[name].as<std::vector<std::string>>();
}

/// The delta the commit `reply` recorded: returned with the result, or
/// for a retried command (whose remembered result does not carry it) read
/// back from its entry, `sent` when that read fails; nothing when the
/// commit appended no entry.
protocol::StateDelta recorded_delta(journal_session& s,
                                    const protocol::CommandReply& reply,
                                    const protocol::StateDelta& sent) {
  const auto& result = reply.result();
  if (result.sequences().empty() || result.state_delta().items_size() > 0)
    return result.state_delta();
  protocol::Request req;
  req.set_request_id("log");
  req.mutable_log()->set_sequence(result.sequences(0));
  auto resp = s.call(req);
  if (resp && resp->log_reply().entries_size() == 1)
    return resp->log_reply().entries(0).state_delta();
  return sent;
}

int run_commit(context& ctx) {
  auto target = parse_target(
    ctx.vm.count("target") ? ctx.vm["target"].as<std::string>() : local_node());
  if (!target)
    return report(target.err());
  auto s = open_session(ctx);
  if (!s)
    return report(s.err());
  bool node = target->target_case() == protocol::Scope::kNode;
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
  auto recorded = recorded_delta(**s, *r, *delta);
  if (ctx.json) {
    auto changes = nlohmann::json::array();
    for (auto& i : recorded.items())
      changes.push_back(render::item_json(i));
    std::cout << nlohmann::json{{"sequences", std::vector<uint64_t>(
                                                r->result().sequences().begin(),
                                                r->result().sequences().end())},
                                {"raft_index", r->index()},
                                {"scope", render::scope_text(*target)},
                                {"unchanged", r->result().sequences().empty()},
                                {"changes", changes}}
                   .dump(2)
              << "\n";
    return 0;
  }
  for (auto& line : unchanged_lines(r->result()))
    std::cout << line << "\n";
  if (r->result().sequences().empty())
    return 0;
  std::cout << "committed " << recorded.items_size() << " change"
            << (recorded.items_size() == 1 ? "" : "s") << " to "
            << render::scope_text(*target) << " as entry "
            << render::sequences_text(*r) << "\n";
  for (auto& i : recorded.items())
    std::cout << "  " << render::action_name(i.action()) << "  "
              << render::item_text(i) << "\n";
  return 0;
}

} // namespace

command commit_command() {
  command c;
  c.name = "commit";
  c.summary
    = "Commit changes as declared state (node delta, vCluster or global)";
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
