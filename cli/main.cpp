// pact: the operator CLI. Connects to a journal gateway (any replica) or a
// node's agent and prints results as text or JSON; exit codes follow
// DESIGN.md §6.

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "runtime/common/logging.hpp"

using namespace pact;
using namespace pact::cli;

namespace {

void usage(std::ostream& os) {
  os << "Usage: pact [global options] COMMAND [args]\n\n"
        "Promise-based configuration management and admin operations.\n\n"
        "Commands:\n";
  for (auto& c : all_commands())
    os << "  " << c.name
       << std::string(12 - std::min<size_t>(11, c.name.size()), ' ')
       << c.summary << "\n";
  os << "\nGlobal options:\n"
        "  --endpoint URL[,URL...]\n"
        "                      journal gateways, tried in order "
        "[PACT_ENDPOINT]\n"
        "                      (default http://localhost:9443)\n"
        "  --token TOKEN       bearer token [PACT_TOKEN] (default: the "
        "pact login\n"
        "                      cache, then ~/.config/pact/token)\n"
        "  --vcluster NAME     vCluster scope [PACT_VCLUSTER]\n"
        "  --output text|json  output format [PACT_OUTPUT]\n"
        "  --timeout SECONDS   give up after this long (exit 5; default 10)\n"
        "  --config FILE       CLI configuration (default "
        "~/.config/pact/cli.toml)\n"
        "  --log-level LEVEL   diagnostics on stderr [PACT_LOG]\n\n"
        "Exit codes: 0 ok, 1 error, 2 auth, 3 policy, 4 conflict, "
        "5 timeout/unreachable, 6 not whitelisted, 10 rollback blocked.\n"
        "Text output shows control characters of stored text as escapes "
        "(\\x1b);\n--output json is exact. Output that cannot be written "
        "exits 1.\n";
}

/// Runs the command named on the command line; its exit code.
int run(int argc, char** argv, output_guard& out) {
  auto [name, args] = split_command(argc, argv);
  if (name.empty()) {
    for (auto& a : args) {
      if (a == "--version") {
        std::cout << "pact " << PACT_VERSION << "\n";
        return 0;
      }
    }
    bool help = false;
    for (auto& a : args)
      help = help || a == "--help" || a == "-h";
    usage(help ? std::cout : std::cerr);
    return help ? 0 : 1;
  }
  for (auto& c : all_commands()) {
    if (c.name != name)
      continue;
    for (auto& a : args)
      if (a == "--help" || a == "-h") {
        std::cout << "Usage: pact " << c.name
                  << (c.usage.empty() ? "" : " " + c.usage) << "\n\n"
                  << c.summary << "\n";
        return 0;
      }
    auto ctx = make_context(c, args);
    if (!ctx)
      return report(ctx.err());
    out.set_text_mode(!ctx->json);
    if (auto st = init_logging("pact", ctx->cfg.get_string("log_level")); !st)
      return report(st.err());
    return c.run(*ctx);
  }
  std::cerr << "pact: unknown command '" << name << "' (see pact --help)\n";
  return 1;
}

} // namespace

int main(int argc, char** argv) {
  // One exit path for every command: output that could not be written is
  // an error (docs/cli.md "Output").
  output_guard out;
  int rc = out.finish(run(argc, argv, out));
  // Everything the command does is done: its files are closed and renamed,
  // its answers written. Leave without running destructors: the actor
  // system's teardown (joining the scheduler's, clock's and middleman's
  // threads, freeing their state) would add about 1 ms to every command,
  // and nothing it does is visible outside the process.
  std::cerr.flush();
  std::fflush(nullptr);
  std::_Exit(rc);
}
