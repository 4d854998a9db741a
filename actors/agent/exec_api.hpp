#pragma once

/// `pact exec NODE -- CMD ARGS...` on the agent API (issue 12 item 2;
/// docs/agent.md, "Exec"). The agent API has verified the caller's token;
/// this handler authorizes with the node's vCluster policy as the journal
/// link booted it (journal or boot cache, so it works with the journal
/// unreachable), resolves and whitelists the command (runtime/node/
/// exec_rules.hpp), has the journal link keep the audit record in its
/// durable outbox BEFORE anything runs, then runs the program on a detached
/// actor (runtime/node/exec_process.hpp), streaming its output to the
/// client as ExecChunk messages, records how it ended and answers
/// ExecReply. Refusals are recorded too and run nothing. On a two-person
/// vCluster a command that is not read-only needs a second person's grant
/// (docs/agent.md, "Approval"): without one the answer is POLICY_REJECTED
/// with Status.approval_required; with one (ExecRequest.approval_id) the
/// journal records its use (operator_call.hpp, redeem_grant) before the
/// "started" record, and any refusal is passed back.

#include <chrono>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>

#include "actors/daemon/api_endpoint.hpp"
#include "runtime/common/clock.hpp"
#include "runtime/node/exec_rules.hpp"

namespace pact::agent {

struct exec_config {
  /// --root: programs are resolved and run under it.
  std::string root = "/";
  node::whitelist_mode mode = node::whitelist_mode::strict;
  /// agent.exec.whitelist: commands allowed on this node besides the
  /// vCluster policy's exec_whitelist.
  std::vector<std::string> whitelist;
  std::chrono::seconds default_timeout{60};
  std::chrono::seconds max_timeout{3600};
  size_t max_output_bytes = size_t{1} << 20;
  /// The environment scrub_environment filters (the agent's own).
  std::vector<std::string> inherited_env;
};

/// What the handler needs from the agent API.
struct exec_context {
  exec_config cfg;
  std::string node_id;
  std::string vcluster;
  /// The agent's supervisor, which knows the journal link by name.
  caf::actor supervisor;
  std::string journal_link_name = "agent/journal-link";
  /// Stamps each record's occurred_unix_ms.
  std::shared_ptr<const pact::clock> wall;
};

void handle_exec(caf::event_based_actor* self,
                 const std::shared_ptr<const exec_context>& x,
                 const protocol::Request& req, const policy::authenticated& who,
                 daemon::api_reply reply);

} // namespace pact::agent
