// The server side of the client API (issue 8 item 1): every request gets
// exactly one answer — at the actor the client named when it named one
// (CAF 0.17 can lose the BASP sender), and even when a handler drops it.

#include <doctest/doctest.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "actors/daemon/api_endpoint.hpp"
#include "protocol/caf_types.hpp"
#include "protocol/errors.hpp"
#include "runtime/common/clock.hpp"
#include "runtime/policy/token.hpp"
#include "tests/unit/actors/coordinator_config.hpp"

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
  auto ctx = std::make_shared<daemon::api_context>();
  ctx->verifier.hmac_secret = secret;
  ctx->wall = std::make_shared<manual_clock>(now_s * 1000);
  daemon::api_table table{
    {Request::kStatus,
     [](const Request&, const policy::authenticated&,
        daemon::api_reply reply) { reply.ok(Response{}); }},
    {Request::kLog, [](const Request&, const policy::authenticated&,
                       daemon::api_reply) {}},
    {Request::kCommand, [](const Request&, const policy::authenticated&,
                           daemon::api_reply) {}},
  };
  return {
    [self, ctx, table](api_atom, const std::string& bytes) {
      daemon::serve_api(self, ctx, bytes, table);
    },
    [self, ctx, table](api_atom, const std::string& bytes, caf::actor& to) {
      daemon::serve_api(self, ctx, bytes, table, std::move(to));
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

// api_reply itself, on the deterministic test coordinator: the answer goes
// out exactly once, and the in-flight slot is held exactly as long as the
// request is unanswered.

namespace {

/// One endpoint context and a client that keeps every answer it gets.
struct reply_fixture : pact::test::coordinated_system {
  std::shared_ptr<daemon::api_context> ctx
    = std::make_shared<daemon::api_context>();
  std::shared_ptr<std::vector<Response>> got
    = std::make_shared<std::vector<Response>>();
  caf::actor client
    = sys.spawn([got = got](caf::event_based_actor*) -> caf::behavior {
        return {[got](const std::string& bytes) {
          Response r;
          CHECK(r.ParseFromString(bytes));
          got->push_back(r);
        }};
      });

  ~reply_fixture() {
    caf::anon_send_exit(client, caf::exit_reason::user_shutdown);
    run();
  }

  daemon::api_reply reply() {
    return daemon::api_reply{caf::response_promise{}, client, ctx, "r7"};
  }
};

} // namespace

TEST_CASE_FIXTURE(reply_fixture, "a reply answers once and frees its slot "
                                 "with the answer") {
  auto r = reply();
  CHECK(ctx->in_flight == 1);
  auto copy = r; // as the two handlers of one CAF `.then` hold it
  r.ok(Response{});
  CHECK(ctx->in_flight == 0);
  copy.fail(STATUS_CODE_ERROR, "too late");
  r.ok(Response{});
  CHECK(ctx->in_flight == 0); // not freed twice
  run();
  REQUIRE(got->size() == 1);
  CHECK((*got)[0].status().code() == STATUS_CODE_OK);
  CHECK((*got)[0].request_id() == "r7");
  CHECK((*got)[0].version() == PROTOCOL_VERSION_1);
}

TEST_CASE_FIXTURE(reply_fixture, "a reply dropped unanswered tells the "
                                 "client when its last copy dies") {
  {
    auto r = reply();
    {
      auto copy = r;
      CHECK(ctx->in_flight == 1);
    }
    // One copy is gone, one still may answer: nothing yet.
    run();
    CHECK(got->empty());
    CHECK(ctx->in_flight == 1);
  }
  CHECK(ctx->in_flight == 0);
  run();
  REQUIRE(got->size() == 1);
  CHECK((*got)[0].status().code() == STATUS_CODE_UNAVAILABLE);
  CHECK((*got)[0].status().reason() == ERROR_REASON_REPLICA_DOWN);
  CHECK((*got)[0].request_id() == "r7");
}

TEST_CASE_FIXTURE(reply_fixture, "a write dropped unanswered is outcome "
                                 "unknown; an answered one is not re-sent") {
  {
    auto r = reply();
    r.set_write(true);
  }
  {
    auto answered = reply();
    answered.set_write(true);
    answered.fail(STATUS_CODE_ERROR, "refused");
  }
  CHECK(ctx->in_flight == 0);
  run();
  REQUIRE(got->size() == 2);
  CHECK((*got)[0].status().reason() == ERROR_REASON_OUTCOME_UNKNOWN);
  CHECK((*got)[0].status().message().find("outcome is unknown")
        != std::string::npos);
  CHECK((*got)[1].status().reason() != ERROR_REASON_OUTCOME_UNKNOWN);
}

TEST_CASE_FIXTURE(reply_fixture, "an actor error becomes its typed status") {
  reply().fail(make_error(ERROR_REASON_NO_LEADER, "no leader"), "write");
  run();
  REQUIRE(got->size() == 1);
  CHECK((*got)[0].status().code() == STATUS_CODE_UNAVAILABLE);
  CHECK((*got)[0].status().reason() == ERROR_REASON_NO_LEADER);
  CHECK((*got)[0].status().message() == "write: no leader");
  CHECK(ctx->in_flight == 0);
}
