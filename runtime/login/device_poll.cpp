#include "runtime/login/device_poll.hpp"

namespace pact::login {

namespace {

/// RFC 8628 §3.5: "the interval MUST be increased by 5 seconds for this
/// and all subsequent requests".
constexpr int64_t slow_down_step_seconds = 5;

const char* expired_text = "the login code expired before the login was "
                           "approved; run pact login again";

} // namespace

device_poll::device_poll(const device_authorization& auth, int64_t now_ms)
  : interval_seconds_(auth.interval_seconds),
    deadline_ms_(now_ms + auth.expires_in_seconds * 1000) {
  schedule(now_ms);
}

void device_poll::schedule(int64_t now_ms) {
  next_poll_ms_ = now_ms + interval_seconds_ * 1000;
  // Clause 5: a poll after the code's lifetime could only hear
  // expired_token.
  if (next_poll_ms_ > deadline_ms_)
    fail(expired_text);
}

void device_poll::fail(std::string message) {
  state_ = state::failed;
  failure_ = make_error(std::move(message), exit_code::auth_failure);
}

bool device_poll::expire_if_due(int64_t now_ms) {
  if (state_ == state::waiting && now_ms >= deadline_ms_)
    fail(expired_text);
  return state_ == state::failed;
}

void device_poll::on_reply(const token_reply& reply, int64_t now_ms) {
  if (state_ != state::waiting)
    return;
  if (reply.ok) {
    state_ = state::done;
    tokens_ = reply.tokens;
    return;
  }
  const auto& code = reply.err.code;
  if (code == "authorization_pending") {
    schedule(now_ms);
  } else if (code == "slow_down") {
    interval_seconds_ += slow_down_step_seconds;
    schedule(now_ms);
  } else if (code == "access_denied") {
    fail("the login was denied at the identity provider");
  } else if (code == "expired_token") {
    fail(expired_text);
  } else {
    fail("the identity provider refused the login: " + describe(reply.err));
  }
}

} // namespace pact::login
