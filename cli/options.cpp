#include "cli/options.hpp"

#include <iostream>
#include <set>

#include "actors/client/access.hpp"
#include "runtime/common/flags.hpp"
#include "runtime/common/schemas.hpp"
#include "runtime/render/failure.hpp"

namespace pact::cli {

namespace po = boost::program_options;

namespace {

/// Global options that take a value (so the next argument is not a command).
const std::set<std::string>& valued_globals() {
  static const std::set<std::string> names{"--endpoint", "--token",
                                           "--vcluster", "--output",
                                           "--timeout",  "--config",
                                           "--log-level"};
  return names;
}

} // namespace

std::pair<std::string, std::vector<std::string>> split_command(int argc,
                                                               char** argv) {
  std::string cmd;
  std::vector<std::string> rest;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (cmd.empty() && !a.empty() && a[0] != '-') {
      cmd = a;
      continue;
    }
    rest.push_back(a);
    if (cmd.empty() && valued_globals().count(a) && i + 1 < argc)
      rest.push_back(argv[++i]);
  }
  return {cmd, rest};
}

expected<context> make_context(const command& cmd,
                               const std::vector<std::string>& args) {
  po::options_description desc("Options");
  desc.add_options()("config", po::value<std::string>(),
                     "CLI configuration file");
  config::add_flags(desc, config::cli_schema());
  po::positional_options_description pos;
  if (cmd.declare)
    cmd.declare(desc, pos);
  context ctx;
  try {
    po::store(po::command_line_parser(args).options(desc).positional(pos).run(),
              ctx.vm);
    po::notify(ctx.vm);
  } catch (const po::error& e) {
    return make_error(
      cmd.name + ": "
      + config::flag_error_text(e, config::positional_names(pos))
      + " (usage: pact " + cmd.name + (cmd.usage.empty() ? "" : " " + cmd.usage)
      + ")");
  }
  config::load_request req;
  req.keys = &config::cli_schema();
  req.env = config::process_env();
  if (ctx.vm.count("config")) {
    req.file_path = ctx.vm["config"].as<std::string>();
    req.file_required = true;
  } else {
    req.file_path = config::expand_home(config::cli_config_path, req.env);
  }
  req.flags = config::collect_flags(ctx.vm, config::cli_schema());
  auto v = config::load(req);
  if (!v)
    return v.err();
  ctx.cfg = std::move(*v);
  ctx.json = ctx.cfg.get_string("output") == "json";
  // Checked before any command runs, so that a bad endpoint is the error
  // reported whatever else is wrong.
  if (auto eps = client::journal_endpoints(ctx.cfg); !eps)
    return eps.err();
  return ctx;
}

int report(const error& e) {
  // Messages quote servers and stored data: one line, no control bytes.
  std::cerr << "pact: " << render::failure_text(e) << "\n";
  return to_int(e.code);
}

} // namespace pact::cli
