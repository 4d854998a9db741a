// The journal's metrics beyond Raft (issue 18 item 3; docs/operations.md
// "Metrics and alerts"): the gateway's labels stay bounded, requests are
// counted by kind and result, authentication refusals by reason, and the
// state machine's gauges follow what was applied at most once a second.

#include <doctest/doctest.h>

#include "actors/journal/metrics.hpp"
#include "tests/unit/runtime/journal/config_test_util.hpp"

namespace pact::journal {

namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

} // namespace

TEST_CASE("request kinds and results become snake-case labels") {
  CHECK(request_kind_label("journal command") == "journal_command");
  CHECK(request_kind_label("CA bundle") == "ca_bundle");
  CHECK(request_kind_label("boot config") == "boot_config");
  CHECK(request_kind_label("") == "unknown");
  CHECK(status_label(protocol::STATUS_CODE_OK) == "ok");
  CHECK(status_label(protocol::STATUS_CODE_UNAUTHORIZED) == "unauthorized");
}

TEST_CASE("authentication refusals map to a bounded set of reasons") {
  // The texts of runtime/policy/token.cpp and request_auth.cpp.
  auto reason = [](const std::string& text) {
    return auth_failure_reason(false, false, "authentication failed: " + text);
  };
  CHECK(auth_failure_reason(true, false, "No auth token found") == "missing");
  CHECK(auth_failure_reason(false, true, "anything") == "unknown_key");
  CHECK(reason("token expired at 2026-01-01T00:00:00Z") == "expired");
  CHECK(reason("token is not valid before 2030-01-01T00:00:00Z")
        == "not_yet_valid");
  CHECK(reason("token was issued in the future (iat 2030)") == "not_yet_valid");
  CHECK(reason("token signature is invalid") == "signature");
  CHECK(reason("malformed token: signature is not base64url") == "malformed");
  CHECK(reason("token algorithm 'none' is refused: unsigned tokens are "
               "never accepted")
        == "algorithm");
  CHECK(reason("token algorithm RS256 does not fit signing key 'k1'")
        == "algorithm");
  CHECK(reason("token signing key 'k9' is not in the identity provider's "
               "key set")
        == "unknown_key");
  CHECK(reason("token issuer 'x' is not the configured issuer 'y'")
        == "issuer");
  CHECK(reason("token audience 'x' is not 'pact'") == "audience");
  CHECK(reason("token is missing the sub claim") == "claims");
}

TEST_CASE("the gateway counts requests, latency, in-flight and refusals") {
  raft_metrics m{"2"};
  m.gateway->in_flight(3);
  m.gateway->answered("journal command", protocol::STATUS_CODE_OK, 0.002);
  m.gateway->answered("journal command", protocol::STATUS_CODE_OK, 0.004);
  m.gateway->answered("status", protocol::STATUS_CODE_UNAUTHORIZED, 0.0001);
  m.gateway->auth_failed(false, false, "token expired at …");
  auto text = render_metrics(*m.registry);
  CHECK(has_line(text, "pact_gateway_requests_total{kind=\"journal_command\","
                       "replica=\"2\",result=\"ok\"} 2"));
  CHECK(has_line(text, "pact_gateway_requests_total{kind=\"status\","
                       "replica=\"2\",result=\"unauthorized\"} 1"));
  CHECK(has_line(text, "pact_gateway_request_duration_seconds_count{kind="
                       "\"journal_command\",replica=\"2\"} 2"));
  CHECK(has_line(text, "pact_gateway_requests_in_flight{replica=\"2\"} 3"));
  CHECK(has_line(text, "pact_gateway_auth_failures_total{reason=\"expired\","
                       "replica=\"2\"} 1"));
}

TEST_CASE("state gauges refresh after an apply, at most once a second") {
  using namespace std::chrono_literals;
  raft_metrics m{"1"};
  config_state_machine sm;
  state_metrics::time_point t0{};
  CHECK(m.state->due(sm.applied(), t0));
  m.state->refresh(sm);
  auto text = render_metrics(*m.registry);
  CHECK(has_line(text, "pact_journal_entries{replica=\"1\"} 0"));
  CHECK(
    has_line(text, "pact_journal_nodes{replica=\"1\",state=\"committed\"} 0"));
  CHECK_FALSE(m.state->due(sm.applied(), t0 + 5s)); // nothing applied

  sm.apply(1,
           test::node_commit("n1", "vm.swappiness", "10").SerializeAsString());
  CHECK_FALSE(m.state->due(sm.applied(), t0 + 500ms)); // too soon
  REQUIRE(m.state->due(sm.applied(), t0 + 1s));
  m.state->refresh(sm);
  text = render_metrics(*m.registry);
  CHECK(has_line(text, "pact_journal_entries{replica=\"1\"} 1"));
  CHECK(
    has_line(text, "pact_journal_nodes{replica=\"1\",state=\"committed\"} 1"));
  CHECK(has_line(text, "pact_journal_approvals_pending{replica=\"1\"} 0"));
  CHECK(has_line(text, "pact_journal_emergencies_active{replica=\"1\"} 0"));
}

TEST_CASE("commit and apply lag are exported") {
  raft_metrics m{"1"};
  m.commit_lag->Set(4);
  m.apply_lag->Set(2);
  auto text = render_metrics(*m.registry);
  CHECK(has_line(text, "pact_raft_commit_lag_entries{replica=\"1\"} 4"));
  CHECK(has_line(text, "pact_raft_apply_lag_entries{replica=\"1\"} 2"));
}

} // namespace pact::journal
