// The server side of the client API (issue 8 item 1): every request gets
// exactly one answer — at the actor the client named when it named one
// (CAF 0.17 can lose the BASP sender), and even when a handler drops it.

#include <doctest/doctest.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/supervision/api_endpoint.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/common/clock.hpp"
#include "runtime/policy/token.hpp"

using namespace pact;
using namespace pact::protocol;

namespace {

constexpr const char* secret = "api-endpoint-test-secret-0123456789";
constexpr int64_t now_s = 1'800'000'000;

struct test_config : caf::actor_system_config {
  test_config() {
    pact::protocol::configure(*this);
  }
};

std::string token() {
  policy::token_claims c;
  c.subject = "alice@site";
  c.issuer = "pact-dev";
  c.audience = "pact";
  c.groups = {"pact-platform-admin"};
  c.issued_at = now_s;
  c.expires_at = now_s + 600;
  return policy::sign_hs256(c, secret);
}

/// Answers status requests and drops log and command requests unanswered
/// (a handler bug, or a shutdown with requests in flight).
caf::behavior server(caf::event_based_actor* self) {
  auto ctx = std::make_shared<supervision::api_context>();
  ctx->verifier.hmac_secret = secret;
  ctx->wall = std::make_shared<manual_clock>(now_s * 1000);
  supervision::api_table table{
    {Request::kStatus,
     [](const Request&, const policy::authenticated&,
        supervision::api_reply reply) { reply.ok(Response{}); }},
    {Request::kLog, [](const Request&, const policy::authenticated&,
                       supervision::api_reply) {}},
    {Request::kCommand, [](const Request&, const policy::authenticated&,
                           supervision::api_reply) {}},
  };
  return {
    [self, ctx, table](api_atom, const std::string& bytes) {
      supervision::serve_api(self, ctx, bytes, table);
    },
    [self, ctx, table](api_atom, const std::string& bytes, caf::actor& to) {
      supervision::serve_api(self, ctx, bytes, table, std::move(to));
    },
  };
}

Request request(Request::BodyCase body) {
  Request req;
  req.set_version(PROTOCOL_VERSION_1);
  req.set_token(token());
  req.set_request_id("r1");
  if (body == Request::kStatus)
    req.mutable_status();
  else if (body == Request::kLog)
    req.mutable_log();
  else
    req.mutable_command();
  return req;
}

Response answer_of(caf::scoped_actor& self) {
  Response resp;
  self->receive(
    [&](const std::string& bytes) { REQUIRE(resp.ParseFromString(bytes)); },
    caf::after(std::chrono::seconds(5)) >> [] { FAIL("no answer"); });
  return resp;
}

/// One server and one client per test.
struct fixture {
  test_config cfg;
  caf::actor_system sys{cfg};
  caf::actor srv = sys.spawn(server);
  caf::scoped_actor client{sys};

  /// Sends a request of `body`, naming `to` as the reply address unless
  /// it is null.
  void send(Request::BodyCase body, caf::actor to) {
    auto bytes = request(body).SerializeAsString();
    if (to)
      client->send(srv, api_atom::value, bytes, to);
    else
      client->send(srv, api_atom::value, bytes);
  }
};

} // namespace

TEST_CASE_FIXTURE(fixture, "the answer goes to the actor named in the "
                           "message") {
  caf::scoped_actor named{sys};
  send(Request::kStatus, caf::actor_cast<caf::actor>(named));
  auto resp = answer_of(named);
  CHECK(resp.status().code() == STATUS_CODE_OK);
  CHECK(resp.request_id() == "r1");
  // Nothing went to the sender.
  bool got = false;
  client->receive([&](const std::string&) { got = true; },
                  caf::after(std::chrono::milliseconds(100)) >> [] {});
  CHECK_FALSE(got);
}

TEST_CASE_FIXTURE(fixture, "without a named actor the answer is the "
                           "request's response") {
  send(Request::kStatus, nullptr);
  CHECK(answer_of(client).status().code() == STATUS_CODE_OK);
}

TEST_CASE_FIXTURE(fixture, "a dropped read is answered at once as "
                           "retryable") {
  send(Request::kLog, caf::actor_cast<caf::actor>(client));
  auto resp = answer_of(client);
  CHECK(resp.status().code() == STATUS_CODE_UNAVAILABLE);
  CHECK(resp.status().reason() == ERROR_REASON_REPLICA_DOWN);
}

TEST_CASE_FIXTURE(fixture, "a dropped write is answered as outcome "
                           "unknown") {
  send(Request::kCommand, caf::actor_cast<caf::actor>(client));
  auto resp = answer_of(client);
  CHECK(resp.status().code() == STATUS_CODE_UNAVAILABLE);
  CHECK(resp.status().reason() == ERROR_REASON_OUTCOME_UNKNOWN);
  CHECK(resp.status().message().find("outcome is unknown")
        != std::string::npos);
}
