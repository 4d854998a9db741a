#pragma once

/// Development credentials for `pact-journal --dev` (DESIGN.md §6): a random
/// HS256 signing secret, kept across restarts, and a fresh platform-admin
/// token so that a new user can run the CLI at once. Never for production:
/// anyone who can read the secret can mint any identity.

#include <cstdint>
#include <string>

#include "runtime/common/error.hpp"

namespace pact::policy {

struct dev_credentials {
  /// The HS256 secret (base64url text).
  std::string secret;
  /// <dir>/hmac-secret (mode 0600).
  std::string secret_path;
  /// <dir>/admin.token (mode 0600): sub "dev-admin", group
  /// pact-platform-admin, valid for `token_lifetime_seconds`.
  std::string token_path;
  /// <dir>/node.token (mode 0600): the node credential of this host for its
  /// pact-agent (sub = the node id given, group pact-node, principal type
  /// service, same lifetime; docs/authentication.md). Empty when no node
  /// id was given.
  std::string node_token_path;
};

/// A day: within the default journal.oidc.max_token_lifetime_seconds, so
/// the token the journal writes is one it accepts; renewed at every start.
inline constexpr int64_t dev_token_lifetime_seconds = 24 * 3600;

/// Creates `dir` (0700) if needed, reuses or creates the secret and writes a
/// new admin token signed with it for `issuer`/`audience`, and, when
/// `node_id` is not empty, a node credential for that node.
expected<dev_credentials>
ensure_dev_credentials(const std::string& dir, const std::string& issuer,
                       const std::string& audience, int64_t now_unix_seconds,
                       const std::string& node_id = {});

} // namespace pact::policy
