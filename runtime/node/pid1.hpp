#pragma once

/// pact-agent as PID 1 of a diskless node or a container (issue 12 item 5;
/// docs/agent.md, "Running as PID 1"). An init must reap every orphan the
/// kernel reparents to it (else zombies fill the process table) and must
/// handle SIGTERM itself (the kernel delivers no signal to PID 1 whose
/// action is the default).
///
/// How: before any thread exists, the process forks. The child returns and
/// is the agent proper, with its own children (services, exec, shell,
/// probes) that it waits for by pid as everywhere else. The parent stays
/// PID 1 and does nothing but init's work: it reaps whatever child becomes
/// a zombie (the agent, and every orphan reparented to it), passes SIGTERM,
/// SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 on to the agent, and once
/// the agent has exited, sends SIGTERM to every process left, SIGKILL to
/// whatever is still there after the grace period, reaps them, and exits
/// with the agent's status. Reaping in a process of its own (as tini and
/// dumb-init do) means no waitpid(-1) can ever take the exit status of a
/// child the agent is waiting for: the agent's children are not init's.
///
/// With `--init` but not PID 1 (under another init), the process makes
/// itself a child subreaper, so the agent tree's orphans come to it, and at
/// the end signals only its own children, never every process.

#include <chrono>
#include <optional>

namespace pact::node {

/// Whether this process is PID 1 of its PID namespace.
bool is_pid1();

struct init_options {
  /// How long the processes left after the agent exits get between SIGTERM
  /// and SIGKILL.
  std::chrono::milliseconds grace{std::chrono::seconds(5)};
};

/// Forks (see above). In the child returns nullopt at once: carry on as the
/// agent. In the parent runs init until the agent has exited and returns
/// the status to exit with (128 + signal when a signal ended the agent), or
/// 1 when the fork failed (a message on stderr). Call before any thread is
/// started, with the shutdown signals blocked.
std::optional<int> become_init(const init_options& opts = {});

} // namespace pact::node
