#pragma once

/// The journal's Prometheus metrics (served on the metrics port as text
/// exposition by the metrics endpoint; the list and the alerts built on
/// them: docs/operations.md "Metrics and alerts"). prometheus-cpp's core
/// library keeps the metric families; its counters and gauges are
/// thread-safe, so the replica and gateway actors update them and the HTTP
/// actor serializes them. Every series carries `replica` (the Raft id).

#include <map>
#include <memory>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "actors/journal/metrics_gateway.hpp"
#include "actors/journal/metrics_state.hpp"

namespace pact::journal {

struct raft_metrics {
  explicit raft_metrics(const std::string& node_id);

  std::shared_ptr<prometheus::Registry> registry;
  prometheus::Gauge* term;
  prometheus::Gauge* is_leader;
  prometheus::Gauge* leader_id;
  prometheus::Gauge* commit_index;
  prometheus::Gauge* applied_index;
  prometheus::Gauge* last_index;
  /// Entries in the local log not known committed (last - commit), and
  /// committed entries not yet applied (commit - applied).
  prometheus::Gauge* commit_lag;
  prometheus::Gauge* apply_lag;
  prometheus::Gauge* store_failed;
  prometheus::Counter* elections;
  prometheus::Counter* proposals;
  prometheus::Counter* proposals_failed;
  prometheus::Counter* forwarded;
  prometheus::Counter* messages_sent;
  prometheus::Counter* messages_received;
  prometheus::Histogram* fsync_seconds;
  prometheus::Histogram* batch_entries;
  /// The gateway's requests (the gateway's api_observer).
  std::shared_ptr<gateway_metrics> gateway;
  /// The state machine's gauges, refreshed by the replica.
  std::shared_ptr<state_metrics> state;

  /// Replication lag (entries) of `peer`, leader only.
  void set_lag(uint64_t peer, double entries);

private:
  prometheus::Family<prometheus::Gauge>* lag_family_;
  std::map<uint64_t, prometheus::Gauge*> lag_;
  std::string node_id_;
};

/// Text exposition format (version 0.0.4) of everything in `registry`.
std::string render_metrics(prometheus::Registry& registry);

} // namespace pact::journal
