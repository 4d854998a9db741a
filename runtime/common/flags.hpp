#pragma once

/// Bridges a configuration schema and Boost.Program_options: every schema key
/// with a flag becomes a command-line option, so --help, the config file and
/// docs/configuration.md describe the same keys with the same defaults.

#include <map>
#include <string>

#include <boost/program_options.hpp>

#include "runtime/common/config.hpp"

namespace pact::config {

/// Adds one option per flagged key of `s` to `desc`. Boolean keys are
/// switches (`--dev`); `--dev=false` is also accepted.
void add_flags(boost::program_options::options_description& desc,
               const schema& s);

/// Extracts the raw text of every schema flag given on the command line.
std::map<std::string, std::string>
collect_flags(const boost::program_options::variables_map& vm,
              const schema& s);

} // namespace pact::config
