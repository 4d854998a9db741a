#include "cli/commands.hpp"

namespace pact::cli {

std::vector<command> all_commands() {
  return {status_command(),   log_command(),     diff_command(),
          commit_command(),   rollback_command(), extend_command(),
          apply_command(),    promote_command(),  watch_command(),
          group_command(),    blacklist_command(), enroll_command()};
}

} // namespace pact::cli
