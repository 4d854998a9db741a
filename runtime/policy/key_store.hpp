#pragma once

/// The identity provider's current signing keys, shared between the actors
/// that verify tokens (gateway, agent API) and the one that refreshes them
/// (actors/daemon/jwks_refresher), plus the pure rule of when to refresh.
///
/// Why a shared snapshot and not messages: verification happens inside
/// serve_api of several actors and in copies of verifier_config; one
/// immutable key_set behind a mutex-guarded pointer gives every one of them
/// the same keys the moment a fetch lands, and a reader never blocks on a
/// fetch (the fetch happens outside the lock).

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "runtime/policy/jwk.hpp"

namespace pact::policy {

/// Where the keys come from and how long they are trusted
/// (`journal.oidc.*` / `agent.oidc.*`, docs/authentication.md).
struct jwks_settings {
  /// `oidc.jwks_url`; when empty and the issuer is an https URL, the
  /// `jwks_uri` of `<issuer>/.well-known/openid-configuration`.
  std::string jwks_url;
  /// The issuer whose discovery document names the JWKS (OIDC Discovery
  /// 1.0 §4); only used when `jwks_url` is empty.
  std::string issuer;
  /// PEM bundle of CAs trusted for the IdP's HTTPS (`oidc.ca_bundle`);
  /// empty: the system's.
  std::string ca_bundle;
  /// Keys are fetched again this long after the last good fetch.
  int64_t ttl_ms = 600000;
  /// Fewest milliseconds between two fetches that were not due by TTL:
  /// fetches for an unknown `kid` and retries after a failure. Bounds what
  /// a stream of tokens with forged kids can make pact do to the IdP.
  int64_t min_refresh_interval_ms = 60000;
  /// One HTTP exchange's limit.
  int64_t timeout_ms = 5000;

  /// Whether any JWKS source is configured.
  bool enabled() const;
  /// What is fetched, for messages: the JWKS URL or "<issuer>'s discovery".
  std::string source() const;
};

/// The keys last fetched, and how the last fetch went.
struct key_view {
  /// Null until the first good fetch.
  std::shared_ptr<const key_set> keys;
  /// Incremented on every publish: verified-token caches compare it to
  /// forget tokens checked with keys that may since have been removed.
  uint64_t generation = 0;
  /// Unix ms of the last good fetch; 0 if none.
  int64_t fetched_at_ms = 0;
  /// Why the last fetch failed; empty when it succeeded. Stale keys stay
  /// in `keys` while the IdP is unreachable (DESIGN.md §5).
  std::string last_error;
};

/// Thread-safe holder of the current key_view.
class key_store {
public:
  key_view current() const;
  uint64_t generation() const;
  /// Replaces the keys (a good fetch at `now_ms`).
  void publish(key_set keys, int64_t now_ms);
  /// Records a failed fetch; the keys held stay in use.
  void fail(std::string why);

private:
  mutable std::mutex mutex_;
  key_view view_;
};

/// When to fetch (pure; the refresher owns one and the time is injected).
class refresh_schedule {
public:
  explicit refresh_schedule(const jwks_settings& s)
    : ttl_ms_(s.ttl_ms), min_interval_ms_(s.min_refresh_interval_ms) {
  }

  /// Unix ms at which the next fetch is due by itself: at once before any
  /// attempt, `ttl` after a good fetch, `min_refresh_interval` after a
  /// failed one (the IdP is retried, not hammered).
  int64_t next_due_ms() const;
  /// Whether a fetch asked for now (an unknown kid) may happen: only when
  /// the last attempt is at least `min_refresh_interval` ago.
  bool may_fetch_now(int64_t now_ms) const;
  void attempted(int64_t now_ms, bool ok);

private:
  int64_t ttl_ms_;
  int64_t min_interval_ms_;
  bool attempted_ = false;
  bool last_ok_ = false;
  int64_t last_attempt_ms_ = 0;
};

} // namespace pact::policy
