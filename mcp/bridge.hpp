#pragma once

/// What every pact-mcp tool call shares: the CLI configuration (with the
/// bridge's own token, PACT_MCP_TOKEN), the actor system, the operator's
/// choices (PACT_MCP_ALLOW_DESTRUCTIVE, PACT_LATTICE_ENDPOINT), and the
/// conversions of the client library's outcomes into tool results with
/// the CLI's words and exit codes (docs/mcp.md, "Same answers as pact").
///
/// Each call opens its own journal session, so a journal (or agent) that
/// was down is simply asked again on the next call: the bridge keeps
/// serving while a backend is away and needs no reconnect step.

#include <memory>
#include <string>

#include <caf/actor_system.hpp>

#include "actors/client/journal_session.hpp"
#include "mcp/server.hpp"
#include "runtime/common/config.hpp"

namespace pact::mcp {

struct bridge {
  caf::actor_system& sys;
  /// The CLI configuration, the token being PACT_MCP_TOKEN's when set.
  config::values cfg;
  /// PACT_MCP_ALLOW_DESTRUCTIVE=1: destructive tools run without asking
  /// when the client cannot elicit.
  bool allow_destructive = false;
};

/// The bridge's own environment variables (docs/mcp.md).
struct options {
  /// PACT_MCP_ALLOW_DESTRUCTIVE: "1" (or "true") allows; "0", "false" or
  /// unset does not; anything else is an error.
  bool allow_destructive = false;
  /// PACT_MCP_PAGE_SIZE: tools per tools/list page, 1..1000.
  std::size_t page_size = default_page_size;
};

/// Reads them; a bad value is an error naming the variable (exit 1).
expected<options> bridge_options(const config::env_lookup& env);

/// A failed call as the CLI reports it: the same line (without "pact: ")
/// and, for programs, the exit code `pact` would give.
tool_result failed(const error& e);

/// A write held for a second person's approval, returned at once (the
/// bridge never blocks on a human): the id to have accepted and, for an
/// agent action, the call that uses the grant.
tool_result held(const protocol::Approval& a, const std::string& then = {});

/// One tool call's journal session. Writes the journal holds for approval
/// come back as they are (no pending handler): the tool returns held().
/// A possibly stale answer is announced at the top of the text, as the
/// CLI does on stderr.
struct bridge_session {
  expected<std::unique_ptr<client::journal_session>> s;
  std::string warning;

  explicit bridge_session(const bridge& b);

  client::journal_session& operator*() {
    return **s;
  }
};

/// The agent to ask about `node` ("": the one at PACT_AGENT_ENDPOINT /
/// agent_endpoint), as `pact` finds it; a name that is not a node name is
/// an error (exit 1) before anything is asked.
expected<endpoint> node_agent(const bridge& b, bridge_session& s,
                              const std::string& node);

} // namespace pact::mcp
