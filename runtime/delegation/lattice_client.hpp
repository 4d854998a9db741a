#pragma once

/// pact's client of the lattice scheduler (docs/delegation.md), for `pact`
/// and `pact-mcp`: settings from the environment and one call at a time,
/// JSON in and out. The gRPC client itself is the pact-lattice module
/// (lattice_module.hpp says why it is one), loaded at the first call from
/// `<program dir>/../lib/pact/pact-lattice.so` (installed layout and the
/// build tree) or `<program dir>/pact-lattice.so`.
///
/// Thread-safe: calls may run on several threads at once.

#include <string>

#include <nlohmann/json.hpp>

#include "runtime/common/error.hpp"

namespace pact::delegation {

/// The guide's words for a missing endpoint (issue 17 item 2), exit 1.
inline constexpr const char* lattice_not_configured
  = "lattice endpoint not configured (set PACT_LATTICE_ENDPOINT)";

struct lattice_settings {
  /// PACT_LATTICE_ENDPOINT: "https://host:port", "http://host:port"
  /// (plaintext) or "host:port" (TLS).
  std::string endpoint;
  /// Bearer token: PACT_LATTICE_TOKEN, else the operator's own pact token
  /// (lattice and pact share the site's identity provider).
  std::string token;
  /// The token is PACT_LATTICE_TOKEN's (for the advice on a refusal).
  bool token_from_env = false;
  /// PEM CA bundle an https endpoint is verified with: the site CA
  /// (PACT_CA_BUNDLE / ca_bundle); empty: the system's roots.
  std::string ca_bundle;
  /// Per-call deadline (issue 17 item 1: 5 s).
  long deadline_ms = 5000;
};

/// Settings from PACT_LATTICE_ENDPOINT and PACT_LATTICE_TOKEN, with
/// `pact_token` as the token when PACT_LATTICE_TOKEN is unset or empty and
/// `ca_bundle` for TLS. Errors: no endpoint (lattice_not_configured, exit
/// 1); an endpoint with another scheme, a path or no port (exit 1).
expected<lattice_settings>
lattice_settings_from_env(const std::string& pact_token,
                          const std::string& ca_bundle);

/// Checks an endpoint's form; empty when good, else why not.
std::string check_lattice_endpoint(const std::string& endpoint);

/// Calls `method` ("NodeService/DrainNode") of package lattice.v1 with
/// `request` (proto3 JSON, the schema's field names) and returns the
/// response (every field present, 64-bit integers as numbers). Errors:
/// the module missing or of another version (exit 1), and lattice's
/// failures as pact's exit codes and sentences (lattice_status.hpp).
expected<nlohmann::json> lattice_call(const lattice_settings& settings,
                                      const std::string& method,
                                      const nlohmann::json& request);

} // namespace pact::delegation
