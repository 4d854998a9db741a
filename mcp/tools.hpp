#pragma once

/// The pact tools exposed over MCP. Each maps onto the same client library
/// the CLI uses (actors/client), so results and errors match the CLI's.

#include <vector>

#include <caf/actor_system.hpp>

#include "mcp/server.hpp"
#include "runtime/common/config.hpp"

namespace pact::mcp {

/// Tools backed by the journal at the CLI configuration's endpoint.
std::vector<tool> make_tools(caf::actor_system& sys,
                             const config::values& cli_cfg);

} // namespace pact::mcp
