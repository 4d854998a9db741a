#pragma once

/// Leader-side bookkeeping for ReadIndex (thesis §6.4). Each request records
/// the commit index at arrival; it may be answered once a heartbeat round
/// carrying its context was acknowledged by a majority, proving that no newer
/// leader existed at that moment.

#include <cstddef>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "runtime/raft/types.hpp"

namespace pact::raft {

/// One pending ReadIndex request.
struct read_index_status {
  /// The leader's commit index when the request arrived (thesis §6.4 step 2).
  index_t index = 0;
  /// Who asked: the leader itself, or the follower to answer.
  node_id from = no_node;
  /// Caller-chosen id, unique among pending requests.
  std::string context;
  /// Replicas that acknowledged a heartbeat carrying this context.
  std::set<node_id> acks;
};

class read_only {
public:
  /// Queues a request; duplicates of a pending context are ignored.
  void add_request(index_t index, node_id from, std::string context);
  /// Records that `from` acknowledged `context`; returns the acks so far, or
  /// nullptr if no such request is pending.
  const std::set<node_id>* recv_ack(node_id from, const std::string& context);
  /// Removes and returns every request up to and including `context`, in
  /// arrival order: a quorum for a later heartbeat round confirms earlier
  /// ones too.
  std::vector<read_index_status> advance(const std::string& context);
  /// Context of the newest pending request (empty if none).
  std::string last_pending_context() const;
  std::size_t pending() const {
    return queue_.size();
  }
  void reset() {
    pending_.clear();
    queue_.clear();
  }

private:
  std::map<std::string, read_index_status> pending_;
  std::deque<std::string> queue_;
};

} // namespace pact::raft
