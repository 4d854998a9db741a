#pragma once

/// `pact shell NODE` against the node's agent (issue 12 item 3; docs/
/// agent.md, "Shell"): opens the session, hands the session's handle and
/// secret to the caller once the agent has opened it (input goes there,
/// from any thread, with send_shell_input/send_shell_resize), passes what
/// the session prints on as it comes, and returns the ShellReply when the
/// session has closed. Sent once, never retried.

#include <functional>
#include <string>

#include <caf/actor.hpp>

#include "runtime/common/config.hpp"
#include "runtime/common/endpoint.hpp"
#include "runtime/common/error.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::client {

struct shell_terminal {
  /// TERM; empty when input is not a terminal.
  std::string term;
  unsigned rows = 0;
  unsigned cols = 0;
};

/// Where the operator's input goes: the session actor and its secret.
struct shell_handle {
  caf::actor session;
  std::string secret;
};

/// Errors carry the exit codes of DESIGN.md §6 (2 denied, 3 policy, 5
/// unreachable, connection lost or too many sessions).
expected<protocol::ShellReply>
agent_shell(const config::values& cfg, const endpoint& agent,
            const std::string& node, const shell_terminal& terminal,
            const std::function<void(const std::string&)>& on_output,
            const std::function<void(const shell_handle&)>& on_attach);

/// What the operator typed; thread-safe.
void send_shell_input(const shell_handle& h, std::string bytes);
/// The operator's terminal changed size; thread-safe.
void send_shell_resize(const shell_handle& h, unsigned rows, unsigned cols);

} // namespace pact::client
