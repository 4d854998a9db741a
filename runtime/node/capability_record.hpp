#pragma once

/// The journal record of a GPU health change (issue 11 item 5): a
/// JournalCommand of kind RECORD, record_type CAPABILITY_CHANGE, scope this
/// node, whose state_delta holds one gpu-category item per change
/// (gpu_health.hpp gives key, action, value, previous) and whose message is
/// their summary. The agent's journal link proposes it with the node's
/// credential (actors/agent/agent_atoms.hpp); the gateway stamps author
/// and time. `pact log` then shows e.g.
///   capability-change node:node-042 "GPU 1 (GPU-…) disappeared: GPU is lost"

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/node/gpu_health.hpp"
#include <pact/protocol/journal.pb.h>

namespace pact::node {

/// Precondition: `changes` is not empty. `polled_unix_ms` makes the client
/// request id unique per poll, so a link that resends it after a lost
/// answer does not record it twice.
protocol::JournalCommand
capability_change_command(const std::string& node,
                          const std::vector<gpu_change>& changes,
                          int64_t polled_unix_ms);

} // namespace pact::node
