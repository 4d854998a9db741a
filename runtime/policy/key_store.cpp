#include "runtime/policy/key_store.hpp"

namespace pact::policy {

bool jwks_settings::enabled() const {
  return !jwks_url.empty() || issuer.rfind("https://", 0) == 0;
}

std::string jwks_settings::source() const {
  return !jwks_url.empty() ? "JWKS " + jwks_url
                           : "the JWKS of " + issuer + "'s discovery document";
}

key_view key_store::current() const {
  std::lock_guard<std::mutex> guard(mutex_);
  return view_;
}

uint64_t key_store::generation() const {
  std::lock_guard<std::mutex> guard(mutex_);
  return view_.generation;
}

void key_store::publish(key_set keys, int64_t now_ms) {
  auto fresh = std::make_shared<const key_set>(std::move(keys));
  std::lock_guard<std::mutex> guard(mutex_);
  view_.keys = std::move(fresh);
  ++view_.generation;
  view_.fetched_at_ms = now_ms;
  view_.last_error.clear();
}

void key_store::fail(std::string why) {
  std::lock_guard<std::mutex> guard(mutex_);
  view_.last_error = std::move(why);
}

int64_t refresh_schedule::next_due_ms() const {
  if (!attempted_)
    return 0;
  return last_attempt_ms_ + (last_ok_ ? ttl_ms_ : min_interval_ms_);
}

bool refresh_schedule::may_fetch_now(int64_t now_ms) const {
  return !attempted_ || now_ms - last_attempt_ms_ >= min_interval_ms_;
}

void refresh_schedule::attempted(int64_t now_ms, bool ok) {
  attempted_ = true;
  last_ok_ = ok;
  last_attempt_ms_ = now_ms;
}

} // namespace pact::policy
