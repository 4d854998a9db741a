#pragma once

/// Keeps the identity provider's signing keys current for every actor of a
/// daemon that verifies tokens (docs/authentication.md, "Keys from the
/// identity provider"). One per journal replica and per agent, supervised,
/// registered in CAF's actor registry under `jwks_refresher_key` so that
/// serve_api finds the current incarnation after a restart.
///
/// The fetch blocks on HTTPS for up to `timeout_ms`, so the actor is
/// spawned detached (a thread of its own) and never holds up a scheduler
/// thread; the keys it fetches are published to the shared key_store, which
/// verifiers read without waiting for it.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>

#include "actors/supervision/health.hpp"
#include "actors/supervision/supervisor.hpp"
#include "runtime/common/clock.hpp"
#include "runtime/policy/key_store.hpp"
#include "runtime/policy/token.hpp"

namespace pact::daemon {

/// (jwks_refresh_atom) -> bool. Asks for a fetch now because a token named
/// a key the set does not hold. The answer comes after the fetch (true: a
/// fetch was made) or at once with false when the last attempt is more
/// recent than `min_refresh_interval` (so forged kids cannot make pact
/// hammer the IdP).
using jwks_refresh_atom = caf::atom_constant<caf::atom("jwksfetch")>;
/// (jwks_tick_atom, uint64 generation): the refresher's own timer.
using jwks_tick_atom = caf::atom_constant<caf::atom("jwkstick")>;
/// How long a request whose token names an unknown key waits for the
/// refresher's answer before it is refused as it stands. Shorter than the
/// CLI's default deadline (10 s), so a hanging IdP gives the operator the
/// refusal and its reason rather than a timeout; a slow fetch still lands
/// and serves the next request.
inline constexpr std::chrono::seconds jwks_refresh_wait{6};
/// The actor registry key the refresher registers under.
inline constexpr caf::atom_value jwks_refresher_key = caf::atom("jwks");

struct jwks_refresher_config {
  policy::jwks_settings settings;
  std::shared_ptr<policy::key_store> store;
  std::shared_ptr<const pact::clock> wall;
};

/// The refresher: fetches at once, then when refresh_schedule says, and
/// on jwks_refresh_atom when the schedule allows.
caf::behavior jwks_refresher(caf::event_based_actor* self,
                             supervision::health_handle h,
                             jwks_refresher_config cfg);

/// The refresher as a child of `component`'s supervisor ("journal/jwks"),
/// spawned detached; none when `verifier` has no JWKS source. Put it first
/// in the tree, so the first fetch starts before the API serves.
std::vector<supervision::child_spec>
jwks_children(const std::string& component,
              const policy::verifier_config& verifier,
              std::shared_ptr<const pact::clock> wall);

} // namespace pact::daemon
