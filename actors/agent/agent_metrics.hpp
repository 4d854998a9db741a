#pragma once

/// The agent's Prometheus metrics, served on --metrics-listen (9446) by
/// agent_metrics_endpoint (docs/operations.md "Metrics and alerts"):
///
///   pact_agent_info{node, version}                     gauge, 1
///   pact_agent_drift_items                             gauge
///   pact_agent_drift_records_total{kind}               counter
///   pact_agent_commit_window_state{state}              gauge, 1 for the phase
///   pact_agent_commit_window_end_timestamp_seconds     gauge (0: closed)
///   pact_agent_services{state}                         gauge
///   pact_agent_service_restarts_total{service}         counter
///   pact_agent_exec_total{result}                      counter
///   pact_agent_gpu_devices                             gauge
///   pact_agent_gpu_tool_failed                         gauge, 0/1
///   pact_agent_gpu_temperature_celsius{gpu}            gauge
///   pact_agent_gpu_ecc_uncorrected_errors{gpu}         gauge
///   pact_agent_gpu_throttled{gpu}                      gauge, 0/1
///   pact_agent_gpu_health_changes_total{kind}          counter
///
/// Labels are bounded: `kind` a drift record's command kind, or for a
/// record its entry type (drift_detected, drift_resolved, window_expired,
/// auto_converge, …), or a GPU change kind; `state` the commit window phase
/// (closed, open, expired) or a service state (running, backoff, failed, …,
/// blocked, malformed); `service` a declared service; `result` ok,
/// nonzero_exit, timed_out, failed, refused; `gpu` the tool's index.
///
/// Why one object per process instead of one passed in each actor's
/// config: the watcher, supervisor, exec API and poller are restarted by
/// their supervisors and their counters must not restart with them; a
/// process-wide registry keeps the hooks in those actors to one line. The
/// calls are cheap (atomic counters; a mutex only where a label set can
/// grow) and thread-safe: the endpoint renders from another thread.

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "runtime/node/commit_window.hpp"
#include "runtime/node/gpu_health.hpp"
#include <pact/protocol/journal.pb.h>

namespace pact::agent {

class agent_metrics {
public:
  /// The process's metrics.
  static agent_metrics& get();

  /// Sets pact_agent_info (once, at start-up).
  void set_info(const std::string& node, const std::string& version);
  /// A drift record (DRIFT_DETECTED, AUTO_CONVERGE, or a RECORD of type
  /// WINDOW_EXPIRED, DRIFT_RESOLVED, …) was queued.
  void drift_record(const protocol::JournalCommand& cmd);
  /// The watcher's view after a poll: items drifted, the window's phase,
  /// its end (ms since the epoch; 0 while closed).
  void drift_state(size_t items, node::window_phase phase,
                   int64_t window_ends_ms);
  /// Services by state now (every state not named is set to 0).
  void services(const std::map<std::string, size_t>& by_state);
  /// `service` reports `restarts` since its actor started; the increase
  /// since the last report is counted (a new actor starts again at 0).
  void service_restarts(const std::string& service, uint32_t restarts);
  /// An exec finished: phase "finished" (with its exit code and timeout
  /// flag), "failed" or "refused"; "started" is not counted.
  void exec_recorded(const std::string& phase, int32_t exit_code,
                     bool timed_out);
  /// One GPU poll's outcome.
  void gpu_polled(const node::gpu_poll& poll);
  /// Health changes found between two polls.
  void gpu_changes(const std::vector<node::gpu_change>& changes);

  /// Text exposition format (version 0.0.4).
  std::string render();

private:
  agent_metrics();

  std::mutex mu_;
  prometheus::Registry registry_;
  prometheus::Family<prometheus::Gauge>* info_;
  prometheus::Gauge* drift_items_;
  prometheus::Family<prometheus::Counter>* drift_records_;
  std::map<node::window_phase, prometheus::Gauge*> window_state_;
  prometheus::Gauge* window_end_;
  prometheus::Family<prometheus::Gauge>* services_;
  std::map<std::string, prometheus::Gauge*> service_states_;
  prometheus::Family<prometheus::Counter>* restarts_;
  std::map<std::string, uint32_t> restarts_seen_;
  prometheus::Family<prometheus::Counter>* exec_;
  prometheus::Gauge* gpu_devices_;
  prometheus::Gauge* gpu_tool_failed_;
  prometheus::Family<prometheus::Gauge>* gpu_temperature_;
  prometheus::Family<prometheus::Gauge>* gpu_ecc_;
  prometheus::Family<prometheus::Gauge>* gpu_throttled_;
  prometheus::Family<prometheus::Counter>* gpu_changes_;
  /// GPU series by index, dropped when the device goes.
  std::map<uint32_t,
           std::vector<std::pair<prometheus::Family<prometheus::Gauge>*,
                                 prometheus::Gauge*>>>
    gpu_series_;
};

} // namespace pact::agent
