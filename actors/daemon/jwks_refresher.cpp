#include "actors/daemon/jwks_refresher.hpp"

#include <caf/actor_registry.hpp>
#include <caf/actor_system.hpp>
#include <spdlog/spdlog.h>

#include "runtime/policy/jwks_fetch.hpp"

namespace pact::daemon {

namespace {

struct refresher_data {
  explicit refresher_data(jwks_refresher_config c)
    : cfg(std::move(c)), schedule(cfg.settings) {
  }
  jwks_refresher_config cfg;
  policy::refresh_schedule schedule;
  /// Only the newest armed tick fetches; older ones are ignored.
  uint64_t tick = 0;
  std::string detail = "fetching the identity provider's keys";
  bool healthy = false;
};

std::string kids(const policy::key_set& set) {
  std::string out;
  for (const auto& key : set.keys)
    out += (out.empty() ? "" : ", ") + (key.kid.empty() ? "(no kid)" : key.kid)
           + " " + key.type;
  return out;
}

void arm(caf::event_based_actor* self, refresher_data& d) {
  auto wait = d.schedule.next_due_ms() - d.cfg.wall->now_unix_ms();
  self->delayed_send(self,
                     std::chrono::milliseconds(std::max<int64_t>(wait, 0)),
                     jwks_tick_atom::value, ++d.tick);
}

void fetch(caf::event_based_actor* self, supervision::health_handle& h,
           refresher_data& d) {
  auto keys = policy::fetch_jwks(d.cfg.settings);
  // The attempt counts from its end: requests that queued up behind a slow
  // fetch (an IdP timing out) find it recent and are answered at once,
  // instead of each starting a fetch of its own (and holding up shutdown
  // by a timeout each).
  auto now = d.cfg.wall->now_unix_ms();
  d.schedule.attempted(now, keys.has_value());
  if (keys) {
    for (const auto& why : keys->skipped)
      spdlog::warn("identity provider key skipped: {}", why);
    spdlog::info("identity provider keys from {}: {}", d.cfg.settings.source(),
                 kids(*keys));
    auto n = keys->keys.size();
    d.detail = std::to_string(n) + (n == 1 ? " key from " : " keys from ")
               + d.cfg.settings.source();
    d.healthy = true;
    d.cfg.store->publish(std::move(*keys), now);
  } else {
    auto held = d.cfg.store->current();
    spdlog::warn("cannot fetch the identity provider's keys: {}{}",
                 keys.err().message,
                 held.keys ? " (the keys fetched before stay in use)" : "");
    d.detail = "cannot fetch keys: " + keys.err().message
               + (held.keys ? "; using the keys fetched before" : "");
    d.healthy = false;
    d.cfg.store->fail(keys.err().message);
  }
  supervision::report(self, h,
                      d.healthy ? protocol::ACTOR_STATE_RUNNING
                                : protocol::ACTOR_STATE_DEGRADED,
                      d.detail);
  arm(self, d);
}

} // namespace

caf::behavior jwks_refresher(caf::event_based_actor* self,
                             supervision::health_handle h,
                             jwks_refresher_config cfg) {
  auto d = std::make_shared<refresher_data>(std::move(cfg));
  self->system().registry().put(jwks_refresher_key,
                                caf::actor_cast<caf::strong_actor_ptr>(self));
  // The registry holds a strong reference: without dropping it at exit the
  // detached thread never ends and the process hangs in shutdown. A newer
  // incarnation (after a restart) may already be registered: keep that one.
  self->attach_functor([sys = &self->system(), me = self->address()] {
    auto current = sys->registry().get(jwks_refresher_key);
    if (current && current->address() == me)
      sys->registry().erase(jwks_refresher_key);
  });
  supervision::report(self, h, protocol::ACTOR_STATE_STARTING, d->detail);
  supervision::start_heartbeat(self);
  arm(self, *d);
  auto state = [d] {
    return std::make_pair(d->healthy ? protocol::ACTOR_STATE_RUNNING
                                     : protocol::ACTOR_STATE_DEGRADED,
                          d->detail);
  };
  return caf::message_handler{
    [self, h, d](jwks_tick_atom, uint64_t tick) mutable {
      if (tick == d->tick)
        fetch(self, h, *d);
    },
    [self, h, d](jwks_refresh_atom) mutable {
      if (!d->schedule.may_fetch_now(d->cfg.wall->now_unix_ms()))
        return false;
      fetch(self, h, *d);
      return true;
    },
  }
    .or_else(supervision::heartbeat_behavior(self, h, state));
}

std::vector<supervision::child_spec>
jwks_children(const std::string& component,
              const policy::verifier_config& verifier,
              std::shared_ptr<const pact::clock> wall) {
  if (!verifier.keys)
    return {};
  jwks_refresher_config cfg{verifier.jwks, verifier.keys, std::move(wall)};
  return {
    {component + "/jwks", "jwks-refresher",
     [cfg](caf::event_based_actor* sup, const supervision::health_handle& h) {
       return sup->spawn<caf::detached>(jwks_refresher, h, cfg);
     }}};
}

} // namespace pact::daemon
