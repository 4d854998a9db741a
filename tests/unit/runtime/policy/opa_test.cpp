// The OPA client's pure parts (issue 13 item 5): the request body, reading
// the answer, and how the answer combines with the built-in decision (the
// degraded rules of DESIGN.md §5). The HTTP call itself is covered by
// tests/e2e/test_authz.py against a local server.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "runtime/policy/opa.hpp"

using namespace pact::policy;
using json = nlohmann::json;

namespace {

opa_input sample() {
  opa_input in;
  in.subject = "olga";
  in.principal_type = "human";
  in.roles = {"pact-ops-ml"};
  in.action = "commit";
  in.vcluster = "ml";
  in.node = "n1";
  in.regulated = true;
  in.vcluster_policy.set_two_person_approval(true);
  in.vcluster_policy.set_ai_exec_allowed(true);
  return in;
}

decision allowed(bool needs_engine, bool approval = false) {
  decision d;
  d.out = decision::outcome::allow;
  d.needs_engine = needs_engine;
  d.needs_approval = approval;
  return d;
}

} // namespace

TEST_CASE("the request body is {input: {principal, roles, action, scope, "
          "vcluster_policy}}") {
  auto j = json::parse(opa_request_body(sample()));
  CHECK(j == json::parse(R"({"input": {
    "principal": {"subject": "olga", "type": "human"},
    "roles": ["pact-ops-ml"],
    "action": "commit",
    "scope": {"vcluster": "ml", "node": "n1", "regulated": true},
    "vcluster_policy": {"ai_write_allowed": false, "ai_exec_allowed": true,
                        "emergency_allowed": true, "regulated": false,
                        "two_person_approval": true}}})"));
}

TEST_CASE("reading OPA's answer") {
  using k = opa_answer::kind;
  CHECK(parse_opa_answer(200, R"({"result": true})").k == k::allow);
  CHECK(parse_opa_answer(200, R"({"result": false})").k == k::deny);
  // An undefined rule: OPA answers {} (no result): not an allow.
  CHECK(parse_opa_answer(200, "{}").k == k::deny);
  CHECK(parse_opa_answer(200, R"({"result": "yes"})").k == k::deny);
  auto err = parse_opa_answer(500, R"({"code": "internal_error"})");
  CHECK(err.k == k::unreachable);
  CHECK(err.why == "HTTP 500");
  CHECK(parse_opa_answer(200, "not json").k == k::unreachable);
  CHECK(parse_opa_answer(200, "[true]").k == k::unreachable);
}

TEST_CASE("OPA's answer after the built-in rules") {
  auto in = sample();
  const std::string url = "http://opa:8181";
  opa_answer yes{opa_answer::kind::allow, {}};
  opa_answer no{opa_answer::kind::deny, {}};
  opa_answer down{opa_answer::kind::unreachable, "connection refused"};
  // A built-in refusal stands, whatever OPA says.
  decision denied;
  denied.message = "policy: denied: x";
  CHECK(after_opa(denied, yes, in, url).message == "policy: denied: x");
  CHECK(after_opa(allowed(false), yes, in, url).allowed());
  auto r = after_opa(allowed(false), no, in, url);
  CHECK(r.exit_code() == 3);
  CHECK(r.message == "policy: rejected by OPA (action commit on vcluster ml)");
  // Unreachable: the degraded rules. Basic RBAC goes on ...
  CHECK(after_opa(allowed(false), down, in, url).allowed());
  // ... what needs the engine (two-person approval) does not.
  auto d = after_opa(allowed(true, true), down, in, url);
  CHECK(d.exit_code() == 3);
  CHECK(d.message
        == "policy engine unreachable (OPA at http://opa:8181: connection "
           "refused); action commit on vcluster ml needs it (two-person "
           "approval)");
  // Credentials in the URL are not echoed.
  auto secret = after_opa(allowed(true), down, in, "http://u:pw@opa:8181/?x=1");
  CHECK(secret.message.find("pw") == std::string::npos);
  CHECK(secret.message.find("http://opa:8181/") != std::string::npos);
}

TEST_CASE("an OPA that cannot be reached is unreachable, quickly") {
  // Port 9 (discard) on loopback: nothing listens there in the test
  // environment, so the connection is refused at once.
  auto a = ask_opa("http://127.0.0.1:9", "{}", std::chrono::milliseconds(500));
  CHECK(a.k == opa_answer::kind::unreachable);
}
