#pragma once

/// The life cycle shared by pact-journal and pact-agent: block the shutdown
/// signals before any thread exists, run until SIGINT/SIGTERM or until the
/// root supervisor dies, then stop the tree in order.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/supervision/supervisor.hpp"
#include "runtime/common/clock.hpp"
#include "runtime/common/error.hpp"

namespace pact::daemon {

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
expected<uint16_t>
await_published(caf::actor_system& sys, caf::scoped_actor& self,
                const caf::actor& root, const std::string& what, int count = 1);

/// What a daemon's actor tree is made of.
struct daemon_tree {
  /// "journal" or "agent": the root supervisor's name and the component.
  std::string component;
  /// Replica id or node id.
  std::string node_id;
  /// Builds the root's children; `notify` receives (published_atom, port)
  /// from every actor that binds a port.
  std::function<std::vector<supervision::child_spec>(const caf::actor& registry,
                                                     const caf::actor& notify)>
    children;
  /// How many published notifications mean "ready".
  int ports = 1;
  /// Runs once all ports are bound (write endpoints.json, log readiness).
  std::function<status()> on_ready;
};

/// The life cycle shared by pact-journal and pact-agent: spawns the health
/// registry and the root supervisor, waits until every port is bound, calls
/// on_ready, runs until a shutdown signal or the root's failure, and stops
/// the tree. Returns the process exit status; start-up failures are printed
/// as "BINARY: message" on stderr.
int run_daemon(caf::actor_system& sys, const daemon_tree& tree,
               const std::shared_ptr<const pact::clock>& wall);

/// The address clients on this host use for a listen address ("0.0.0.0" ->
/// "127.0.0.1", "::" -> "::1").
std::string connect_host(const std::string& listen_host);

} // namespace pact::daemon
