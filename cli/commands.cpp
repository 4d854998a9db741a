#include "cli/commands.hpp"

namespace pact::cli {

std::vector<command> all_commands() {
  return {status_command()};
}

} // namespace pact::cli
