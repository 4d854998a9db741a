#pragma once

/// Publishing a supervised actor on a TCP port so that the port outlives the
/// actor's incarnations: each incarnation publishes itself on start and
/// closes the port when it terminates, and the restarted one binds the same
/// port again (the port chosen by the OS on first start when 0 was asked).

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman_actor.hpp>

namespace pact::daemon {

struct listen_point {
  /// Interface to bind ("0.0.0.0", "127.0.0.1", "::").
  std::string host;
  /// Port to bind; updated to the bound port after the first success.
  std::shared_ptr<std::atomic<uint16_t>> port;
  /// Receives (published_atom, uint16_t port) after every bind; may be null.
  caf::actor notify;
  /// The TLS middleman that serves this port with its policy
  /// (actors/net/tls_transport.hpp); null serves plain TCP.
  caf::io::middleman_actor tls;
};

/// `tls` when set, else the system's plain middleman.
caf::io::middleman_actor middleman_for(caf::actor_system& sys,
                                       const caf::io::middleman_actor& tls);

/// Publishes `self` at `where`. On failure `self` terminates with an error
/// naming the address (its supervisor decides what happens next). On success
/// `on_bound(port)` runs inside `self`.
void publish_self(caf::event_based_actor* self, const listen_point& where,
                  std::function<void(uint16_t)> on_bound);

} // namespace pact::daemon
