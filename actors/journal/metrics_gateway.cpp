#include "actors/journal/metrics_gateway.hpp"

#include <algorithm>
#include <cctype>

namespace pact::journal {

namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

bool contains(const std::string& text, const char* part) {
  return text.find(part) != std::string::npos;
}

} // namespace

std::string request_kind_label(const std::string& kind) {
  if (kind.empty())
    return "unknown";
  std::string out;
  for (unsigned char c : kind)
    out += std::isalnum(c) ? static_cast<char>(std::tolower(c)) : '_';
  return out;
}

std::string status_label(protocol::StatusCode code) {
  auto name = protocol::StatusCode_Name(code);
  const std::string prefix = "STATUS_CODE_";
  if (name.rfind(prefix, 0) == 0)
    name = name.substr(prefix.size());
  if (name.empty())
    return "code_" + std::to_string(static_cast<int>(code));
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  return name;
}

std::string auth_failure_reason(bool no_token, bool unknown_key,
                                const std::string& message) {
  // The refusal texts are runtime/policy/token.cpp's and request_auth.cpp's;
  // a text none of these match counts as "claims" (a claim missing or of
  // the wrong type), so the label set stays bounded whatever the text.
  if (no_token)
    return "missing";
  if (unknown_key)
    return "unknown_key";
  if (contains(message, "malformed"))
    return "malformed";
  if (contains(message, "expired"))
    return "expired";
  if (contains(message, "not valid before")
      || contains(message, "in the future"))
    return "not_yet_valid";
  if (contains(message, "algorithm"))
    return "algorithm";
  if (contains(message, "signature"))
    return "signature";
  if (contains(message, "signing key") || contains(message, "kid"))
    return "unknown_key";
  if (contains(message, "issuer"))
    return "issuer";
  if (contains(message, "audience"))
    return "audience";
  return "claims";
}

gateway_metrics::gateway_metrics(prometheus::Registry& r,
                                 const std::string& replica)
  : replica_(replica) {
  requests_ = &BuildCounter()
                 .Name("pact_gateway_requests_total")
                 .Help("Client API requests answered, by kind and result")
                 .Register(r);
  duration_ = &BuildHistogram()
                 .Name("pact_gateway_request_duration_seconds")
                 .Help("Time from a request's arrival to its answer")
                 .Register(r);
  auth_failures_ = &BuildCounter()
                      .Name("pact_gateway_auth_failures_total")
                      .Help("Requests refused by authentication, by reason")
                      .Register(r);
  in_flight_ = &BuildGauge()
                  .Name("pact_gateway_requests_in_flight")
                  .Help("Requests being answered now")
                  .Register(r)
                  .Add({{"replica", replica}});
}

void gateway_metrics::answered(const std::string& kind,
                               protocol::StatusCode code, double seconds) {
  auto key = std::make_pair(kind, static_cast<int>(code));
  auto& counter = request_series_[key];
  if (counter == nullptr)
    counter = &requests_->Add({{"replica", replica_},
                               {"kind", request_kind_label(kind)},
                               {"result", status_label(code)}});
  counter->Increment();
  auto& hist = duration_series_[key.first];
  if (hist == nullptr)
    hist = &duration_->Add(
      {{"replica", replica_}, {"kind", request_kind_label(kind)}},
      prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.0025, 0.005,
                                              0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                              1, 2.5, 5, 10});
  hist->Observe(seconds);
}

void gateway_metrics::in_flight(size_t n) {
  in_flight_->Set(static_cast<double>(n));
}

void gateway_metrics::auth_failed(bool no_token, bool unknown_key,
                                  const std::string& message) {
  auth_failures_
    ->Add({{"replica", replica_},
           {"reason", auth_failure_reason(no_token, unknown_key, message)}})
    .Increment();
}

} // namespace pact::journal
