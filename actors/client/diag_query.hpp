#pragma once

/// `pact diag` on the client side (docs/agent.md, "Diag"): a DiagRequest
/// to one node's agent, or to every node of a vCluster at once. The agents
/// verify the caller's token, authorize, read and filter; this side only
/// asks and gathers.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>

#include "runtime/common/config.hpp"
#include "runtime/common/endpoint.hpp"
#include "runtime/common/error.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::client {

/// DiagRequest `q` to `agent` with the CLI's token and timeout; an answer
/// without a diag reply is an error (exit 1). Errors carry the exit codes
/// of DESIGN.md §6 (2 denied, 3 policy, 5 unreachable).
expected<protocol::DiagReply> ask_diag(const config::values& cfg,
                                       const endpoint& agent,
                                       const protocol::DiagRequest& q);

/// One node of a fleet diag: its name and its agent (nullopt: the journal
/// records none, its agent never booted).
struct diag_target {
  std::string node;
  std::optional<endpoint> agent;
};

/// What one node's agent answered, or why there is no answer.
struct diag_answer {
  std::string node;
  expected<protocol::DiagReply> reply = make_error("not asked");
};

/// Limits of a fleet diag (issue 12 item 6: 50 at once, 5 s each).
struct fleet_limits {
  size_t parallel = 50;
  std::chrono::milliseconds per_agent{5000};
};

/// Asks every target's agent `q` (its `node` set to the target), at most
/// `lim.parallel` at a time, each bounded by `lim.per_agent` from connect
/// to answer, on `sys`; one agent that is down or silent costs its own
/// deadline and never holds up the others' answers. The answers come in
/// the order of `targets`. Errors: no token (exit 2), before anything is
/// sent.
expected<std::vector<diag_answer>>
fleet_diag(const config::values& cfg, caf::actor_system& sys,
           const std::vector<diag_target>& targets,
           const protocol::DiagRequest& q, fleet_limits lim = {});

} // namespace pact::client
