// `pact log [-n N] [--scope global|vc:NAME|node:NAME] [--since T] [--until T]
// [--verify] [--stale]`: the most recent N entries, newest first (like
// `git log`); `pact log --export FILE [--since T] [--until T] [--stale]` and
// `pact log --verify --file FILE` (cli/log_export.cpp). A flag that its
// form does not take is refused, never ignored.

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <iostream>
#include <tuple>

#include "actors/client/journal_session.hpp"
#include "cli/commands.hpp"
#include "cli/log_emergency.hpp"
#include "cli/log_export.hpp"
#include "runtime/common/clock.hpp"
#include "runtime/render/log_view.hpp"
#include "runtime/render/time_bound.hpp"

namespace pact::cli {

namespace po = boost::program_options;

namespace {

/// Most entries one `pact log` asks for (journal_session::log refuses
/// more); checked here on the signed value so that a negative -n is
/// reported as written.
constexpr int64_t max_log_entries = 10000;

/// --since/--until as ms since the epoch (0 when absent). A time written
/// without a fraction covers its whole second at the --until end (the
/// journal displays whole seconds): render/time_bound.hpp.
expected<log_window> window_of(const context& ctx) {
  log_window w;
  auto now = system_clock{}.now_unix_ms();
  for (auto [flag, out, side] :
       {std::tuple{"since", &w.since_unix_ms, render::bound_side::start},
        std::tuple{"until", &w.until_unix_ms, render::bound_side::end}}) {
    if (!ctx.vm.count(flag))
      continue;
    auto t = render::parse_time_bound(
      std::string("--") + flag, ctx.vm[flag].as<std::string>(), now, side);
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

/// The flags of `pact log` as written on the command line.
constexpr std::pair<const char*, const char*> log_flags[] = {
  {"number", "-n"},       {"scope", "--scope"},   {"since", "--since"},
  {"until", "--until"},   {"verify", "--verify"}, {"stale", "--stale"},
  {"export", "--export"}, {"file", "--file"},     {"emergency", "--emergency"}};

/// Refuses every flag given that a form of the synopsis does not take,
/// naming them all (exit 1, as for any malformed option); `what` says
/// what the form does.
status check_form(const context& ctx, const char* what,
                  std::initializer_list<const char*> takes) {
  std::string extra;
  for (auto [name, shown] : log_flags) {
    bool given = ctx.vm.count(name) && !ctx.vm[name].defaulted();
    if (given && std::none_of(takes.begin(), takes.end(), [&](const char* t) {
          return std::strcmp(t, name) == 0;
        }))
      extra += std::string(extra.empty() ? "" : ", ") + shown;
  }
  if (extra.empty())
    return {};
  return make_error(std::string("log ") + what + "; it takes no " + extra);
}

/// Which form the flags select, refusing what it does not take and
/// values that cannot be right whatever the journal holds.
status check_log_flags(const context& ctx) {
  if (ctx.vm.count("file") && !ctx.vm.count("verify"))
    return make_error("log --file FILE goes with --verify (the offline "
                      "check of an export)");
  for (const char* flag : {"export", "file", "scope"})
    if (ctx.vm.count(flag) && ctx.vm[flag].as<std::string>().empty())
      return make_error(std::string("log --") + flag + ": the value is empty");
  if (ctx.vm.count("file"))
    return check_form(ctx,
                      "--verify --file checks an export offline (pact log "
                      "--verify --file FILE)",
                      {"verify", "file"});
  if (ctx.vm.count("emergency") && !ctx.vm.count("export"))
    if (auto st = check_form(ctx,
                             "--emergency lists each emergency with what was "
                             "written during it (pact log --emergency "
                             "[--scope S] [--since T] [--until T] [-n N] "
                             "[--stale])",
                             {"emergency", "number", "scope", "since", "until",
                              "stale"});
        !st)
      return st;
  if (ctx.vm.count("export"))
    return check_form(ctx,
                      "--export writes the contiguous journal, so that its "
                      "hash chain can be verified (pact log --export FILE "
                      "[--since T] [--until T] [--stale])",
                      {"export", "since", "until", "stale"});
  auto n = ctx.vm["number"].as<int64_t>();
  if (n < 1 || n > max_log_entries)
    return make_error("log: -n " + std::to_string(n) + " is outside 1 .. "
                      + std::to_string(max_log_entries));
  return {};
}

int run_log(context& ctx) {
  if (auto st = check_log_flags(ctx); !st)
    return report(st.err());
  if (ctx.vm.count("file"))
    return run_log_verify_file(ctx);
  auto w = window_of(ctx);
  if (!w)
    return report(w.err());
  if (ctx.vm.count("export"))
    return run_log_export(ctx, *w);
  auto s = open_session(ctx);
  if (!s)
    return report(s.err());
  client::log_query q;
  q.limit = static_cast<uint32_t>(ctx.vm["number"].as<int64_t>());
  if (ctx.vm.count("scope"))
    q.scope = ctx.vm["scope"].as<std::string>();
  q.verify = ctx.vm.count("verify") > 0;
  q.stale = ctx.vm.count("stale") > 0;
  q.since_unix_ms = w->since_unix_ms;
  q.until_unix_ms = w->until_unix_ms;
  if (ctx.vm.count("emergency"))
    return run_log_emergency(ctx, **s, q);
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
            "[--until T] [--stale] | --emergency [-n N] [--scope S] "
            "[--since T] [--until T] [--stale] | --verify --file FILE";
  c.declare = [](po::options_description& desc,
                 po::positional_options_description&) {
    // Signed, so that -n -1 is reported as -1 rather than wrapped around.
    desc.add_options()("number,n", po::value<int64_t>()->default_value(20),
                       "How many entries (newest first)")(
      "scope", po::value<std::string>(), "Only entries of this scope")(
      "since", po::value<std::string>(),
      "Only entries stamped at or after T: an RFC 3339 time "
      "(2026-11-29T10:00:00Z) or a duration before now (30m, 2h, 7d)")(
      "until", po::value<std::string>(),
      "Only entries stamped at or before T (same forms as --since; a time "
      "without a fraction covers its whole second)")(
      "verify", "Verify the SHA-256 hash chain of the whole journal (with "
                "--file: of an export file, offline)")(
      "stale", "Read from the local replica without a ReadIndex round")(
      "export", po::value<std::string>(),
      "Write the journal (or the contiguous run covering --since/--until) "
      "to FILE as verifiable JSON lines; never replaces an existing FILE")(
      "emergency", "The regulated audit: each emergency (newest first, -n "
                   "of them) with who started it and why, every entry "
                   "written during it, and who ended it")(
      "file", po::value<std::string>(),
      "With --verify: the export file to check offline (no journal or "
      "token needed)");
  };
  c.run = run_log;
  return c;
}

} // namespace pact::cli
