#pragma once

/// The capability / GPU poller actor (DESIGN.md §7; issue 11 item 5): a
/// supervised child of the agent that, every `interval`
/// (agent.capability.gpu_poll_interval_seconds), probes the host (CPU,
/// memory, network, storage, modules: runtime/node/capability_probe.hpp)
/// and polls the GPU tool (runtime/node/gpu_tool.hpp), rewrites
/// /run/pact/capability.json under --root, and on a GPU health change
/// (runtime/node/gpu_health.hpp) sends a capability-change record
/// (runtime/node/capability_record.hpp) to the journal link as
///   (node_command_atom, bytes JournalCommand)     (agent_atoms.hpp).
///
/// Why a worker: running nvidia-smi takes from tens of milliseconds to its
/// timeout (10 s by default) and probing reads dozens of files; done in
/// this actor's handler it would hold a scheduler thread and leave the
/// heartbeat unanswered, so the supervisor's health view would call the
/// poller stuck. Each poll therefore runs in a short-lived worker actor
/// spawned `caf::detached` (a thread of its own, which may block); this
/// actor only keeps state, writes the manifest and talks to the journal
/// link. At most one poll is in flight; a tick that finds one running is
/// skipped. A worker whose poller died is destroyed by CAF once its poll
/// ends (nothing else refers to it): at most the tool timeout later, which
/// is also how long an agent shutting down mid-poll may wait. Tests set
/// `detached_worker = false` so the deterministic coordinator runs the worker
/// too.
///
/// The first poll compares with the GPUs recorded in an existing manifest
/// (an agent restarted since the last poll still notices a GPU lost
/// meanwhile); with no manifest it only records the inventory — the
/// initial inventory is not a change.

#include <chrono>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>

#include "actors/supervision/health.hpp"
#include "runtime/common/clock.hpp"
#include "runtime/node/gpu_tool.hpp"

namespace pact::agent {

/// (gpu_poll_atom) -> void: poll now (start-up, and tests).
using gpu_poll_atom = caf::atom_constant<caf::atom("gpupoll")>;
/// (gpu_tick_atom) -> void: the poll timer (polls and re-arms).
using gpu_tick_atom = caf::atom_constant<caf::atom("gputick")>;
/// (gpu_work_atom, string last_gpus_json) -> string result_json: one poll
/// in the worker (poller-internal).
using gpu_work_atom = caf::atom_constant<caf::atom("gpuwork")>;

struct gpu_poller_config {
  std::string node_id;
  /// The agent's --root.
  std::string root = "/";
  node::gpu_tool_config tool;
  std::chrono::seconds interval{30};
  /// Receives capability-change records. When null, the records go to the
  /// current incarnation of the child `journal_link_name` of `supervisor`
  /// (asked for each record, so a restarted link is found); with neither,
  /// changes are only logged.
  caf::actor journal_link;
  caf::actor supervisor;
  std::string journal_link_name = "agent/journal-link";
  std::shared_ptr<const pact::clock> wall;
  bool detached_worker = true;
};

caf::behavior gpu_poller(caf::event_based_actor* self,
                         supervision::health_handle h, gpu_poller_config cfg);

} // namespace pact::agent
