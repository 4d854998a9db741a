#include "runtime/login/device_poll.hpp"

#include <doctest/doctest.h>

#include <vector>

#include "runtime/login/oauth_flows.hpp"

using namespace pact;
using namespace pact::login;

namespace {

device_authorization auth(int64_t interval = 5, int64_t expires_in = 600) {
  device_authorization a;
  a.device_code = "dc";
  a.user_code = "ABCD-EFGH";
  a.verification_uri = "https://idp/device";
  a.interval_seconds = interval;
  a.expires_in_seconds = expires_in;
  return a;
}

token_reply refusal(const char* code) {
  token_reply r;
  r.err.code = code;
  return r;
}

token_reply granted() {
  token_reply r;
  r.ok = true;
  r.tokens.access_token = "at";
  r.tokens.token_type = "Bearer";
  return r;
}

} // namespace

TEST_CASE("the first poll waits one interval (RFC 8628 §3.5)") {
  device_poll p(auth(5), 1000);
  CHECK(p.current() == device_poll::state::waiting);
  CHECK(p.next_poll_ms() == 6000);
}

TEST_CASE("authorization_pending polls again one interval later") {
  device_poll p(auth(5), 0);
  p.on_reply(refusal("authorization_pending"), 5000);
  CHECK(p.current() == device_poll::state::waiting);
  CHECK(p.next_poll_ms() == 10000);
  CHECK(p.interval_seconds() == 5);
}

TEST_CASE("slow_down adds 5 seconds to this and every later interval") {
  device_poll p(auth(5), 0);
  p.on_reply(refusal("slow_down"), 5000);
  CHECK(p.interval_seconds() == 10);
  CHECK(p.next_poll_ms() == 15000);
  p.on_reply(refusal("authorization_pending"), 15000);
  CHECK(p.next_poll_ms() == 25000);
  p.on_reply(refusal("slow_down"), 25000);
  CHECK(p.interval_seconds() == 15);
  CHECK(p.next_poll_ms() == 40000);
}

TEST_CASE("access_denied and expired_token fail with exit 2") {
  for (auto code : {"access_denied", "expired_token", "invalid_client"}) {
    CAPTURE(code);
    device_poll p(auth(), 0);
    p.on_reply(refusal(code), 5000);
    CHECK(p.current() == device_poll::state::failed);
    CHECK(p.failure().code == exit_code::auth_failure);
  }
  device_poll denied(auth(), 0);
  denied.on_reply(refusal("access_denied"), 5000);
  CHECK(denied.failure().message.find("denied") != std::string::npos);
  device_poll expired(auth(), 0);
  expired.on_reply(refusal("expired_token"), 5000);
  CHECK(expired.failure().message.find("run pact login again")
        != std::string::npos);
}

TEST_CASE("polling never goes past the device code's lifetime") {
  device_poll p(auth(5, 12), 0);
  p.on_reply(refusal("authorization_pending"), 5000);
  CHECK(p.next_poll_ms() == 10000);
  // The next poll would be at 15 s, after the 12 s lifetime.
  p.on_reply(refusal("authorization_pending"), 10000);
  CHECK(p.current() == device_poll::state::failed);
  device_poll q(auth(5, 600), 0);
  CHECK_FALSE(q.expire_if_due(599999));
  CHECK(q.expire_if_due(600000));
  CHECK(q.current() == device_poll::state::failed);
}

TEST_CASE("tokens end the polling") {
  device_poll p(auth(), 0);
  p.on_reply(granted(), 5000);
  CHECK(p.current() == device_poll::state::done);
  CHECK(p.tokens().access_token == "at");
  // Later answers change nothing.
  p.on_reply(refusal("access_denied"), 6000);
  CHECK(p.current() == device_poll::state::done);
}

TEST_CASE("poll_device_login sleeps to each scheduled poll") {
  int64_t now = 0;
  std::vector<int64_t> polled_at;
  std::vector<token_reply> answers{refusal("authorization_pending"),
                                   refusal("slow_down"),
                                   refusal("authorization_pending"), granted()};
  size_t next = 0;
  device_poll p(auth(5), now);
  auto t = poll_device_login(
    p,
    [&]() -> expected<token_reply> {
      polled_at.push_back(now);
      return answers.at(next++);
    },
    [&] { return now; }, [&](int64_t until) { now = until; });
  REQUIRE(t);
  CHECK(t->access_token == "at");
  CHECK(polled_at == std::vector<int64_t>{5000, 10000, 20000, 30000});
}

TEST_CASE("poll_device_login stops at an unreachable provider") {
  int64_t now = 0;
  device_poll p(auth(5), now);
  auto t = poll_device_login(
    p,
    []() -> expected<token_reply> {
      return make_error("cannot reach https://idp/token: connection refused",
                        exit_code::unavailable);
    },
    [&] { return now; }, [&](int64_t until) { now = until; });
  REQUIRE_FALSE(t);
  CHECK(t.err().code == exit_code::unavailable);
}
