// `pact backup create PATH | verify PATH`: lattice's state backups
// (docs/cli.md "Delegated to lattice"). `verify` is a question and asks
// lattice directly; `create` changes what lattice's servers hold, so it is
// a delegated operation, recorded in the journal before lattice is called
// (actors/client/delegation.hpp, run by cli/delegation_run). Restoring a
// backup is deliberately not a pact command.

#include <iostream>

#include "actors/client/delegation.hpp"
#include "cli/commands.hpp"
#include "cli/delegation_run.hpp"
#include "cli/lattice_text.hpp"
#include "runtime/delegation/lattice_views.hpp"

namespace pact::cli {

namespace po = boost::program_options;

namespace {

/// lattice's BackupVerify. A backup that does not verify is an answer,
/// not a failed call: its view is printed (JSON) and lattice's message
/// goes to stderr, exit 1.
int backup_verify(context& ctx, const std::string& path) {
  auto s = client::lattice_settings_of(ctx.cfg);
  if (!s)
    return report(s.err());
  auto v = delegation::backup_verify(*s, path);
  if (!v)
    return report(v.err());
  bool ok = v->value("ok", false);
  if (ctx.json)
    std::cout << v->dump(2) << "\n";
  else if (ok)
    std::cout << backup_verify_text(*v);
  if (ok)
    return 0;
  auto message = v->value("message", std::string());
  return report(make_error("backup " + path + " does not verify"
                           + (message.empty() ? "" : ": " + message)));
}

int run_backup(context& ctx) {
  auto action = ctx.vm["action"].as<std::string>();
  auto path = ctx.vm.count("path") ? ctx.vm["path"].as<std::string>() : "";
  if (action != "create" && action != "verify")
    return report(
      make_error("backup: unknown action '" + action + "' (create, verify)"));
  if (path.empty())
    return report(
      make_error("backup " + action + ": name the PATH on lattice's servers"));
  if (action == "create")
    return run_backup_create(ctx, path);
  return backup_verify(ctx, path);
}

} // namespace

command backup_command() {
  command c;
  c.name = "backup";
  c.summary = "Create or verify a backup of lattice's state";
  c.usage = "create PATH | verify PATH";
  c.declare = [](po::options_description& desc,
                 po::positional_options_description& pos) {
    desc.add_options()("action", po::value<std::string>()->required(),
                       "create or verify")("path", po::value<std::string>(),
                                           "Backup path on lattice's servers");
    pos.add("action", 1).add("path", 1);
  };
  c.run = run_backup;
  return c;
}

} // namespace pact::cli
