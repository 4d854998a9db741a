#include "cli/options.hpp"

#include <iostream>
#include <set>

#include "runtime/common/files.hpp"
#include "runtime/common/flags.hpp"
#include "runtime/common/schemas.hpp"
#include "runtime/common/terminal_text.hpp"

namespace pact::cli {

namespace po = boost::program_options;

namespace {

/// Global options that take a value (so the next argument is not a command).
const std::set<std::string>& valued_globals() {
  static const std::set<std::string> names{
    "--endpoint", "--token", "--vcluster", "--output",
    "--timeout",  "--config", "--log-level"};
  return names;
}

} // namespace

std::pair<std::string, std::vector<std::string>>
split_command(int argc, char** argv) {
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
    return make_error("pact " + cmd.name + ": " + e.what()
                      + " (usage: pact " + cmd.name + " " + cmd.usage + ")");
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
  auto eps = journal_endpoints(ctx.cfg);
  if (!eps)
    return eps.err();
  ctx.journals = std::move(*eps);
  return ctx;
}

expected<std::vector<endpoint>> journal_endpoints(const config::values& cfg) {
  auto where = cfg.origin_of("endpoint").where;
  std::vector<endpoint> out;
  for (auto& text : cfg.get_list("endpoint")) {
    auto ep = parse_endpoint(text, where.empty() ? "endpoint" : where);
    if (!ep)
      return ep.err();
    out.push_back(*ep);
  }
  if (out.empty())
    return make_error((where.empty() ? std::string("endpoint") : where)
                      + ": no journal endpoint given");
  return out;
}

expected<std::string> resolve_token(const config::values& cfg) {
  if (!cfg.get_string("token").empty())
    return cfg.get_string("token");
  auto path = config::expand_home(cfg.get_string("token_file"),
                                  config::process_env());
  if (files::exists(path)) {
    auto text = files::read_all(path);
    if (!text)
      return error{exit_code::auth_failure, text.err().message};
    auto t = *text;
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r'
                          || t.back() == ' '))
      t.pop_back();
    if (!t.empty())
      return t;
  }
  return make_error("No auth token found: set PACT_TOKEN or write the token "
                    "to "
                      + cfg.get_string("token_file"),
                    exit_code::auth_failure);
}

std::chrono::milliseconds timeout(const config::values& cfg) {
  return std::chrono::seconds(cfg.get_int("timeout_seconds"));
}

int report(const error& e) {
  // Messages quote servers and stored data: one line, no control bytes.
  std::cerr << "pact: " << terminal_safe(e.message) << "\n";
  return to_int(e.code);
}

} // namespace pact::cli
