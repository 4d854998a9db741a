#pragma once

/// The journal's client gateway (DESIGN.md §1): published on the gateway port
/// (9443), it accepts (api_atom, Request bytes) from the CLI and pact-mcp and
/// (node_report_atom, NodeReport bytes) from agents. Every API request passes
/// the one authentication seam (runtime/policy/request_auth) before its
/// handler runs; handlers are looked up by request body type, so the journal
/// commands of later issues plug in as new entries of the dispatch table.

#include <chrono>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>

#include "actors/daemon/api_endpoint.hpp"
#include "actors/daemon/publish.hpp"
#include "actors/supervision/health.hpp"
#include "runtime/common/clock.hpp"
#include "runtime/journal/node_ca.hpp"
#include "runtime/policy/token.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::journal {

struct gateway_config {
  /// Where to listen.
  daemon::listen_point listen;
  /// This process's health registry (answers status requests).
  caf::actor registry;
  /// Token verification settings.
  policy::verifier_config verifier;
  /// Wall clock for token expiry and node ages.
  std::shared_ptr<const pact::clock> wall;
  /// Requests being answered at once before the gateway refuses more.
  size_t max_in_flight = 4096;
  /// How long a write may wait for commit before the client is told its
  /// outcome is unknown.
  std::chrono::milliseconds propose_timeout{5000};
  /// `journal.policy.opa_url`: the OPA server asked about commands the
  /// built-in rules allow; empty: none (docs/authorization.md "OPA").
  std::string opa_url;
  /// `journal.policy.opa_timeout_ms`.
  std::chrono::milliseconds opa_timeout{2000};
  /// What an unauthenticated discovery request is told (`pact login`).
  protocol::DiscoveryReply discovery;
  /// The CA that signs node certificates (enrollment, issue 16); shared
  /// with whoever rotates it. Null: enrollment and CA bundle requests are
  /// refused.
  std::shared_ptr<journal::node_ca> node_ca;
  /// Counts requests for /metrics (metrics_gateway.hpp); null: none.
  std::shared_ptr<daemon::api_observer> observer;
};

caf::behavior gateway(caf::event_based_actor* self,
                      supervision::health_handle h, gateway_config cfg);

} // namespace pact::journal
