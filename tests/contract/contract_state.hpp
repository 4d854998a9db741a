// lattice's state as the contract server holds it, loaded from a JSON
// fixture, and the node state machine lattice enforces on it.
//
// Fixture shape (every key optional; a missing key is empty):
//   {"nodes":[NodeStatus...], "allocations":[AllocationStatus...],
//    "dags":[DagStatus...], "vclusters":[VClusterResponse...],
//    "queues":[VClusterQueueResponse...], "raft":RaftStatusResponse,
//    "accounting":[AccountingUsageResponse...],
//    "tenant_usage":[TenantUsageResponse...],
//    "user_usage":[UserUsageResponse...], "health":HealthResponse}
// Each element is the proto3 JSON form of the lattice.v1 message named
// (field names either as declared or lowerCamel). An unknown key or field
// is an error, so that a typo in a test's fixture is not silently empty.

#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <lattice/v1/admin.pb.h>
#include <lattice/v1/allocations.pb.h>
#include <lattice/v1/nodes.pb.h>

namespace pact::contract {

/// Everything the services answer from. Services lock `mutex` for every
/// read and write: gRPC's synchronous server calls them from many threads.
struct lattice_state {
  std::mutex mutex;
  std::vector<lattice::v1::NodeStatus> nodes;
  std::vector<lattice::v1::AllocationStatus> allocations;
  std::vector<lattice::v1::DagStatus> dags;
  std::vector<lattice::v1::VClusterResponse> vclusters;
  std::vector<lattice::v1::VClusterQueueResponse> queues;
  lattice::v1::RaftStatusResponse raft;
  std::vector<lattice::v1::AccountingUsageResponse> accounting;
  std::vector<lattice::v1::TenantUsageResponse> tenant_usage;
  std::vector<lattice::v1::UserUsageResponse> user_usage;
  std::optional<lattice::v1::HealthResponse> health;
  /// For Health's uptime_secs when the fixture has no "health".
  std::chrono::steady_clock::time_point started
    = std::chrono::steady_clock::now();
};

/// Fills `out` from fixture text. Returns "" on success, else what is wrong
/// (which key, which element), for the operator running the test.
std::string parse_fixture(const std::string& json, lattice_state& out);

/// Reads FILE and parses it as above; an unreadable file is an error too.
std::string load_fixture(const std::string& path, lattice_state& out);

/// "" when lattice allows a node to go from state `from` to `to`, else
/// lattice's refusal, "Invalid node transition from Ready to Ready" (its
/// NodeState::can_transition_to, lattice-common/src/types.rs). States are
/// the wire's lower-case names; an unrecognised one counts as "unknown",
/// as lattice's node_state_from_str reads it.
std::string transition_error(const lattice::v1::NodeStatus& node,
                             const std::string& to,
                             const std::string& to_reason = "");

/// How lattice's messages print a node state (Rust's Debug of NodeState):
/// "Draining", or "Down { reason: \"cordoned\" }" for the states that carry
/// a reason.
std::string debug_state(const std::string& state, const std::string& reason);

/// Terminal allocation states (lattice's AllocationState::is_terminal).
bool is_terminal(const std::string& allocation_state);

} // namespace pact::contract
