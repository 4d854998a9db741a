// `pact log [-n N] [--scope global|vc:NAME|node:NAME] [--since T] [--until T]
// [--verify] [--stale]`: the most recent N entries, newest first (like
// `git log`); `pact log --export FILE [--since T] [--until T]` and
// `pact log --verify --file FILE` (cli/log_export.cpp).

#include <iostream>

#include "actors/client/journal_session.hpp"
#include "cli/commands.hpp"
#include "cli/log_export.hpp"
#include "runtime/common/clock.hpp"
#include "runtime/render/log_view.hpp"
#include "runtime/render/time_bound.hpp"

namespace pact::cli {

namespace po = boost::program_options;

namespace {

/// --since/--until as ms since the epoch (0 when absent).
expected<log_window> window_of(const context& ctx) {
  log_window w;
  auto now = system_clock{}.now_unix_ms();
  for (auto [flag, out] : {std::pair{"since", &w.since_unix_ms},
                           std::pair{"until", &w.until_unix_ms}}) {
    if (!ctx.vm.count(flag))
      continue;
    auto t = render::parse_time_bound(std::string("--") + flag,
                                      ctx.vm[flag].as<std::string>(), now);
    if (!t)
      return t.err();
    *out = *t;
  }
  if (w.since_unix_ms != 0 && w.until_unix_ms != 0
      && w.since_unix_ms > w.until_unix_ms)
    return make_error("--since '" + ctx.vm["since"].as<std::string>()
                      + "' is after --until '"
                      + ctx.vm["until"].as<std::string>() + "'");
  return w;
}

int run_log(context& ctx) {
  if (ctx.vm.count("file")) {
    if (!ctx.vm.count("verify"))
      return report(make_error("log --file FILE goes with --verify (the "
                               "offline check of an export)"));
    return run_log_verify_file(ctx);
  }
  auto w = window_of(ctx);
  if (!w)
    return report(w.err());
  if (ctx.vm.count("export"))
    return run_log_export(ctx, *w);
  auto s = open_session(ctx);
  if (!s)
    return report(s.err());
  client::log_query q;
  q.limit = ctx.vm["number"].as<unsigned>();
  if (ctx.vm.count("scope"))
    q.scope = ctx.vm["scope"].as<std::string>();
  q.verify = ctx.vm.count("verify") > 0;
  q.stale = ctx.vm.count("stale") > 0;
  q.since_unix_ms = w->since_unix_ms;
  q.until_unix_ms = w->until_unix_ms;
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
  c.usage = "[-n N] [--scope global|vc:NAME|node:NAME] [--since T] "
            "[--until T] [--verify] [--stale] | --export FILE [--since T] "
            "[--until T] | --verify --file FILE";
  c.declare = [](po::options_description& desc,
                 po::positional_options_description&) {
    desc.add_options()("number,n", po::value<unsigned>()->default_value(20),
                       "How many entries (newest first)")(
      "scope", po::value<std::string>(), "Only entries of this scope")(
      "since", po::value<std::string>(),
      "Only entries stamped at or after T: an RFC 3339 time "
      "(2026-11-29T10:00:00Z) or a duration before now (30m, 2h, 7d)")(
      "until", po::value<std::string>(),
      "Only entries stamped at or before T (same forms as --since)")(
      "verify", "Verify the SHA-256 hash chain of the whole journal (with "
                "--file: of an export file, offline)")(
      "stale", "Read from the local replica without a ReadIndex round")(
      "export", po::value<std::string>(),
      "Write the journal (or the contiguous run covering --since/--until) "
      "to FILE as verifiable JSON lines; never replaces an existing FILE")(
      "file", po::value<std::string>(),
      "With --verify: the export file to check offline (no journal or "
      "token needed)");
  };
  c.run = run_log;
  return c;
}

} // namespace pact::cli
