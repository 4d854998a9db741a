#pragma once

/// Command-line handling shared by every `pact` command: global options
/// (--endpoint --token --vcluster --output --timeout --config --log-level),
/// the CLI configuration (~/.config/pact/cli.toml) and the bearer token.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "runtime/common/config.hpp"
#include "runtime/common/error.hpp"

namespace pact::cli {

/// What a command sees after parsing.
struct context {
  config::values cfg;
  /// Command-specific options and positionals.
  boost::program_options::variables_map vm;
  bool json = false;
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
std::pair<std::string, std::vector<std::string>> split_command(int argc,
                                                               char** argv);

/// Parses `args` for `cmd` and loads the CLI configuration.
expected<context> make_context(const command& cmd,
                               const std::vector<std::string>& args);

/// Prints "pact: MESSAGE" to stderr and returns the error's exit code
/// (MESSAGE and code from the table of runtime/render/failure.hpp, which
/// pact-mcp uses too).
int report(const error& e);

} // namespace pact::cli
