#pragma once

/// The agent API (DESIGN.md §1, port 9445): the node-local endpoint for the
/// CLI and pact-mcp. It answers status with the agent's own actor tree and
/// drift (`pact diff NODE`) with the drift watcher's DriftReply, both under
/// the same read rule, runs `pact exec` commands (exec_api.hpp) and serves
/// `pact diag` (diag_api.hpp); the shell handler of a later issue plugs into
/// its dispatch table.

#include <memory>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>

#include "actors/agent/capability_api.hpp"
#include "actors/agent/diag_api.hpp"
#include "actors/agent/exec_api.hpp"
#include "actors/agent/shell_api.hpp"
#include "actors/daemon/publish.hpp"
#include "actors/supervision/health.hpp"
#include "runtime/common/clock.hpp"
#include "runtime/policy/token.hpp"

namespace pact::agent {

struct agent_api_config {
  daemon::listen_point listen;
  caf::actor registry;
  policy::verifier_config verifier;
  std::shared_ptr<const pact::clock> wall;
  /// The node's vCluster: its ops and viewers may read its status.
  std::string vcluster;
  /// This node's id (a drift request naming another node is refused).
  std::string node_id;
  /// The agent's supervisor, which knows the drift watcher by name.
  caf::actor supervisor;
  std::string drift_watcher_name = "agent/drift-watcher";
  /// `pact cap`: node id, vCluster and --root (capability_api.hpp).
  capability_api_config capability;
  /// `pact exec` (exec_api.hpp).
  exec_config exec;
  /// `pact diag` (diag_api.hpp).
  diag_config diag;
  /// `pact shell` (shell_api.hpp); it also uses exec's root, mode and
  /// environment.
  shell_config shell;
};

caf::behavior agent_api(caf::event_based_actor* self,
                        supervision::health_handle h, agent_api_config cfg);

} // namespace pact::agent
