#pragma once

/// The journal's Prometheus metrics (served on the metrics port as text
/// exposition by the metrics endpoint). prometheus-cpp's core library keeps
/// the metric families; its counters and gauges are thread-safe, so the
/// replica actor updates them and the HTTP actor serializes them.

#include <map>
#include <memory>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

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
  prometheus::Gauge* store_failed;
  prometheus::Counter* elections;
  prometheus::Counter* proposals;
  prometheus::Counter* proposals_failed;
  prometheus::Counter* forwarded;
  prometheus::Counter* messages_sent;
  prometheus::Counter* messages_received;
  prometheus::Histogram* fsync_seconds;
  prometheus::Histogram* batch_entries;

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
