#pragma once

/// The journal's TLS policies (docs/security.md "What each port requires"):
/// the gateway (https:// journal.listen) presents journal.tls.cert and asks
/// clients for a certificate without requiring one (agents present their
/// node certificate, the CLI none); replica links (https:// raft endpoints)
/// require a certificate on both sides, signed by journal.raft.tls_ca.

#include <functional>
#include <optional>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/io/middleman_actor.hpp>

#include "actors/net/tls_transport.hpp"
#include "runtime/common/config.hpp"
#include "runtime/common/error.hpp"

namespace pact::journal {

struct journal_tls_plan {
  /// Set when journal.listen is https://.
  std::optional<net::tls_policy> gateway;
  /// Set when the raft endpoints are https://.
  std::optional<net::tls_policy> raft;
  /// Rebuilds the gateway's context to verify agents against another node
  /// CA (a peer's ephemeral CA was adopted); no-op without a TLS gateway.
  std::function<void(const std::string& node_ca_pem)> retrust_gateway;
};

/// Reads the certificates and builds the contexts, before anything
/// listens, so a missing or mismatched file stops the journal at start with
/// the key and file named. `node_ca_pem` (may be empty) verifies the client
/// certificates agents present to the gateway.
/// `warn` logs a certificate outside its dates (off for a check only).
expected<journal_tls_plan>
plan_journal_tls(const config::values& v, bool gateway_tls, bool raft_tls,
                 const std::string& node_ca_pem, bool warn = true);

/// The middleman for a planned policy, or null when there is none.
caf::io::middleman_actor spawn_planned(caf::actor_system& sys,
                                       const std::optional<net::tls_policy>& p);

} // namespace pact::journal
