#pragma once

/// The life cycle shared by pact-journal and pact-agent: block the shutdown
/// signals before any thread exists, run until SIGINT/SIGTERM or until the
/// root supervisor dies, then stop the tree in order.

#include <cstdint>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include "runtime/common/error.hpp"

namespace pact::supervision {

/// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread (and so in every
/// thread it creates later). Call at the top of main().
void block_shutdown_signals();

/// Waits for a shutdown signal or the termination of `root`. On a signal,
/// stops `root` (and so its tree) and waits up to 10 s for it. Returns the
/// process exit status: 0 after a signal-initiated clean stop, 1 when the
/// root supervisor failed (its reason is logged).
int run_until_shutdown(caf::actor_system& sys, const caf::actor& root);

/// Waits for `count` (published_atom, port) messages sent to `self` by the
/// actors that bind the daemon's ports; returns the last port. Fails if
/// `root` terminates first or they do not all arrive within 15 s.
expected<uint16_t> await_published(caf::actor_system& sys,
                                   caf::scoped_actor& self,
                                   const caf::actor& root,
                                   const std::string& what, int count = 1);

/// The address clients on this host use for a listen address ("0.0.0.0" ->
/// "127.0.0.1", "::" -> "::1").
std::string connect_host(const std::string& listen_host);

} // namespace pact::supervision
