#pragma once

/// The client side of the OAuth 2.0 device authorization grant's polling
/// (RFC 8628 §3.4-§3.5) as a pure state machine with injected time: the
/// caller asks when to poll next, sleeps until then, asks the token
/// endpoint, and hands the answer to on_reply(). No clock, no network.
///
/// Contract:
/// 1. The first poll is one interval after the authorization was received
///    (§3.5: "the client SHOULD wait at least `interval` seconds between
///    polling requests").
/// 2. `authorization_pending`: poll again one interval later.
/// 3. `slow_down`: the interval grows by 5 seconds, for this and every
///    later poll (§3.5), then as 2.
/// 4. `access_denied`: failed, exit 2 (the user refused).
/// 5. `expired_token`, or a next poll that would fall after the device
///    code's lifetime (expires_in): failed, exit 2, telling the operator to
///    run `pact login` again. Polling never continues past the lifetime.
/// 6. Any other OAuth error: failed, exit 2, naming the error.
/// 7. Tokens: done.

#include <cstdint>

#include "runtime/common/error.hpp"
#include "runtime/login/oauth_replies.hpp"

namespace pact::login {

class device_poll {
public:
  /// Starts polling for `auth`, received at `now_ms` (any monotonic
  /// milliseconds).
  device_poll(const device_authorization& auth, int64_t now_ms);

  enum class state { waiting, done, failed };

  state current() const {
    return state_;
  }

  /// When to poll next (waiting only).
  int64_t next_poll_ms() const {
    return next_poll_ms_;
  }

  /// Seconds between polls now.
  int64_t interval_seconds() const {
    return interval_seconds_;
  }

  /// Whether the device code has expired at `now_ms`: polling is over
  /// (the state becomes failed with the expiry error).
  bool expire_if_due(int64_t now_ms);

  /// Takes the token endpoint's answer received at `now_ms`.
  void on_reply(const token_reply& reply, int64_t now_ms);

  /// The tokens (done only).
  const token_set& tokens() const {
    return tokens_;
  }

  /// Why it failed (failed only).
  const error& failure() const {
    return failure_;
  }

private:
  void schedule(int64_t now_ms);
  void fail(std::string message);

  state state_ = state::waiting;
  int64_t interval_seconds_;
  int64_t deadline_ms_;
  int64_t next_poll_ms_ = 0;
  token_set tokens_;
  error failure_;
};

} // namespace pact::login
