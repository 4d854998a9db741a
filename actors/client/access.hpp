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
#include "runtime/login/https_client.hpp"
#include "runtime/login/token_cache.hpp"

namespace pact::client {

/// The journal endpoints of `cfg` (`endpoint`: a list, or one string of
/// comma-separated URLs, e.g. PACT_ENDPOINT); errors name the source of the
/// bad one. At least one on success.
expected<std::vector<endpoint>> journal_endpoints(const config::values& cfg);

/// The bearer token, the first of (docs/authentication.md, "Which token
/// is sent"):
/// 1. the environment variable `own_variable` when given and set
///    (pact-mcp: PACT_MCP_TOKEN);
/// 2. --token / PACT_TOKEN / cli.toml `token` (flags > env > file);
/// 3. the `pact login` cache of the first journal endpoint that has one
///    (login_cache_dir), renewed first when about to expire
///    (runtime/login/renewal.hpp); a cache with loose permissions, or an
///    expired login that cannot be renewed, is an error, never skipped;
/// 4. the token file (trailing whitespace dropped).
/// None found: "No auth token found: set [OWN, ]PACT_TOKEN or write the
/// token to FILE (or run pact login)" (exit 2); an unreadable token file is
/// exit 2 naming the file.
expected<std::string> resolve_token(const config::values& cfg,
                                    const char* own_variable = nullptr);

/// HTTPS settings for the identity provider (`oidc_ca_bundle`, the
/// command's timeout).
login::https_options idp_http(const config::values& cfg,
                              const config::env_lookup& env);

/// The `pact login` cache (`login_cache_dir`).
login::token_cache login_cache(const config::values& cfg,
                               const config::env_lookup& env);

/// The per-command deadline (`timeout_seconds`).
std::chrono::milliseconds timeout_of(const config::values& cfg);

} // namespace pact::client
