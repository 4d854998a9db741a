#pragma once

/// One `pact shell` session on the node (issue 12 item 3; docs/agent.md,
/// "Shell"): the actor between the operator's terminal and the commands.
///
/// At the prompt it edits the line itself (runtime/node/line_editor.hpp),
/// parses what is submitted with the shell grammar (runtime/node/
/// shell_line.hpp), admits every command of the pipeline with the node's
/// vCluster policy and emergency flag as the journal link holds them now
/// (asked per line, so an emergency started during a session relaxes its
/// next line), has the journal link keep the "started" record, and runs the
/// line on a fresh PTY on a blocking runner actor (runtime/node/
/// shell_pty.hpp). While a line runs, what the operator types goes to its
/// terminal (Ctrl-C becomes SIGINT there), and window changes are passed
/// on. Every line, refused or run, and its exit status, is recorded; so
/// are the session's open (by the agent API, before this actor starts)
/// and close.
///
/// It ends on `exit [N]`, Ctrl-D at an empty prompt, the idle timeout (at
/// the prompt only: a command may run as long as it needs), the client's
/// disappearance (connection lost: the running line is hung up and
/// killed), or the agent API's exit (monitored). (shell_run_atom) answers
/// once it has ended.

#include <chrono>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>

#include "runtime/node/exec_rules.hpp"
#include "runtime/policy/request_auth.hpp"
#include <pact/protocol/journal.pb.h>

namespace pact::agent {

struct shell_session_config {
  std::string session_id;
  /// What every input message must carry (128 random bits, hex).
  std::string secret;
  std::string node_id;
  std::string vcluster;
  /// The operator's terminal: echo and prompts only with one.
  bool tty = true;
  unsigned rows = 0;
  unsigned cols = 0;
  /// The verified caller; its rights are re-read with each line's policy.
  policy::authenticated who;
  protocol::Identity caller;
  /// --root, the whitelist mode and agent.shell.whitelist.
  std::string root = "/";
  node::whitelist_mode mode = node::whitelist_mode::strict;
  std::vector<std::string> agent_whitelist;
  /// The commands' environment (scrubbed, TERM added).
  std::vector<std::string> env;
  std::chrono::seconds idle_timeout{900};
  caf::actor supervisor;
  std::string journal_link_name = "agent/journal-link";
  /// The client's actor: output goes there, its loss ends the session.
  caf::actor client;
};

/// Spawns the session for `parent` (the agent API), which it monitors.
caf::actor spawn_shell_session(caf::event_based_actor* parent,
                               shell_session_config cfg);

} // namespace pact::agent
