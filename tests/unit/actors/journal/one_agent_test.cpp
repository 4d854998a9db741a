// One agent per node (docs/agent.md, "One agent per node"; tester, issue
// 11): a second agent with the same node id, run with another --root and
// --state-dir, took over the node's recorded agent endpoint, and once it
// exited `pact diff NODE` failed (exit 5) until the real agent restarted.
// The gateway now refuses the second agent's records and drops its
// reports while the first is connected and reporting; once the first is
// gone (or silent), another may take the node.

#include <doctest/doctest.h>

#include "runtime/policy/token.hpp"
#include "tests/unit/actors/journal/journal_fixture.hpp"

using namespace pact;
using namespace pact::protocol;

namespace {

const std::string secret = "one-agent-test-secret-0123456789ab";

std::string token_for(const std::shared_ptr<pact::manual_clock>& wall,
                      const std::string& subject, const std::string& group) {
  policy::token_claims claims;
  claims.subject = subject;
  claims.issuer = "pact-dev";
  claims.audience = "pact";
  claims.groups = {group};
  claims.expires_at = wall->now_unix_ms() / 1000 + 3600;
  return policy::sign_hs256(claims, secret);
}

struct fixture : journal::test::journal_fixture {
  std::string admin = token_for(wall, "admin", "pact-platform-admin");
  std::string node = token_for(wall, "n1", "pact-node");

  fixture() : journal_fixture(gateway_of()) {
  }
  static journal::gateway_config gateway_of() {
    journal::gateway_config gc;
    gc.verifier.hmac_secret = secret;
    return gc;
  }

  /// An agent's journal link: keeps the answers it is sent.
  caf::actor agent(std::shared_ptr<std::vector<Response>> got) {
    return sys.spawn([got](caf::event_based_actor*) -> caf::behavior {
      return {
        [got](const std::string& bytes) {
          Response r;
          CHECK(r.ParseFromString(bytes));
          got->push_back(r);
        },
      };
    });
  }

  /// `link` records its boot with its endpoint; the journal's answer.
  Response boot_record(const caf::actor& link,
                       const std::shared_ptr<std::vector<Response>>& got,
                       const std::string& endpoint) {
    Request req;
    req.set_version(PROTOCOL_VERSION_1);
    req.set_token(node);
    req.set_request_id("cmd-1");
    auto* c = req.mutable_command()->mutable_command();
    c->set_kind(COMMAND_KIND_RECORD);
    c->set_record_type(ENTRY_TYPE_BOOT_CONFIG);
    c->mutable_scope()->set_node("n1");
    c->set_agent_endpoint(endpoint);
    c->set_message("booted");
    got->clear();
    caf::send_as(link, gateway, api_atom::value, req.SerializeAsString());
    run();
    REQUIRE(got->size() == 1);
    return got->back();
  }

  void report(const caf::actor& link, const std::string& endpoint) {
    NodeReport r;
    r.set_node_id("n1");
    r.set_agent_endpoint(endpoint);
    r.set_token(node);
    caf::send_as(link, gateway, node_report_atom::value, r.SerializeAsString());
    run();
  }

  /// The agent endpoint `pact status` shows for n1.
  std::string reported_endpoint() {
    Request req;
    req.set_version(PROTOCOL_VERSION_1);
    req.set_token(admin);
    req.mutable_status()->set_node("n1");
    auto a = ask<std::string>(gateway, api_atom::value,
                              req.SerializeAsString());
    REQUIRE(a->done);
    Response resp;
    REQUIRE(resp.ParseFromString(std::get<0>(a->value)));
    for (const auto& n : resp.status_reply().nodes())
      if (n.report().node_id() == "n1")
        return n.report().agent_endpoint();
    return {};
  }
};

} // namespace

TEST_CASE("a second live agent for a node is refused; the first keeps the "
          "node until it is gone") {
  fixture fx;
  auto got_a = std::make_shared<std::vector<Response>>();
  auto got_b = std::make_shared<std::vector<Response>>();
  auto a = fx.agent(got_a);
  auto b = fx.agent(got_b);
  auto ra = fx.boot_record(a, got_a, "http://real:9445");
  REQUIRE_MESSAGE(ra.status().code() == STATUS_CODE_OK, ra.status().message());
  fx.report(a, "http://real:9445");
  // The second agent: its boot record and its reports are refused.
  auto rb = fx.boot_record(b, got_b, "http://dup:9446");
  CHECK(rb.status().code() == STATUS_CODE_CONFLICT);
  CHECK(rb.status().message().find(
          "node 'n1' is served by another pact-agent (its API at "
          "http://real:9445)")
        != std::string::npos);
  fx.report(b, "http://dup:9446");
  CHECK(fx.reported_endpoint() == "http://real:9445");
  // The first agent still writes.
  CHECK(fx.boot_record(a, got_a, "http://real:9445").status().code()
        == STATUS_CODE_OK);

  SUBCASE("once the first agent's connection is gone, another takes over") {
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    fx.run();
    CHECK(fx.boot_record(b, got_b, "http://dup:9446").status().code()
          == STATUS_CODE_OK);
  }
  SUBCASE("a first agent silent past three report intervals has lost the "
          "node (a crashed node leaves its connection open)") {
    fx.wall->advance_ms(10'000);
    fx.report(a, "http://real:9445"); // its reports come every 10 s
    fx.wall->advance_ms(25'000);
    CHECK(fx.boot_record(b, got_b, "http://dup:9446").status().code()
          == STATUS_CODE_CONFLICT);
    fx.wall->advance_ms(6'000);
    CHECK(fx.boot_record(b, got_b, "http://dup:9446").status().code()
          == STATUS_CODE_OK);
  }
  caf::anon_send_exit(b, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  fx.run();
}
