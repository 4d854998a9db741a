#pragma once

/// The drift watcher's place in pact-agent: its configuration from the
/// agent's settings (validated before anything starts: a bad blacklist
/// glob or watch root names its key and where it was set) and its
/// supervisor child, whose factory holds the state that outlives a restart.

#include <memory>
#include <string>

#include "actors/agent/drift_watcher.hpp"
#include "actors/supervision/supervisor.hpp"
#include "runtime/common/config.hpp"

namespace pact::agent {

/// Builds the watcher's configuration and its shared state. `root` and
/// `state_dir` are the --root and --state-dir of the agent (the state
/// directory must exist: it is always excluded when it lies under root,
/// as is pact's runtime directory /run/pact).
expected<drift_watcher_config>
drift_config(const config::values& v, const std::string& node_id,
             const std::string& root, const std::string& state_dir);

/// The supervisor child "agent/drift-watcher".
supervision::child_spec drift_child(drift_watcher_config cfg);

} // namespace pact::agent
