#pragma once

/// Command-line handling shared by every `pact` command: global options
/// (--endpoint --token --vcluster --output --timeout --config --log-level),
/// the CLI configuration (~/.config/pact/cli.toml) and the bearer token.

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "runtime/common/config.hpp"
#include "runtime/common/endpoint.hpp"
#include "runtime/common/error.hpp"

namespace pact::cli {

/// What a command sees after parsing.
struct context {
  config::values cfg;
  /// Command-specific options and positionals.
  boost::program_options::variables_map vm;
  bool json = false;
  /// Journal gateways, in the order to try them (at least one).
  std::vector<endpoint> journals;
};

/// A command: its options, its positionals, and what it does.
struct command {
  std::string name;
  std::string summary;
  /// Usage line after "pact NAME", e.g. "[NODE] [--vcluster V]".
  std::string usage;
  std::function<void(boost::program_options::options_description&,
                     boost::program_options::positional_options_description&)>
    declare;
  std::function<int(context&)> run;
};

/// Splits argv into the command name and the rest; the command is the first
/// argument that is neither an option nor the value of a global option.
std::pair<std::string, std::vector<std::string>>
split_command(int argc, char** argv);

/// Parses `args` for `cmd` and loads the CLI configuration.
expected<context> make_context(const command& cmd,
                               const std::vector<std::string>& args);

/// The bearer token: --token, PACT_TOKEN, cli.toml `token`, else the token
/// file. Fails with "No auth token found" (exit 2).
expected<std::string> resolve_token(const config::values& cfg);

/// The journal endpoints of `cfg` ("endpoint": a list, or one string with
/// comma-separated URLs); errors name the source of the bad one.
expected<std::vector<endpoint>> journal_endpoints(const config::values& cfg);

/// Timeout from the configuration.
std::chrono::milliseconds timeout(const config::values& cfg);

/// Prints "pact: MESSAGE" to stderr (MESSAGE through terminal_safe) and
/// returns the error's exit code.
int report(const error& e);

} // namespace pact::cli
