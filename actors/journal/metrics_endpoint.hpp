#pragma once

/// The journal's HTTP endpoint on the metrics port (default 9091):
///   GET /metrics  Prometheus text exposition of the journal's metrics
///   GET /health   JSON: role, term, leader_id, commit_index, applied_index,
///                 last_index, voters, learners, digest, failure
/// A CAF broker: it binds the port itself, answers one request per
/// connection and closes it. /health asks the current replica incarnation
/// (found by name in the actor registry) and answers 503 when there is none.

#include <memory>

#include <caf/io/broker.hpp>

#include "actors/daemon/publish.hpp"
#include "actors/journal/metrics.hpp"
#include "actors/supervision/health.hpp"

namespace pact::journal {

struct metrics_endpoint_config {
  daemon::listen_point listen;
  std::shared_ptr<raft_metrics> metrics;
};

caf::behavior metrics_endpoint(caf::io::broker* self,
                               supervision::health_handle h,
                               metrics_endpoint_config cfg);

} // namespace pact::journal
