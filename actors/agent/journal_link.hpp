#pragma once

/// The agent's link to the journal (issue 11 item 1; docs/agent.md):
///
///   1. connects to a journal gateway, trying the configured endpoints in
///      turn (any replica serves); after a round in which every one failed
///      it waits a capped exponential back-off with full jitter
///      (runtime/node/boot_backoff.hpp: 1 s … reconnect_max);
///   2. authenticates every request with the node credential (the token in
///      `token_file`), sends a NodeReport at connect and every
///      `report_interval`;
///   3. streams the node's vCluster overlay and node delta (the chunked
///      boot stream, BootConfigRequest), applies them through the backends
///      of runtime/node/apply_backends.hpp under --root, hands the services
///      to the supervisor seam and the declared state to the drift watcher
///      (agent_atoms.hpp), caches what it applied in the agent's LMDB
///      (runtime/node/boot_cache.hpp) and records a boot-config entry with
///      the endpoint of its agent API;
///   4. with every replica down and nothing booted yet, boots from that
///      cache and says so in its health detail and log; catches up when a
///      replica answers again; afterwards re-checks the journal every
///      `report_interval` and re-applies when what is declared changed;
///   5. proposes the node_command_atom messages of the other agent actors
///      (agent_atoms.hpp), queued while no replica is reachable.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman_actor.hpp>

#include "actors/supervision/health.hpp"
#include "runtime/common/clock.hpp"
#include "runtime/common/endpoint.hpp"
#include "runtime/node/apply_backends.hpp"
#include "runtime/node/boot_backoff.hpp"
#include "runtime/node/boot_cache.hpp"

namespace pact::agent {

/// Opens a connection to the gateway at an endpoint and calls exactly one
/// of `ok` (with the gateway's handle) or `fail` (why, for the log). The
/// default goes through CAF's middleman; tests give local actors.
using journal_connector = std::function<void(
  caf::event_based_actor* self, const endpoint& target,
  std::function<void(caf::actor)> ok, std::function<void(std::string)> fail)>;

/// The middleman connector (remote_actor on the gateway port): https://
/// targets through `tls` (actors/net/tls_transport.hpp), the others
/// through the system's plain middleman.
journal_connector middleman_connector(caf::io::middleman_actor tls = {});

struct journal_link_config {
  /// Journal gateways (agent.journal.endpoints); any replica serves.
  std::vector<endpoint> journals;
  /// The agent's health registry (source of the reported tree).
  caf::actor registry;
  std::string node_id;
  std::string vcluster;
  /// Returns the agent API's URL (known once the API has bound its port).
  std::function<std::string()> agent_endpoint;
  std::chrono::seconds report_interval{10};
  std::chrono::seconds reconnect_max{30};
  /// The node credential's file (agent.token_file); empty = none (every
  /// request is then refused by the journal, and the link says so).
  std::string token_file;
  /// The certificate-bound token of an enrolled node
  /// (node_enrollment.hpp), used instead of the token file while it
  /// returns one; null or "" falls back to the file.
  std::function<std::string()> credential;
  /// <state-dir>: last-boot.json is written there.
  std::string state_dir;
  /// The opened boot cache (main opens it, so that an unusable state dir
  /// stops the agent before anything starts). Shared across restarts of
  /// the link.
  std::shared_ptr<node::boot_cache> cache;
  /// Where and how items are applied.
  node::host_settings host;
  /// The back-off's random source (tests pin it).
  node::boot_backoff::jitter_source jitter;
  /// Wall clock (cache timestamps).
  std::shared_ptr<const pact::clock> wall;
  /// When the process started: start-to-ready is logged from here.
  std::chrono::steady_clock::time_point started
    = std::chrono::steady_clock::now();
  /// The service supervisor (declared_services_atom); null: the one
  /// registered as service_supervisor_name (service_atoms.hpp), looked up
  /// at each hand-off.
  caf::actor services;
  /// Finds the drift watcher; default: the actor registry's
  /// drift_watcher_name.
  std::function<caf::actor()> drift_watcher;
  /// Node commands kept while no replica is reachable (oldest dropped).
  size_t max_queued_commands = 1024;
  /// How long one boot stream may take before the link tries another
  /// replica.
  std::chrono::seconds boot_timeout{30};
  /// How to reach a gateway; default middleman_connector().
  journal_connector connector;
  /// Until this returns true the link neither connects, boots nor applies
  /// anything from its cache (checked every `start_poll`). main opens it
  /// once the agent API has bound its port: an agent that cannot serve
  /// (port taken) exits having changed nothing on the node and recorded
  /// no endpoint in the journal. Empty: open at once.
  std::function<bool()> may_start;
  std::chrono::milliseconds start_poll{10};
};

caf::behavior journal_link(caf::event_based_actor* self,
                           supervision::health_handle h,
                           journal_link_config cfg);

} // namespace pact::agent
