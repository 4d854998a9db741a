// `pact rollback SEQ [--scope TARGET]`: restores a scope's declared state
// to what it was right after entry SEQ. The scope defaults to the scope of
// entry SEQ itself.

#include <iostream>

#include "actors/client/journal_session.hpp"
#include "cli/changes.hpp"
#include "cli/commands.hpp"
#include "runtime/render/journal_render.hpp"

namespace pact::cli {

namespace po = boost::program_options;

namespace {

int run_rollback(context& ctx) {
  auto seq = ctx.vm["sequence"].as<uint64_t>();
  if (seq == 0)
    return report(make_error("rollback: sequence numbers start at 1"));
  auto s = open_session(ctx);
  if (!s)
    return report(s.err());
  protocol::Scope scope;
  if (ctx.vm.count("scope")) {
    auto t = parse_target(ctx.vm["scope"].as<std::string>());
    if (!t)
      return report(t.err());
    scope = *t;
  } else {
    protocol::Request req;
    req.set_request_id("log");
    req.mutable_log()->set_sequence(seq);
    auto resp = (*s)->call(req);
    if (!resp)
      return report(resp.err());
    scope = resp->log_reply().entries(0).scope();
  }
  protocol::JournalCommand cmd;
  cmd.set_kind(protocol::COMMAND_KIND_ROLLBACK);
  *cmd.mutable_scope() = scope;
  cmd.set_rollback_to(seq);
  cmd.set_message(ctx.vm.count("message")
                    ? ctx.vm["message"].as<std::string>()
                    : "rollback to " + std::to_string(seq));
  auto r = (*s)->command(cmd);
  if (!r)
    return report(r.err());
  // Rolling back to what the scope already holds writes nothing.
  if (r->result().sequences().empty()) {
    if (ctx.json)
      std::cout << nlohmann::json{{"unchanged", true},
                                  {"rollback_to", seq},
                                  {"scope", render::scope_text(scope)}}
                     .dump(2)
                << "\n";
    for (auto& line :
         ctx.json ? std::vector<std::string>{} : unchanged_lines(r->result()))
      std::cout << line << "\n";
    return 0;
  }
  if (ctx.json)
    std::cout << nlohmann::json{{"sequence", r->result().sequences(0)},
                                {"rollback_to", seq},
                                {"scope", render::scope_text(scope)}}
                   .dump(2)
              << "\n";
  else
    std::cout << "rolled " << render::scope_text(scope) << " back to entry "
              << seq << " as entry " << render::sequences_text(*r) << "\n";
  return 0;
}

} // namespace

command rollback_command() {
  command c;
  c.name = "rollback";
  c.summary = "Restore declared state to what it was after an entry";
  c.usage = "SEQ [--scope NODE|vc:NAME|global] [-m MSG]";
  c.declare = [](po::options_description& desc,
                 po::positional_options_description& pos) {
    desc.add_options()("sequence", po::value<uint64_t>()->required(),
                       "Entry to return to (see pact log)")(
      "scope", po::value<std::string>(),
      "Scope to restore (default: the scope of entry SEQ)")(
      "message,m", po::value<std::string>(), "Why");
    pos.add("sequence", 1);
  };
  c.run = run_rollback;
  return c;
}

} // namespace pact::cli
