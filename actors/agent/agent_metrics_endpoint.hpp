#pragma once

/// The agent's HTTP endpoint on --metrics-listen (agent.metrics_listen,
/// default 0.0.0.0:9446): `GET /metrics` answers the Prometheus text
/// exposition of agent_metrics.hpp. Plain HTTP, no token, like the
/// journal's metrics port (docs/security.md): nothing in it is secret.
/// A CAF broker that binds the port itself and answers one request per
/// connection.
///
/// A port that cannot be bound: when it was configured (`required`), the
/// endpoint stops with an error naming the address, as the journal's does;
/// at the default, it warns and carries on without /metrics (reported in
/// its health detail), since several agents on one test host, or another
/// exporter on 9446, must not keep a node's agent from managing the node.
/// Either way it sends (published_atom, port) — 0 when not bound — so that
/// start-up does not wait for it.

#include <string>

#include <caf/io/broker.hpp>

#include "actors/daemon/publish.hpp"
#include "actors/supervision/health.hpp"
#include "actors/supervision/supervisor.hpp"

namespace pact::agent {

struct agent_metrics_endpoint_config {
  daemon::listen_point listen;
  /// The port was configured (not the default): failing to bind it fails.
  bool required = false;
};

caf::behavior agent_metrics_endpoint(caf::io::broker* self,
                                     supervision::health_handle h,
                                     agent_metrics_endpoint_config cfg);

/// The supervised child ("agent/metrics") that runs the endpoint.
supervision::child_spec agent_metrics_child(agent_metrics_endpoint_config cfg);

} // namespace pact::agent
