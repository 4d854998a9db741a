// `pact log [-n N] [--scope global|vc:NAME|node:NAME] [--verify] [--stale]`:
// the most recent N entries, newest first (like `git log`).

#include <iostream>

#include "actors/client/journal_session.hpp"
#include "cli/commands.hpp"
#include "runtime/render/log_view.hpp"

namespace pact::cli {

namespace po = boost::program_options;

namespace {

int run_log(context& ctx) {
  auto s = open_session(ctx);
  if (!s)
    return report(s.err());
  client::log_query q;
  q.limit = ctx.vm["number"].as<unsigned>();
  if (ctx.vm.count("scope"))
    q.scope = ctx.vm["scope"].as<std::string>();
  q.verify = ctx.vm.count("verify") > 0;
  q.stale = ctx.vm.count("stale") > 0;
  auto v = (*s)->log(q);
  if (!v)
    return report(v.err());
  if (ctx.json)
    std::cout << render::log_json(*v).dump(2) << "\n";
  else
    std::cout << render::log_text(*v);
  if (auto st = render::log_outcome(*v); !st)
    return report(st.err());
  return 0;
}

} // namespace

command log_command() {
  command c;
  c.name = "log";
  c.summary = "Show the most recent journal entries, newest first";
  c.usage = "[-n N] [--scope global|vc:NAME|node:NAME] [--verify] [--stale]";
  c.declare = [](po::options_description& desc,
                 po::positional_options_description&) {
    desc.add_options()("number,n", po::value<unsigned>()->default_value(20),
                       "How many entries (newest first)")(
      "scope", po::value<std::string>(), "Only entries of this scope")(
      "verify", "Verify the SHA-256 hash chain of the whole journal")(
      "stale", "Read from the local replica without a ReadIndex round");
  };
  c.run = run_log;
  return c;
}

} // namespace pact::cli
