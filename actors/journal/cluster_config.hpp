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
  /// Every member as configured, this replica included: what replicas
  /// compare when they connect (members_text / members_mismatch).
  std::map<uint64_t, endpoint> members;
};

/// The canonical text of a member list, "1=http://h:9444,2=..." (ascending
/// ids, canonical URLs), as replicas exchange it.
std::string members_text(const std::map<uint64_t, endpoint>& members);

/// Compares this replica's member list with the text `theirs` that peer
/// `peer` sent (troubleshooting guide, "Raft peer configuration": every
/// replica must have identical members). Empty when they agree; otherwise
/// a sentence naming the first differing entry, e.g. "member 2 is
/// http://a:9444 here but http://a:9445 at peer 3".
std::string members_mismatch(const std::map<uint64_t, endpoint>& mine,
                             uint64_t peer, const std::string& theirs);

/// The Raft figures one side of a peer hello sends the other
/// (protocol/caf_types.hpp, peer_hello_atom).
struct hello_log {
  /// The sender's current term.
  uint64_t term = 0;
  /// The last index on the sender's stable storage.
  uint64_t last = 0;
  /// A leader's match index for the receiver: the highest entry the
  /// receiver acknowledged as stored (0 from a follower).
  uint64_t you_stored = 0;
};

/// Whether a replica whose log is `holder` forgot entries it acknowledged
/// to the leader of `leader_term`: its log ends below `acknowledged`. A
/// replica persists before it acknowledges (Raft Figure 2) and, while that
/// leader leads, no one else can truncate what it matched (§5.3), so
/// a shorter log means lost data: its data directory was emptied,
/// replaced or restored from an old copy. A holder in a later term may
/// have been truncated by a newer leader; that is not a loss. A replica
/// with a lost log must not take part again: it would count towards
/// commits it cannot keep, and the Raft core stops on the leader's next
/// heartbeat (a commit index beyond its log).
bool forgot_acknowledged(uint64_t holder_term, uint64_t holder_last,
                         uint64_t leader_term, uint64_t acknowledged);

/// Parses the member list; `self` must be a member (unless the list is
/// empty and `dev` is set: a single-replica development cluster).
expected<membership_plan>
plan_membership(uint64_t self, const std::vector<std::string>& members,
                bool dev);

} // namespace pact::journal
