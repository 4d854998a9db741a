#pragma once

/// The journal state machine's Prometheus gauges (docs/operations.md
/// "Metrics and alerts"), as this replica has applied it:
///
///   pact_journal_entries                               gauge
///   pact_journal_vclusters                             gauge
///   pact_journal_nodes{state}                          gauge
///   pact_journal_approvals_pending                     gauge
///   pact_journal_approval_next_expiry_timestamp_seconds gauge (0: none)
///   pact_journal_emergencies_active                    gauge
///
/// `state`: observe_only, committed, drifted, converging, emergency,
/// unspecified. Counting walks the node and approval tables (O(state)), so
/// the replica refreshes at most once per `min_interval` and only when the
/// applied index moved: the flush stays O(batch) (state_metrics::due).

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "runtime/journal/config_state_machine.hpp"

namespace pact::journal {

class state_metrics {
public:
  using time_point = std::chrono::steady_clock::time_point;

  state_metrics(prometheus::Registry& registry, const std::string& replica);

  /// Whether a refresh is worth it now: the applied index moved since the
  /// last one, and `min_interval` passed (the replica passes its actor
  /// clock's time, which is steady_clock's in CAF 0.17).
  bool due(uint64_t applied, time_point now);

  /// Recomputes every gauge from `sm`.
  void refresh(const config_state_machine& sm);

  static constexpr std::chrono::seconds min_interval{1};

private:
  prometheus::Gauge* entries_;
  prometheus::Gauge* vclusters_;
  prometheus::Gauge* approvals_pending_;
  prometheus::Gauge* approval_next_expiry_;
  prometheus::Gauge* emergencies_;
  std::map<int, prometheus::Gauge*> nodes_;
  uint64_t applied_ = ~uint64_t{0};
  bool refreshed_ = false;
  time_point last_{};
};

} // namespace pact::journal
