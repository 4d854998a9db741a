// Receiving side of replication: AppendEntries, heartbeats and chunked
// InstallSnapshot on followers.

#include <algorithm>
#include <utility>

#include "runtime/common/assert.hpp"
#include "runtime/raft/raft.hpp"

namespace pact::raft {

void core::handle_append(const message& m) {
  message resp;
  resp.type = message_type::append_entries_response;
  resp.to = m.from;
  if (m.log_index < log_.committed()) {
    // Everything up to our commit index is known to match (Log Matching,
    // §5.3); answer with it so the leader can move on.
    resp.log_index = log_.committed();
    send(std::move(resp));
    return;
  }
  auto committed = log_.committed();
  auto committed_term = log_.term_or_zero(committed);
  if (auto last_new = log_.maybe_append(m.log_index, m.log_term, m.commit,
                                        m.entries)) {
    // §5.3/Figure 3: the follower never truncates a committed entry (Log
    // Matching makes the leader's entries agree with everything committed;
    // raft_log::maybe_append asserts the same at the truncation point).
    PACT_ASSERT(log_.last_index() >= committed
                  && log_.term_or_zero(committed) == committed_term,
                "follower lost or replaced a committed entry");
    resp.log_index = *last_new;
    send(std::move(resp));
    return;
  }
  // §5.3: reject when prevLogIndex/prevLogTerm do not match. The hint is
  // the largest index at or below prevLogIndex whose term is <= prevLogTerm
  // (every entry above it has a larger term and cannot match), so the
  // leader skips a whole conflicting term per round trip.
  auto hint = std::min(m.log_index, log_.last_index());
  auto [hint_index, hint_term] = log_.find_conflict_by_term(hint, m.log_term);
  resp.reject = true;
  resp.log_index = m.log_index;
  resp.hint_index = hint_index;
  resp.hint_term = hint_term;
  send(std::move(resp));
}

void core::handle_heartbeat(const message& m) {
  // The leader caps m.commit at our match index, so this never exceeds the
  // entries we store.
  log_.commit_to(m.commit);
  message resp;
  resp.type = message_type::heartbeat_response;
  resp.to = m.from;
  resp.context = m.context;
  send(std::move(resp));
}

void core::handle_snapshot_chunk(const message& m) {
  const auto& meta = m.snapshot;
  auto& in = receiver();
  auto ack_committed = [&] {
    message resp;
    resp.type = message_type::append_entries_response;
    resp.to = m.from;
    resp.log_index = log_.committed();
    send(std::move(resp));
  };
  // Tells the leader how many bytes of this snapshot we hold: the offset
  // of the next chunk we need (§7, Figure 13: chunks are written in
  // order), as a rejection when the chunk did not follow on.
  auto ask_from = [&](std::uint64_t offset, bool reject) {
    message resp;
    resp.type = message_type::install_snapshot_response;
    resp.to = m.from;
    resp.log_index = meta.last_included_index;
    resp.hint_index = offset;
    resp.reject = reject;
    send(std::move(resp));
  };
  if (meta.last_included_index <= log_.committed()) {
    // Already have everything it covers (§7: "If existing log entry has
    // same index and term as snapshot's last included entry, retain log
    // entries following it").
    in.discard();
    ack_committed();
    return;
  }
  const auto& held = in.held_meta();
  bool same = held.last_included_index == meta.last_included_index
              && held.last_included_term == meta.last_included_term;
  if (m.chunk_offset == 0) {
    in.begin(meta);
  } else if (!same || in.held_bytes() != m.chunk_offset) {
    ask_from(same ? in.held_bytes() : 0, true);
    return;
  }
  if (!in.append(m.chunk)) {
    // The bytes could not be kept (e.g. a full disk): start over, later.
    in.discard();
    ask_from(0, true);
    return;
  }
  if (!m.chunk_done) {
    ask_from(in.held_bytes(), false);
    return;
  }
  if (!in.complete()) {
    // Damaged on the way: nothing is installed; start the transfer over.
    in.discard();
    ask_from(0, true);
    return;
  }
  if (restore(in.take())) {
    message resp;
    resp.type = message_type::append_entries_response;
    resp.to = m.from;
    resp.log_index = log_.last_index();
    send(std::move(resp));
  } else {
    ack_committed();
  }
}

bool core::restore(snapshot snap) {
  const auto& meta = snap.meta;
  if (meta.last_included_index <= log_.committed())
    return false;
  if (log_.match_term(meta.last_included_index, meta.last_included_term)) {
    // §7: our log already contains the snapshot's last entry; keep the
    // entries that follow it and just fast-forward the commit index.
    log_.commit_to(meta.last_included_index);
    return false;
  }
  // §7: "Discard the entire log ... Reset state machine using snapshot
  // contents (and load snapshot's cluster configuration)".
  tracker_.reset(meta.conf, meta.last_included_index + 1);
  log_.restore(std::move(snap));
  tracker_.reset_progress(id_, log_.last_index());
  return true;
}

conf_state core::apply_conf_change(const conf_change& cc) {
  const input_scope check{*this};
  auto next = log_.last_index() + 1;
  switch (cc.type) {
    case conf_change_type::add_voter:
      tracker_.add_voter(cc.node, next);
      break;
    case conf_change_type::add_learner:
      if (!tracker_.is_voter(cc.node))
        tracker_.add_learner(cc.node, next);
      break;
    case conf_change_type::remove_node:
      tracker_.remove(cc.node);
      if (cc.node == lead_transferee_)
        abort_leader_transfer();
      break;
  }
  if (role_ != node_role::leader)
    return tracker_.conf();
  if (!tracker_.is_voter(id_)) {
    // Thesis §4.2.2: a leader that is no longer part of the configuration
    // steps down once the change is committed.
    become_follower(current_term_, no_node);
    return tracker_.conf();
  }
  // A smaller quorum may commit more; new members need the log.
  if (maybe_commit())
    bcast_append();
  else if (cc.type != conf_change_type::remove_node)
    send_append(cc.node);
  return tracker_.conf();
}

} // namespace pact::raft
