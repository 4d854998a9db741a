#pragma once

/// Turns the journal's configuration into the replica's membership: parses
/// `journal.raft.members` ("id=host:port") and decides what an empty data
/// directory may be initialized with. CAF-free logic kept beside the main.

#include <map>
#include <string>
#include <vector>

#include "runtime/common/endpoint.hpp"
#include "runtime/common/error.hpp"
#include "runtime/raft/types.hpp"

namespace pact::journal {

struct membership_plan {
  /// Voters for a new cluster.
  raft::conf_state bootstrap;
  /// Raft endpoints of the other members.
  std::map<uint64_t, endpoint> peers;
};

/// Parses the member list; `self` must be a member (unless the list is
/// empty and `dev` is set: a single-replica development cluster).
expected<membership_plan> plan_membership(
  uint64_t self, const std::vector<std::string>& members, bool dev);

} // namespace pact::journal
