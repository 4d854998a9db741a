#pragma once

/// Running one `pact exec` command (docs/agent.md, "Exec"): posix_spawn of
/// the resolved program, never a shell, so no byte of any argument is
/// interpreted; stdin /dev/null; the working directory the agent's root;
/// the environment it is given (exec_rules.hpp: scrubbed); its own process
/// group, killed whole at the timeout and when the command exits (nothing
/// it started outlives it); stdout and stderr handed to `sink` as they
/// come, each capped. Blocking: the agent runs it on a detached actor.

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/common/error.hpp"

namespace pact::node {

struct exec_spec {
  /// Host path of the program (root prefix included).
  std::string program;
  /// argv as given (argv[0] the command as the caller named it).
  std::vector<std::string> argv;
  /// "NAME=value" strings.
  std::vector<std::string> env;
  /// Working directory (host path).
  std::string cwd = "/";
  std::chrono::milliseconds timeout{60000};
  /// Bytes passed on per stream; the rest is read and dropped.
  size_t max_output_bytes = size_t{1} << 20;
};

struct exec_outcome {
  /// exit_code_of(wait status): 128 + signal when a signal ended it.
  int exit_code = 0;
  bool timed_out = false;
  bool truncated = false;
};

/// Stream 1 = stdout, 2 = stderr.
using exec_sink = std::function<void(int stream, std::string_view data)>;

/// Runs `spec`; errors only when it could not be started ("cannot start
/// PROGRAM: reason"). A non-zero exit or a timeout is an outcome.
expected<exec_outcome> run_exec(const exec_spec& spec, const exec_sink& sink);

/// Kills every command run_exec is running, and every one it starts from
/// now on, as a timeout would (timed_out set): the agent calls it when it
/// stops, so that SIGTERM is not held up by a long command (its thread
/// would keep the actor system from shutting down).
void stop_running_execs();

} // namespace pact::node
