// The server side of the client API (issue 8 item 1), on the test
// coordinator (no threads, no waiting): every request gets
// exactly one answer — at the actor the client named when it named one
// (CAF 0.17 can lose the BASP sender), and even when a handler drops it.

#include <doctest/doctest.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>
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
  DiscoveryReply d;
  d.set_issuer("https://idp.example");
  d.set_client_id("pact-cli");
  ctx->discovery = d;
  ctx->wall = std::make_shared<manual_clock>(now_s * 1000);
  daemon::api_table table{
    {Request::kStatus, [](const Request&, const policy::authenticated&,
                          daemon::api_reply reply) { reply.ok(Response{}); }},
    {Request::kLog,
     [](const Request&, const policy::authenticated&, daemon::api_reply) {}},
    {Request::kCommand,
     [](const Request&, const policy::authenticated&, daemon::api_reply) {}},
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
  else if (body == Request::kDiscovery)
    req.mutable_discovery();
  else if (body == Request::kLog)
    req.mutable_log();
  else
    req.mutable_command();
  return req;
}

/// Every answer an actor got.
using inbox = std::shared_ptr<std::vector<Response>>;

/// On the test coordinator: one server, a client and a second actor the
/// client may name as the reply address, each keeping what it gets.
struct fixture : pact::test::coordinated_system {
  caf::actor srv = sys.spawn(server);
  inbox client_got = std::make_shared<std::vector<Response>>();
  caf::actor client = collector(client_got);
  inbox named_got = std::make_shared<std::vector<Response>>();
  caf::actor named = collector(named_got);

  ~fixture() {
    for (auto& a : {srv, client, named})
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    run();
  }

  caf::actor collector(inbox got) {
    return sys.spawn([got](caf::event_based_actor*) -> caf::behavior {
      return {[got](const std::string& bytes) {
        Response r;
        CHECK(r.ParseFromString(bytes));
        got->push_back(r);
      }};
    });
  }

  /// Sends a request of `body` from the client, naming `to` as the reply
  /// address unless it is null, and runs until everything is answered.
  void send(Request::BodyCase body, caf::actor to, bool with_token = true) {
    auto req = request(body);
    if (!with_token)
      req.clear_token();
    auto bytes = req.SerializeAsString();
    if (to)
      caf::send_as(client, srv, api_atom::value, bytes, to);
    else
      caf::send_as(client, srv, api_atom::value, bytes);
    run();
  }

  /// The one answer in `got`.
  Response answer_of(const inbox& got) {
    REQUIRE_MESSAGE(got->size() == 1, "no answer, or more than one");
    return got->front();
  }

  // api_reply on its own: a context and replies addressed to the client.
  std::shared_ptr<daemon::api_context> ctx
    = std::make_shared<daemon::api_context>();

  daemon::api_reply reply() {
    return daemon::api_reply{caf::response_promise{}, client, ctx, "r7"};
  }
};

} // namespace

TEST_CASE_FIXTURE(fixture, "the answer goes to the actor named in the "
                           "message") {
  send(Request::kStatus, named);
  auto resp = answer_of(named_got);
  CHECK(resp.status().code() == STATUS_CODE_OK);
  CHECK(resp.request_id() == "r1");
  // Nothing went to the sender.
  CHECK(client_got->empty());
}

TEST_CASE_FIXTURE(fixture, "without a named actor the answer is the "
                           "request's response") {
  send(Request::kStatus, nullptr);
  CHECK(answer_of(client_got).status().code() == STATUS_CODE_OK);
}

TEST_CASE_FIXTURE(fixture, "a dropped read is answered at once as "
                           "retryable") {
  send(Request::kLog, client);
  auto resp = answer_of(client_got);
  CHECK(resp.status().code() == STATUS_CODE_UNAVAILABLE);
  CHECK(resp.status().reason() == ERROR_REASON_REPLICA_DOWN);
}

TEST_CASE_FIXTURE(fixture, "a dropped write is answered as outcome "
                           "unknown") {
  send(Request::kCommand, client);
  auto resp = answer_of(client_got);
  CHECK(resp.status().code() == STATUS_CODE_UNAVAILABLE);
  CHECK(resp.status().reason() == ERROR_REASON_OUTCOME_UNKNOWN);
  CHECK(resp.status().message().find("outcome is unknown")
        != std::string::npos);
}

// api_reply itself: the answer goes out exactly once, and the in-flight
// slot is held exactly as long as the request is unanswered.

TEST_CASE_FIXTURE(fixture, "a reply answers once and frees its slot "
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
  REQUIRE(client_got->size() == 1);
  CHECK((*client_got)[0].status().code() == STATUS_CODE_OK);
  CHECK((*client_got)[0].request_id() == "r7");
  CHECK((*client_got)[0].version() == PROTOCOL_VERSION_1);
}

TEST_CASE_FIXTURE(fixture, "a reply dropped unanswered tells the "
                           "client when its last copy dies") {
  {
    auto r = reply();
    {
      auto copy = r;
      CHECK(ctx->in_flight == 1);
    }
    // One copy is gone, one still may answer: nothing yet.
    run();
    CHECK(client_got->empty());
    CHECK(ctx->in_flight == 1);
  }
  CHECK(ctx->in_flight == 0);
  run();
  REQUIRE(client_got->size() == 1);
  CHECK((*client_got)[0].status().code() == STATUS_CODE_UNAVAILABLE);
  CHECK((*client_got)[0].status().reason() == ERROR_REASON_REPLICA_DOWN);
  CHECK((*client_got)[0].request_id() == "r7");
}

TEST_CASE_FIXTURE(fixture, "a write dropped unanswered is outcome "
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
  REQUIRE(client_got->size() == 2);
  CHECK((*client_got)[0].status().reason() == ERROR_REASON_OUTCOME_UNKNOWN);
  CHECK((*client_got)[0].status().message().find("outcome is unknown")
        != std::string::npos);
  CHECK((*client_got)[1].status().reason() != ERROR_REASON_OUTCOME_UNKNOWN);
}

TEST_CASE_FIXTURE(fixture, "an actor error becomes its typed status") {
  reply().fail(make_error(ERROR_REASON_NO_LEADER, "no leader"), "write");
  run();
  REQUIRE(client_got->size() == 1);
  CHECK((*client_got)[0].status().code() == STATUS_CODE_UNAVAILABLE);
  CHECK((*client_got)[0].status().reason() == ERROR_REASON_NO_LEADER);
  CHECK((*client_got)[0].status().message() == "write: no leader");
  CHECK(ctx->in_flight == 0);
}

TEST_CASE_FIXTURE(fixture, "discovery is answered without a token; nothing "
                           "else is") {
  send(Request::kDiscovery, nullptr, false);
  auto resp = answer_of(client_got);
  CHECK(resp.status().code() == STATUS_CODE_OK);
  CHECK(resp.discovery_reply().issuer() == "https://idp.example");
  CHECK(resp.discovery_reply().client_id() == "pact-cli");
  client_got->clear();
  send(Request::kStatus, nullptr, false);
  CHECK(answer_of(client_got).status().code() == STATUS_CODE_UNAUTHORIZED);
}

TEST_CASE_FIXTURE(fixture, "a server without discovery refuses it by name") {
  // The agent API: api_context::discovery unset.
  auto plain = sys.spawn([](caf::event_based_actor* self) -> caf::behavior {
    auto agent_ctx = std::make_shared<daemon::api_context>();
    agent_ctx->wall = std::make_shared<manual_clock>(now_s * 1000);
    agent_ctx->server_name = "the pact-agent API";
    return {
      [self, agent_ctx](api_atom, const std::string& bytes, caf::actor& to) {
        daemon::serve_api(self, agent_ctx, bytes, {}, std::move(to));
      }};
  });
  auto req = request(Request::kDiscovery);
  req.clear_token();
  caf::send_as(client, plain, api_atom::value, req.SerializeAsString(), client);
  run();
  auto resp = answer_of(client_got);
  CHECK(resp.status().code() == STATUS_CODE_INVALID_ARGUMENT);
  CHECK(resp.status().message()
        == "the pact-agent API does not serve discovery requests");
  caf::anon_send_exit(plain, caf::exit_reason::user_shutdown);
}
