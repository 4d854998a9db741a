#include "runtime/node/commit_window.hpp"

#include <algorithm>
#include <cmath>

namespace pact::node {

int64_t window_length_ms(const window_policy& p, double magnitude) {
  PACT_ASSERT(std::isfinite(magnitude) && magnitude >= 0,
              "drift magnitude is a finite, non-negative number");
  PACT_ASSERT(std::isfinite(p.drift_sensitivity) && p.drift_sensitivity >= 0,
              "drift_sensitivity is validated by the journal's policy");
  double ms = 1000.0 * p.base_commit_window_seconds
              / (1.0 + magnitude * p.drift_sensitivity);
  return std::max<int64_t>(min_window_seconds * 1000, std::llround(ms));
}

window_event commit_window::on_drift(int64_t now_ms, double magnitude) {
  if (phase_ != window_phase::closed) {
    drifted_ = true; // joins the window open now (a planned change's)
    return window_event::none;
  }
  phase_ = window_phase::open;
  drifted_ = true;
  opened_ms_ = now_ms;
  int64_t length = emergency_ ? int64_t{policy_.emergency_window_seconds} * 1000
                              : window_length_ms(policy_, magnitude);
  ends_ms_ = now_ms + length / std::max<uint32_t>(1, policy_.test_divisor);
  return window_event::opened;
}

window_event commit_window::on_clean() {
  if (phase_ == window_phase::closed
      || (phase_ == window_phase::open && !drifted_))
    return window_event::none;
  return close();
}

window_event commit_window::close() {
  phase_ = window_phase::closed;
  drifted_ = false;
  opened_ms_ = ends_ms_ = 0;
  return window_event::closed;
}

window_event commit_window::tick(int64_t now_ms) {
  if (phase_ != window_phase::open || now_ms < ends_ms_)
    return window_event::none;
  if (!drifted_)
    return close(); // a planned window nobody used: nothing to flag
  phase_ = window_phase::expired;
  return window_event::expired;
}

expected<window_event> commit_window::extend(int64_t now_ms, int64_t seconds) {
  if (seconds <= 0)
    return make_error("extend: the extension must be at least one minute");
  int64_t from = phase_ == window_phase::open ? ends_ms_ : now_ms;
  int64_t ends = from + seconds * 1000;
  int64_t bound = now_ms + int64_t{policy_.emergency_window_seconds} * 1000;
  if (ends > bound)
    return make_error("extend: the window may end at most "
                        + std::to_string(policy_.emergency_window_seconds / 60)
                        + " minutes from now (policy emergency_window_seconds)",
                      exit_code::policy_rejection);
  open_until(now_ms, ends);
  return window_event::extended;
}

void commit_window::open_until(int64_t now_ms, int64_t ends_ms) {
  if (phase_ != window_phase::open)
    opened_ms_ = now_ms;
  phase_ = window_phase::open;
  ends_ms_ = ends_ms;
}

window_event commit_window::follow(int64_t now_ms, int64_t ends_ms) {
  if (ends_ms <= now_ms
      || (phase_ == window_phase::open && ends_ms <= ends_ms_))
    return window_event::none;
  open_until(now_ms, ends_ms);
  return window_event::extended;
}

window_event commit_window::expire_now(int64_t now_ms) {
  if (phase_ != window_phase::closed)
    return window_event::none;
  phase_ = window_phase::expired;
  drifted_ = true;
  opened_ms_ = ends_ms_ = now_ms;
  return window_event::expired;
}

window_event commit_window::emergency_start(int64_t now_ms) {
  emergency_ = true;
  int64_t ends = now_ms + int64_t{policy_.emergency_window_seconds} * 1000;
  if (phase_ == window_phase::open && ends_ms_ >= ends)
    return window_event::none;
  open_until(now_ms, ends);
  return window_event::extended;
}

} // namespace pact::node
