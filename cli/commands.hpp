#pragma once

/// The registry of `pact` commands. Each command lives in its own file and
/// contributes one factory here.

#include <vector>

#include "cli/options.hpp"

namespace pact::cli {

command status_command();

/// Every command, in `pact --help` order.
std::vector<command> all_commands();

} // namespace pact::cli
