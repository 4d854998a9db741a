#pragma once

/// The registry of `pact` commands. Each command lives in its own file and
/// contributes one factory here.

#include <memory>
#include <vector>

#include "actors/client/changes.hpp"
#include "actors/client/journal_session.hpp"
#include "cli/options.hpp"

namespace pact::cli {

using client::journal_session;

/// The actor system of this invocation, shared by its sessions; it lives
/// until the process exits (main() leaves with std::_Exit).
caf::actor_system& invocation_actor_system();

/// The journal session of this invocation (actors/client/journal_session:
/// endpoints, token and timeout from the CLI configuration). A possibly
/// stale answer prints, once per invocation, "pact: warning: possibly stale
/// answer: REASON" on stderr, so that stdout stays the answer.
expected<std::unique_ptr<journal_session>> open_session(const context& ctx);

using client::check_node_name;

/// The agent of `node` (empty: this host): PACT_AGENT_ENDPOINT /
/// agent_endpoint when set; for a named node, the endpoint its agent
/// recorded in the journal at boot (read from any replica); else this
/// host's agent at the default endpoint.
expected<endpoint> node_agent(const context& ctx, const std::string& node);

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
command cap_command();
command service_command();
command exec_command();
command shell_command();
command diag_command();
command login_command();
command logout_command();
command approve_command();
command emergency_command();
// Questions to lattice (lattice_read_commands.cpp, backup_command.cpp,
// cluster_command.cpp, health_command.cpp; docs/cli.md "Delegated to
// lattice").
command jobs_command();
command queue_command();
command nodes_command();
command dag_command();
command accounting_command();
command budget_command();
command backup_command();
command cluster_command();
command health_command();
// Delegated node operations (node_ops_command.cpp, docs/delegation.md).
command drain_command();
command undrain_command();
command cordon_command();
command uncordon_command();
command reboot_command();
command reimage_command();

/// Every command, in `pact --help` order.
std::vector<command> all_commands();

} // namespace pact::cli
