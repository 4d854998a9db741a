#pragma once

/// The gateway's Prometheus metrics (docs/operations.md "Metrics and
/// alerts"): every client API request by kind and result, its latency, the
/// requests in flight and authentication failures by reason. An
/// api_observer (actors/daemon/api_endpoint.hpp): the gateway actor calls
/// it, the metrics endpoint reads the counters from another thread
/// (prometheus-cpp's counters are atomic).
///
///   pact_gateway_requests_total{kind, result}   counter
///   pact_gateway_request_duration_seconds{kind} histogram
///   pact_gateway_requests_in_flight             gauge
///   pact_gateway_auth_failures_total{reason}    counter
///
/// `kind` is the request's kind as operators know it, in snake case
/// ("journal_command", "log", "boot_config", …; "unknown" when the request
/// did not parse); `result` the
/// status code's name without its prefix, lower case ("ok",
/// "unauthorized", …). `reason`: missing, expired, not_yet_valid,
/// signature, unknown_key, issuer, audience, algorithm, malformed, claims.
/// All three label sets are bounded by the protocol, never by callers.

#include <map>
#include <memory>
#include <string>
#include <utility>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "actors/daemon/api_endpoint.hpp"

namespace pact::journal {

class gateway_metrics final : public daemon::api_observer {
public:
  gateway_metrics(prometheus::Registry& registry, const std::string& replica);

  void answered(const std::string& kind, protocol::StatusCode code,
                double seconds) override;
  void in_flight(size_t n) override;
  void auth_failed(bool no_token, bool unknown_key,
                   const std::string& message) override;

private:
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Histogram>* duration_;
  prometheus::Family<prometheus::Counter>* auth_failures_;
  prometheus::Gauge* in_flight_;
  std::string replica_;
  /// Series made so far (families keep them; these avoid a label lookup
  /// per request). Touched by the gateway actor only.
  std::map<std::pair<std::string, int>, prometheus::Counter*> request_series_;
  std::map<std::string, prometheus::Histogram*> duration_series_;
};

/// The `kind` label of daemon::request_kind()'s text ("journal command" ->
/// "journal_command", "CA bundle" -> "ca_bundle"; "" -> "unknown").
std::string request_kind_label(const std::string& kind);

/// The `result` label of a status code ("ok", "unauthorized").
std::string status_label(protocol::StatusCode code);

/// The `reason` label of an authentication refusal (see above).
std::string auth_failure_reason(bool no_token, bool unknown_key,
                                const std::string& message);

} // namespace pact::journal
