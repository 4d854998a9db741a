#pragma once

// Which node agent a command about a node asks (`pact cap`, `pact service`):
// PACT_AGENT_ENDPOINT / agent_endpoint when set; for a named node, the
// endpoint its agent recorded in the journal at boot; else this host's
// agent at the configured default.

#include <string>

#include "cli/options.hpp"
#include "runtime/common/endpoint.hpp"
#include "runtime/common/error.hpp"

namespace pact::cli {

expected<endpoint> agent_of(context& ctx, const std::string& node);

} // namespace pact::cli
