#pragma once

/// `pact shell NODE` on the agent API (issue 12 item 3; docs/agent.md,
/// "Shell"). The agent API has verified the caller's token; this handler
/// checks the caller may use a shell on this node at all (the node's
/// vCluster policy as the journal link holds it, so it works with the
/// journal unreachable), enforces the per-node session limit, has the
/// journal link keep the "opened" record before anything starts, and
/// spawns the session actor (shell_session.hpp), answering the request
/// with its ShellReply once the session has closed.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>

#include "actors/agent/exec_api.hpp"
#include "actors/daemon/api_endpoint.hpp"

namespace pact::agent {

struct shell_config {
  /// agent.shell.whitelist: commands allowed in a shell on this node
  /// besides the vCluster policy's shell_whitelist.
  std::vector<std::string> whitelist;
  /// agent.shell.max_sessions: sessions open at once on this node.
  size_t max_sessions = 8;
  /// agent.shell.idle_timeout_seconds: a session idle at its prompt this
  /// long is closed.
  std::chrono::seconds idle_timeout{900};
};

/// What the handler needs; owned by the agent API actor (single-threaded).
struct shell_context {
  /// --root, whitelist mode and the agent's environment (exec's settings).
  exec_config exec;
  shell_config cfg;
  std::string node_id;
  std::string vcluster;
  caf::actor supervisor;
  std::string journal_link_name = "agent/journal-link";
  /// Sessions open now.
  size_t open = 0;
};

void handle_shell(caf::event_based_actor* self,
                  const std::shared_ptr<shell_context>& x,
                  const protocol::Request& req,
                  const policy::authenticated& who, daemon::api_reply reply);

} // namespace pact::agent
