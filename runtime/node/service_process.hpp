#pragma once

/// Running one supervised service's process (docs/services.md): started
/// with posix_spawn (never through a shell) from the binary under --root,
/// in a process group of its own (stopping it stops what it started), with
/// stdin on /dev/null, stdout and stderr on one pipe the agent captures,
/// and a scrubbed environment. Blocking calls only; the service actor runs
/// `follow` on a thread of its own.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>

#include "runtime/common/error.hpp"
#include "runtime/node/service_plan.hpp"

namespace pact::node {

/// The environment every service gets, and nothing else of the agent's:
/// PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin,
/// LANG=C.UTF-8, PACT_SERVICE=NAME.
std::vector<std::string> service_environment(const std::string& name);

/// The host path of a service's binary: `root` + `binary`. An error when
/// `binary` is not absolute, has a `..` component, or is not an executable
/// regular file there (followed symlinks must stay inside the root).
expected<std::string> service_binary(const std::string& root,
                                     const std::string& binary);

struct service_process {
  pid_t pid = -1;
  /// Read end of the stdout+stderr pipe (close-on-exec, owned by follow).
  int output = -1;
};

/// Starts `spec` under `root` (working directory: the root). An error says
/// why in the operator's words ("binary /usr/bin/x: not found under the
/// root", "cannot start ...").
expected<service_process> start_service(const std::string& root,
                                        const service_spec& spec);

/// Follows a started process until it has exited: passes each piece of its
/// output to `on_output` as it comes, then its exit to `on_exit`, and
/// closes the pipe. Output still in the pipe when the process exits is
/// passed on first. A process whose children keep the pipe open after it
/// exited does not hold this up: the exit is checked every `poll`.
void follow(service_process p,
            const std::function<void(std::string)>& on_output,
            const std::function<void(exit_status)>& on_exit,
            std::chrono::milliseconds poll = std::chrono::milliseconds(200));

/// Sends `sig` to the process group of `pid` (the service and what it
/// started). False when there is none any more.
bool signal_service(pid_t pid, int sig);

} // namespace pact::node
