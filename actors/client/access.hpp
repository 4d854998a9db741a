#pragma once

/// Where the client connects and as whom, from the CLI configuration
/// (~/.config/pact/cli.toml, environment, flags: docs/configuration.md):
/// the same resolution for `pact` and `pact-mcp`.

#include <chrono>
#include <string>
#include <vector>

#include "runtime/common/config.hpp"
#include "runtime/common/endpoint.hpp"
#include "runtime/common/error.hpp"

namespace pact::client {

/// The journal endpoints of `cfg` (`endpoint`: a list, or one string of
/// comma-separated URLs, e.g. PACT_ENDPOINT); errors name the source of the
/// bad one. At least one on success.
expected<std::vector<endpoint>> journal_endpoints(const config::values& cfg);

/// The bearer token: the environment variable `own_variable` when given
/// and set (pact-mcp: PACT_MCP_TOKEN), else --token / PACT_TOKEN / cli.toml
/// `token`, else the token file (trailing whitespace dropped). None found:
/// "No auth token found: set [OWN, ]PACT_TOKEN or write the token to FILE"
/// (exit 2); an unreadable token file is exit 2 naming the file.
expected<std::string> resolve_token(const config::values& cfg,
                                    const char* own_variable = nullptr);

/// The per-command deadline (`timeout_seconds`).
std::chrono::milliseconds timeout_of(const config::values& cfg);

} // namespace pact::client
