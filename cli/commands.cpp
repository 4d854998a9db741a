#include "cli/commands.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "actors/client/agent_drift.hpp"
#include "cli/approval_wait.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/common/terminal_text.hpp"
#include "runtime/journal/journal_items.hpp"

#include <iostream>

namespace pact::cli {

expected<endpoint> node_agent(const context& ctx, const std::string& node) {
  std::unique_ptr<journal_session> s;
  return client::node_agent(
    ctx.cfg,
    [&]() -> expected<journal_session*> {
      auto opened = open_session(ctx);
      if (!opened)
        return opened.err();
      s = std::move(*opened);
      return s.get();
    },
    node);
}

caf::actor_system& invocation_actor_system() {
  // Created on first use and never destroyed: main() ends with std::_Exit
  // once output is flushed (cli/main.cpp), so the scheduler's, clock's
  // and middleman's threads are not joined one by one at exit.
  static caf::actor_system* sys = [] {
    auto* cfg = new caf::actor_system_config;
    protocol::configure(*cfg);
    // One request at a time: two scheduler threads are plenty, and an
    // admin host's 128 cores would otherwise start 128 threads (CAF's
    // default is one per core) for every command.
    cfg->set("scheduler.max-threads", size_t{2});
    return new caf::actor_system(*cfg);
  }();
  return *sys;
}

expected<std::unique_ptr<journal_session>> open_session(const context& ctx) {
  auto s = journal_session::open(ctx.cfg, &invocation_actor_system());
  if (!s)
    return s;
  (*s)->on_pending(await_approval);
  (*s)->on_stale([warned = false](const std::string& reason) mutable {
    // Once per invocation: a command may read state several times.
    if (warned)
      return;
    warned = true;
    std::cerr << "pact: warning: possibly stale answer: " << reason << "\n";
  });
  return s;
}

std::vector<command> all_commands() {
  return {status_command(), log_command(), diff_command(), commit_command(),
          rollback_command(), extend_command(), apply_command(),
          promote_command(), watch_command(), group_command(),
          blacklist_command(), enroll_command(), cap_command(),
          service_command(), exec_command(), shell_command(), diag_command(),
          approve_command(), emergency_command(),
          // Delegated to lattice and node management (docs/delegation.md): the
          // node operations, then the scheduler's views.
          drain_command(), undrain_command(), cordon_command(),
          uncordon_command(), reboot_command(), reimage_command(),
          jobs_command(), queue_command(), nodes_command(), dag_command(),
          accounting_command(), budget_command(), backup_command(),
          cluster_command(), health_command(), login_command(),
          logout_command()};
}

} // namespace pact::cli
