#pragma once

/// Bridges a configuration schema and Boost.Program_options: every schema key
/// with a flag becomes a command-line option, so --help, the config file and
/// docs/configuration.md describe the same keys with the same defaults.

#include <map>
#include <string>
#include <variant>

#include <boost/program_options.hpp>

#include "runtime/common/config.hpp"

namespace pact::config {

/// Adds one option per flagged key of `s` to `desc`. Boolean keys are
/// switches (`--dev`); `--dev=false` is also accepted.
void add_flags(boost::program_options::options_description& desc,
               const schema& s);

/// Extracts the raw text of every schema flag given on the command line.
std::map<std::string, std::string>
collect_flags(const boost::program_options::variables_map& vm, const schema& s);

/// A daemon's command line: --help, --version, --config FILE and the
/// schema's flags.
struct daemon_command_line {
  bool help = false;
  bool version = false;
  /// --config FILE; empty when not given.
  std::string config_file;
  /// Raw schema flag values by flag name.
  std::map<std::string, std::string> flags;
  /// Rendered --help text.
  std::string help_text;
};

/// Parses argv. Unknown options and stray arguments are errors naming them.
/// A command-line parse error in pact's words: Boost.Program_options' own
/// text ("the argument ('abc') for option '--minutes' is invalid", "too
/// many positional options have been specified") is library wording and
/// names options the operator never typed. `positional` maps the option
/// behind a positional argument to the name the usage line shows
/// ("minutes" -> "MINUTES").
std::string
flag_error_text(const boost::program_options::error& e,
                const std::map<std::string, std::string>& positional = {});

/// The usage names of `pos`'s first positions, for flag_error_text.
std::map<std::string, std::string> positional_names(
  const boost::program_options::positional_options_description& pos);

expected<daemon_command_line> parse_daemon_args(int argc, char** argv,
                                                const schema& s,
                                                const std::string& usage);

/// Parses a daemon's command line and answers --help and --version itself
/// (printing "BINARY: message" on errors). Returns the command line, or the
/// exit status main() should return now.
std::variant<daemon_command_line, int>
start_daemon(int argc, char** argv, const schema& s, const std::string& binary,
             const std::string& summary);

/// Loads the configuration for a parsed daemon command line: the file named
/// by --config (must exist) or `default_path` (may be absent), then the
/// environment, then flags.
expected<values> load_daemon_config(const daemon_command_line& cl,
                                    const schema& s,
                                    const std::string& default_path);

} // namespace pact::config
