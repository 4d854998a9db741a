// Leader side of the core: replication with pipelining and batching, the
// commit rule, heartbeats, ReadIndex, leadership transfer, check-quorum and
// client requests.

#include <algorithm>
#include <utility>

#include "runtime/common/assert.hpp"
#include "runtime/raft/raft.hpp"

namespace pact::raft {

// -- client requests ----------------------------------------------------------

status core::propose(std::string data) {
  const input_scope check{*this};
  if (role_ != node_role::leader)
    return leader_id_ == no_node ? status::no_leader : status::not_leader;
  // Thesis §3.10: during a transfer the old leader stops accepting client
  // requests, so the target can catch up.
  if (lead_transferee_ != no_node)
    return status::transferring;
  if (tracker_.find(id_) == nullptr)
    return status::not_leader; // Removed from the configuration.
  entry e;
  e.kind = entry_kind::normal;
  e.data = std::move(data);
  append_entry({std::move(e)});
  bcast_append();
  return status::ok;
}

status core::propose_conf_change(const conf_change& cc) {
  const input_scope check{*this};
  if (role_ != node_role::leader)
    return leader_id_ == no_node ? status::no_leader : status::not_leader;
  if (lead_transferee_ != no_node)
    return status::transferring;
  // Thesis §4.1: "the leader must not begin a new configuration change
  // until the previous one has been applied" — one server at a time keeps
  // any majority of the old and new configurations overlapping.
  if (pending_conf_index_ > log_.applied())
    return status::conf_change_pending;
  bool voter = tracker_.is_voter(cc.node);
  bool learner = tracker_.is_learner(cc.node);
  switch (cc.type) {
    case conf_change_type::add_voter:
      if (voter || cc.node == no_node)
        return status::invalid_argument;
      break;
    case conf_change_type::add_learner:
      if (voter || learner || cc.node == no_node)
        return status::invalid_argument;
      break;
    case conf_change_type::remove_node:
      if (!voter && !learner)
        return status::invalid_argument;
      if (voter && tracker_.voters().size() == 1)
        return status::invalid_argument; // Would leave no voter at all.
      break;
  }
  entry e;
  e.kind = entry_kind::conf_change;
  e.data = encode_conf_change(cc);
  append_entry({std::move(e)});
  pending_conf_index_ = log_.last_index();
  bcast_append();
  return status::ok;
}

status core::read_index(std::string context) {
  const input_scope check{*this};
  if (context.empty())
    return status::invalid_argument;
  if (role_ == node_role::leader) {
    handle_read_index_request(id_, std::move(context));
    return status::ok;
  }
  if (leader_id_ == no_node)
    return status::no_leader;
  // Thesis §6.4.1 (reads on followers): ask the leader for its read index.
  message m;
  m.type = message_type::read_index;
  m.to = leader_id_;
  m.context = std::move(context);
  send(std::move(m));
  return status::ok;
}

status core::transfer_leadership(node_id to) {
  const input_scope check{*this};
  if (role_ != node_role::leader)
    return leader_id_ == no_node ? status::no_leader : status::not_leader;
  if (!tracker_.is_voter(to))
    return status::invalid_argument; // Learners cannot lead.
  if (to == id_)
    return status::ok;
  if (lead_transferee_ == to)
    return status::ok;
  abort_leader_transfer();
  // Thesis §3.10: the transfer must finish within one election timeout.
  election_elapsed_ = 0;
  lead_transferee_ = to;
  auto& pr = *tracker_.find(to);
  // Thesis §3.10 step 2: bring the target's log up to date first.
  if (pr.match_index == log_.last_index())
    send_timeout_now(to);
  else
    send_append(to);
  return status::ok;
}

void core::abort_leader_transfer() {
  lead_transferee_ = no_node;
}

void core::send_timeout_now(node_id to) {
  message m;
  m.type = message_type::timeout_now;
  m.to = to;
  send(std::move(m));
}

// -- replication --------------------------------------------------------------

bool core::append_entry(std::vector<entry> ents) {
  PACT_ASSERT(role_ == node_role::leader, "append_entry() on a non-leader");
  auto before = log_.last_index();
  auto last = before;
  for (auto& e : ents) {
    e.term = current_term_;
    e.index = ++last;
  }
  // Figure 2: "Leader Append-Only: a leader never overwrites or deletes
  // entries in its log; it only appends new entries" (§5.3).
  last = log_.append(ents);
  PACT_ASSERT(last == before + ents.size() && log_.last_term() == current_term_,
              "leader append-only: the append did not extend the log by "
              "exactly its entries");
  // The leader does not count its own entry yet: the host may send it to
  // followers before writing it (thesis §10.2.1), and their
  // acknowledgements may arrive first. It counts once the host reports it
  // durable (on_persisted), so a commit always rests on a quorum of
  // durable copies.
  return true;
}

void core::on_persisted(index_t index, term_t term) {
  const input_scope check{*this};
  durable_index_ = index;
  durable_term_ = term;
  if (role_ != node_role::leader)
    return;
  auto* self = tracker_.find(id_);
  if (self == nullptr || !self->maybe_update(own_durable_match()))
    return;
  if (maybe_commit())
    bcast_append(); // Tell followers the new commit index.
}

index_t core::own_durable_match() const {
  // Log Matching (§5.3): if the durable entry is still in the log, the
  // whole durable prefix is; otherwise the log changed since that write
  // and the next report will name the current log.
  return log_.match_term(durable_index_, durable_term_) ? durable_index_ : 0;
}

void core::bcast_append() {
  for (auto& [peer, pr] : tracker_.all())
    if (peer != id_)
      send_append(peer);
}

void core::send_append(node_id to) {
  maybe_send_append(to, true);
}

bool core::maybe_send_append(node_id to, bool send_if_empty) {
  auto* pr = tracker_.find(to);
  if (pr == nullptr || pr->is_paused())
    return false;
  auto prev_index = pr->next_index - 1;
  auto prev_term = log_.term(prev_index);
  auto ents = log_.entries_from(pr->next_index, cfg_.max_bytes_per_msg);
  if (!prev_term.ok() || !ents.ok()) {
    // §7: the entries the follower needs were compacted: send a snapshot.
    send_snapshot_chunk(to, *pr);
    return false;
  }
  auto batch = std::move(ents).value();
  if (batch.size() > cfg_.max_entries_per_msg)
    batch.resize(cfg_.max_entries_per_msg);
  if (batch.empty() && !send_if_empty)
    return false;
  message m;
  m.type = message_type::append_entries;
  m.to = to;
  m.log_index = prev_index;
  m.log_term = prev_term.value();
  m.commit = log_.committed();
  if (!batch.empty()) {
    auto last = batch.back().index;
    if (pr->state == progress_state::replicate) {
      // Pipelining: assume success and keep streaming within the window.
      pr->optimistic_update(last);
      pr->inflight.add(last);
    } else {
      pr->probe_sent = true; // Probe: one message until answered.
    }
  }
  m.entries = std::move(batch);
  send(std::move(m));
  return true;
}

void core::send_snapshot_chunk(node_id to, progress& pr) {
  // A peer that has not answered lately is probably down: do not waste
  // bandwidth on a snapshot it cannot receive.
  if (!pr.recent_active)
    return;
  auto meta = cfg_.storage->snapshot_metadata();
  if (!meta.ok())
    return; // Temporarily unavailable; retried on the next heartbeat.
  const auto& md = meta.value();
  if (md.last_included_index == 0)
    return; // Nothing to send yet.
  if (pr.state != progress_state::snapshot
      || pr.pending_snapshot != md.last_included_index)
    pr.become_snapshot(md.last_included_index);
  auto chunk = cfg_.storage->read_snapshot_chunk(
    pr.pending_snapshot, pr.snapshot_offset, cfg_.max_snapshot_chunk_bytes);
  if (!chunk.ok())
    return; // Replaced meanwhile; the next attempt starts the new one.
  message m;
  m.type = message_type::install_snapshot;
  m.to = to;
  m.snapshot = md;
  m.chunk_offset = pr.snapshot_offset;
  m.chunk = chunk.value().data;
  m.chunk_done = chunk.value().done;
  send(std::move(m));
  pr.snapshot_chunk_sent = true;
  pr.snapshot_beats_unanswered = 0;
}

bool core::maybe_commit() {
  // §5.3: "If there exists an N such that N > commitIndex, a majority of
  // matchIndex[i] >= N, and log[N].term == currentTerm: set commitIndex =
  // N" — the term check (§5.4.2) lives in raft_log::maybe_commit.
  if (!log_.maybe_commit(tracker_.committed(), current_term_))
    return false;
  // §5.4.2: counting replicas commits only an entry of the leader's own
  // term (earlier entries are committed indirectly, by Log Matching), and
  // only one a quorum stores.
  PACT_ASSERT(role_ == node_role::leader
                && log_.term_or_zero(log_.committed()) == current_term_
                && log_.committed() <= tracker_.committed(),
              "leader committed an entry of an older term by counting, or "
              "one no quorum stores");
  release_pending_read_index();
  return true;
}

bool core::committed_entry_in_current_term() const {
  return log_.term_or_zero(log_.committed()) == current_term_;
}

// -- heartbeats and check-quorum ----------------------------------------------

void core::bcast_heartbeat() {
  auto ctx = read_only_.last_pending_context();
  for (auto& [peer, pr] : tracker_.all())
    if (peer != id_)
      send_heartbeat(peer, ctx);
}

void core::send_heartbeat(node_id to, const std::string& context) {
  const auto& pr = *tracker_.find(to);
  message m;
  m.type = message_type::heartbeat;
  m.to = to;
  // The follower may not have all committed entries yet; it must not
  // advance its commit index past what it is known to store.
  m.commit = std::min(pr.match_index, log_.committed());
  m.context = context;
  send(std::move(m));
}

void core::check_quorum_active() {
  tracker_.find(id_)->recent_active = true;
  // Thesis §6.2: "a leader steps down if an election timeout elapses
  // without a successful round of heartbeats to a majority of its cluster".
  if (!tracker_.quorum_active()) {
    become_follower(current_term_, no_node);
    return;
  }
  for (auto& [peer, pr] : tracker_.all())
    if (peer != id_)
      pr.recent_active = false;
}

// -- responses ----------------------------------------------------------------

void core::step_leader(const message& m) {
  if (m.type == message_type::read_index) {
    handle_read_index_request(m.from, m.context);
    return;
  }
  auto* pr = tracker_.find(m.from);
  if (pr == nullptr)
    return; // Not a member (any more).
  switch (m.type) {
    case message_type::append_entries_response:
      pr->recent_active = true;
      handle_append_response(m, *pr);
      break;
    case message_type::heartbeat_response:
      pr->recent_active = true;
      handle_heartbeat_response(m, *pr);
      break;
    case message_type::install_snapshot_response:
      pr->recent_active = true;
      handle_snapshot_response(m, *pr);
      break;
    default:
      break;
  }
}

void core::handle_append_response(const message& m, progress& pr) {
  if (m.reject) {
    // §5.3: "After a rejection, the leader decrements nextIndex and retries
    // the AppendEntries RPC"; the hint skips a whole conflicting term per
    // round trip instead of one entry (§5.3, "the follower can include the
    // term of the conflicting entry and the first index it stores for
    // that term").
    auto next_probe = m.hint_index;
    if (m.hint_term > 0)
      next_probe = log_.find_conflict_by_term(m.hint_index, m.hint_term).first;
    if (pr.maybe_decr_to(m.log_index, next_probe)) {
      if (pr.state == progress_state::replicate)
        pr.become_probe();
      send_append(m.from);
    }
    return;
  }
  if (m.log_index > log_.last_index())
    return; // Claims entries this leader never sent: corrupt, dropped.
  bool was_paused = pr.is_paused();
  if (!pr.maybe_update(m.log_index))
    return;
  // Figure 2: matchIndex only grows, and never past the leader's log.
  PACT_ASSERT(pr.match_index <= log_.last_index(),
              "match index beyond the leader's last index");
  if (pr.state == progress_state::probe) {
    pr.become_replicate();
  } else if (pr.state == progress_state::snapshot
             && pr.match_index >= pr.pending_snapshot) {
    // §7: the follower installed the snapshot; resume normal replication.
    pr.become_probe();
    pr.become_replicate();
  } else if (pr.state == progress_state::replicate) {
    pr.inflight.free_le(m.log_index);
  }
  if (maybe_commit())
    bcast_append(); // Tell followers the new commit index.
  else if (was_paused)
    send_append(m.from);
  // Pipelining: fill the window while there is something to send.
  while (maybe_send_append(m.from, false)) {
  }
  // Thesis §3.10: once the target's log is up to date, tell it to start
  // an election now.
  if (m.from == lead_transferee_ && pr.match_index == log_.last_index())
    send_timeout_now(m.from);
}

void core::handle_heartbeat_response(const message& m, progress& pr) {
  pr.probe_sent = false;
  // A heartbeat answer proves the peer is alive; make room so a lost
  // AppendEntries does not stall the pipeline forever.
  if (pr.state == progress_state::replicate && pr.inflight.full())
    pr.inflight.free_first_one();
  if (pr.state == progress_state::snapshot) {
    // Send the chunk again if it seems lost: none is on the way, or the
    // one sent has gone unanswered for an election timeout.
    if (!pr.snapshot_chunk_sent
        || ++pr.snapshot_beats_unanswered
             >= cfg_.election_timeout_ticks / cfg_.heartbeat_interval_ticks)
      send_snapshot_chunk(m.from, pr);
  } else if (pr.match_index < log_.last_index())
    send_append(m.from);
  if (m.context.empty() || pr.is_learner)
    return;
  // Thesis §6.4 step 3: the read is safe once a majority acknowledged a
  // heartbeat sent after the request arrived.
  const auto* acks = read_only_.recv_ack(m.from, m.context);
  if (acks == nullptr)
    return;
  std::size_t voters = 0;
  for (auto id : *acks)
    if (tracker_.is_voter(id))
      ++voters;
  if (voters < tracker_.quorum())
    return;
  for (auto& st : read_only_.advance(m.context))
    answer_read(st.from, st.index, std::move(st.context));
}

void core::handle_snapshot_response(const message& m, progress& pr) {
  if (pr.state != progress_state::snapshot
      || m.log_index != pr.pending_snapshot)
    return; // Stale answer about an earlier transfer.
  // hint_index is the next byte the follower expects (0 restarts). An
  // answer asking for the chunk already on the way answers a copy sent
  // earlier: sending it again would keep one more copy going round.
  if (pr.snapshot_chunk_sent && m.hint_index == pr.snapshot_offset)
    return;
  pr.snapshot_offset = m.hint_index;
  send_snapshot_chunk(m.from, pr);
}

// -- ReadIndex ----------------------------------------------------------------

void core::handle_read_index_request(node_id from, std::string context) {
  if (tracker_.quorum() == 1) {
    // A single voter is its own quorum.
    answer_read(from, log_.committed(), std::move(context));
    return;
  }
  // Thesis §6.4 step 1: the leader must have committed an entry of its own
  // term (the no-op) before its commit index is known to be current.
  if (!committed_entry_in_current_term()) {
    pending_reads_.emplace_back(from, std::move(context));
    return;
  }
  // Thesis §6.4 step 2: record the commit index as the read index, then
  // confirm leadership with a round of heartbeats.
  read_only_.add_request(log_.committed(), from, context);
  read_only_.recv_ack(id_, context);
  for (auto& [peer, pr] : tracker_.all())
    if (peer != id_)
      send_heartbeat(peer, context);
}

void core::release_pending_read_index() {
  if (pending_reads_.empty() || !committed_entry_in_current_term())
    return;
  auto reads = std::exchange(pending_reads_, {});
  for (auto& [from, context] : reads)
    handle_read_index_request(from, std::move(context));
}

void core::answer_read(node_id from, index_t index, std::string context) {
  if (from == id_ || from == no_node) {
    read_states_.push_back(read_state{index, std::move(context)});
    return;
  }
  message m;
  m.type = message_type::read_index_response;
  m.to = from;
  m.log_index = index;
  m.context = std::move(context);
  send(std::move(m));
}

} // namespace pact::raft
