#pragma once

/// The registry of `pact` commands. Each command lives in its own file and
/// contributes one factory here.

#include <vector>

#include "cli/options.hpp"

namespace pact::cli {

command status_command();
command log_command();
command diff_command();
command commit_command();
command rollback_command();
command extend_command();
command apply_command();
command promote_command();
command watch_command();
command group_command();
command blacklist_command();
command enroll_command();

/// Every command, in `pact --help` order.
std::vector<command> all_commands();

} // namespace pact::cli
