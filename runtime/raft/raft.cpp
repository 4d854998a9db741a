#include "runtime/raft/raft.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "runtime/raft/random.hpp"

namespace pact::raft {

const char* config::validate() const {
  if (id == no_node)
    return "id must be non-zero";
  if (storage == nullptr)
    return "storage must be set";
  if (heartbeat_interval_ticks <= 0)
    return "heartbeat_interval_ticks must be positive";
  if (election_timeout_ticks <= heartbeat_interval_ticks)
    return "election_timeout_ticks must exceed heartbeat_interval_ticks";
  if (max_inflight_msgs == 0)
    return "max_inflight_msgs must be positive";
  if (max_entries_per_msg == 0)
    return "max_entries_per_msg must be positive";
  if (max_snapshot_chunk_bytes == 0)
    return "max_snapshot_chunk_bytes must be positive";
  return nullptr;
}

core::core(config cfg)
  : cfg_(std::move(cfg)), id_(cfg_.id), log_(*cfg_.storage),
    tracker_(cfg_.max_inflight_msgs), own_receiver_(cfg_.accept_snapshot) {
  PACT_ASSERT(cfg_.validate() == nullptr, "invalid raft config");
#ifdef PACT_RAFT_INVARIANTS
  cfg_.check_invariants = true; // Debug build: check after every input.
#endif
  if (!cfg_.random)
    cfg_.random = splitmix64{id_};
  auto init = cfg_.storage->load_initial_state();
  tracker_.reset(init.conf, log_.last_index() + 1);
  if (!init.hard.empty()) {
    // Figure 2: currentTerm and votedFor survive restarts, so a replica
    // never votes twice in one term (§5.2).
    current_term_ = init.hard.current_term;
    voted_for_ = init.hard.voted_for;
    log_.commit_to(init.hard.commit_index);
  }
  // Only committed entries are applied: the stored commit index may lag
  // behind what the state machine applied (ready::must_sync).
  log_.commit_to(cfg_.applied);
  if (cfg_.applied > 0)
    log_.applied_to(cfg_.applied);
  // What the storage holds at start-up survived a restart: it is durable.
  durable_index_ = log_.last_index();
  durable_term_ = log_.last_term();
  become_follower(current_term_, no_node);
}

std::vector<message> core::take_messages() {
  return std::exchange(msgs_, {});
}

std::vector<read_state> core::take_read_states() {
  return std::exchange(read_states_, {});
}

// -- roles --------------------------------------------------------------------

void core::reset(term_t term) {
  // Figure 2: currentTerm "increases monotonically".
  PACT_ASSERT(term >= current_term_, "term would go backwards");
  if (current_term_ != term) {
    current_term_ = term;
    voted_for_ = no_node; // A new term starts without a vote (§5.2).
  }
  leader_id_ = no_node;
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  reset_randomized_election_timeout();
  abort_leader_transfer();
  tracker_.reset_votes();
  tracker_.reset_progress(id_, log_.last_index());
  pending_conf_index_ = 0;
  read_only_.reset();
  pending_reads_.clear();
}

void core::become_follower(term_t term, node_id leader) {
  reset(term);
  leader_id_ = leader;
  role_ = node_role::follower;
}

void core::become_pre_candidate() {
  PACT_ASSERT(role_ != node_role::leader, "leader -> pre_candidate");
  // Thesis §9.6: the pre-vote phase changes neither the term nor the vote,
  // so a partitioned replica cannot inflate terms and disrupt the cluster.
  tracker_.reset_votes();
  leader_id_ = no_node;
  role_ = node_role::pre_candidate;
}

void core::become_candidate() {
  PACT_ASSERT(role_ != node_role::leader, "leader -> candidate");
  // §5.2: "To begin an election, a follower increments its current term
  // and transitions to candidate state. It then votes for itself."
  reset(current_term_ + 1);
  voted_for_ = id_;
  role_ = node_role::candidate;
}

void core::become_leader() {
  PACT_ASSERT(role_ != node_role::follower, "follower -> leader");
  reset(current_term_);
  leader_id_ = id_;
  role_ = node_role::leader;
  auto& self = *tracker_.find(id_);
  self.become_replicate();
  // Thesis §10.2.1: the leader counts only the part of its log it knows
  // durable (reset() matched the whole log, as for any role).
  self.match_index = own_durable_match();
  // Conservatively treat any entry not yet applied as a possibly pending
  // conf change (thesis §4.1: one change at a time).
  pending_conf_index_ = log_.last_index();
  // §5.4.2 / thesis §6.4: a new leader commits a no-op of its own term;
  // that commits all earlier entries and enables ReadIndex.
  entry noop;
  noop.kind = entry_kind::noop;
  append_entry({std::move(noop)});
}

void core::reset_randomized_election_timeout() {
  // §5.2: "election timeouts are chosen randomly from a fixed interval".
  auto base = static_cast<std::uint64_t>(cfg_.election_timeout_ticks);
  randomized_election_timeout_ = static_cast<int>(base + cfg_.random() % base);
}

bool core::promotable() const {
  // Learners never campaign (thesis §4.2.1).
  return tracker_.is_voter(id_);
}

bool core::has_unapplied_conf_change() const {
  if (log_.committed() <= log_.applied())
    return false;
  auto ents = log_.slice(log_.applied() + 1, log_.committed() + 1, SIZE_MAX);
  if (!ents.ok())
    return false;
  for (const auto& e : ents.value())
    if (e.kind == entry_kind::conf_change)
      return true;
  return false;
}

void core::send(message m) {
  m.from = id_;
  // Forwarded read requests are "local" and carry no term; every other
  // message carries the sender's term unless it is a vote answer, whose
  // term was set by the caller (thesis §9.6: pre-vote answers echo the
  // proposed term).
  bool term_set_by_caller = m.type == message_type::request_vote_response
                            || m.type == message_type::pre_vote_response
                            || m.type == message_type::pre_vote;
  if (m.type == message_type::read_index)
    m.term = 0;
  else if (!term_set_by_caller)
    m.term = current_term_;
  msgs_.push_back(std::move(m));
}

// -- time ---------------------------------------------------------------------

void core::tick() {
  const input_scope check{*this};
  if (role_ == node_role::leader)
    tick_heartbeat();
  else
    tick_election();
}

void core::tick_election() {
  ++election_elapsed_;
  // §5.2: "If a follower receives no communication over a period of time
  // called the election timeout, then it ... begins an election".
  if (promotable() && election_elapsed_ >= randomized_election_timeout_) {
    election_elapsed_ = 0;
    hup(false);
  }
}

void core::tick_heartbeat() {
  ++heartbeat_elapsed_;
  ++election_elapsed_;
  if (election_elapsed_ >= cfg_.election_timeout_ticks) {
    election_elapsed_ = 0;
    if (cfg_.check_quorum)
      check_quorum_active();
    // Thesis §3.10: "If the transfer does not complete after about one
    // election timeout, the leader aborts the transfer".
    if (role_ == node_role::leader && lead_transferee_ != no_node)
      abort_leader_transfer();
  }
  if (role_ != node_role::leader)
    return;
  if (heartbeat_elapsed_ >= cfg_.heartbeat_interval_ticks) {
    heartbeat_elapsed_ = 0;
    bcast_heartbeat();
  }
}

// -- elections ----------------------------------------------------------------

void core::campaign() {
  const input_scope check{*this};
  hup(false);
}

void core::hup(bool transfer) {
  if (role_ == node_role::leader || !promotable())
    return;
  // A replica whose committed-but-unapplied entries include a membership
  // change does not know its final configuration yet (thesis §4.1).
  if (has_unapplied_conf_change())
    return;
  start_campaign(cfg_.pre_vote && !transfer, transfer);
}

void core::start_campaign(bool pre, bool transfer) {
  term_t term;
  message_type type;
  if (pre) {
    become_pre_candidate();
    // Thesis §9.6: ask whether we *could* win at the next term.
    term = current_term_ + 1;
    type = message_type::pre_vote;
  } else {
    become_candidate();
    term = current_term_;
    type = message_type::request_vote;
  }
  if (poll(id_, true) == vote_result::won) {
    // Single-voter cluster: we won at once.
    if (pre)
      start_campaign(false, transfer);
    else
      become_leader();
    return;
  }
  for (auto peer : tracker_.voters()) {
    if (peer == id_)
      continue;
    message m;
    m.type = type;
    m.to = peer;
    m.term = term;
    // §5.4.1: the vote request carries lastLogIndex and lastLogTerm.
    m.log_index = log_.last_index();
    m.log_term = log_.last_term();
    if (transfer)
      m.context = transfer_context;
    send(std::move(m));
  }
}

vote_result core::poll(node_id from, bool granted) {
  tracker_.record_vote(from, granted);
  return tracker_.tally_votes();
}

// -- step ---------------------------------------------------------------------

void core::step(const message& m) {
  const input_scope check{*this};
  if (m.to != id_ || m.from == id_)
    return;
  if (!step_term(m))
    return;
  switch (m.type) {
    case message_type::pre_vote:
    case message_type::request_vote:
      handle_vote_request(m);
      return;
    default:
      break;
  }
  switch (role_) {
    case node_role::follower:
      step_follower(m);
      break;
    case node_role::pre_candidate:
    case node_role::candidate:
      step_candidate(m);
      break;
    case node_role::leader:
      step_leader(m);
      break;
  }
}

bool core::step_term(const message& m) {
  bool is_vote = m.type == message_type::pre_vote
                 || m.type == message_type::request_vote;
  if (m.term == 0)
    return true; // Local request forwarded by a follower (read_index).
  if (m.term > current_term_) {
    if (is_vote) {
      // Thesis §4.2.3: while a replica believes a leader is alive (it heard
      // from it within the minimum election timeout) it ignores vote
      // requests, so a removed or partitioned server cannot disrupt. A
      // leadership transfer (thesis §3.10) is exempt.
      bool force = m.context == transfer_context;
      bool in_lease = cfg_.check_quorum && leader_id_ != no_node
                      && election_elapsed_ < cfg_.election_timeout_ticks;
      if (!force && in_lease)
        return false;
    }
    if (m.type == message_type::pre_vote) {
      // Thesis §9.6: a pre-vote does not change the receiver's term.
    } else if (m.type == message_type::pre_vote_response && !m.reject) {
      // Granted pre-votes echo the proposed term; the term only changes
      // once a quorum granted them and the real election starts.
    } else {
      // §5.1: "If a server receives a request with a higher term, it
      // updates its current term and reverts to follower state."
      bool from_leader = m.type == message_type::append_entries
                         || m.type == message_type::heartbeat
                         || m.type == message_type::install_snapshot;
      become_follower(m.term, from_leader ? m.from : no_node);
    }
    return true;
  }
  if (m.term < current_term_) {
    if ((cfg_.check_quorum || cfg_.pre_vote)
        && (m.type == message_type::heartbeat
            || m.type == message_type::append_entries)) {
      // §5.1: "If a server receives a request with a stale term number, it
      // rejects the request." Answer so that a stale leader learns the new
      // term and steps down; otherwise, with pre-vote or check-quorum, a
      // partitioned leader could go on believing it leads forever.
      message resp;
      resp.type = message_type::append_entries_response;
      resp.to = m.from;
      send(std::move(resp));
    } else if (m.type == message_type::pre_vote) {
      message resp;
      resp.type = message_type::pre_vote_response;
      resp.to = m.from;
      resp.term = current_term_;
      resp.reject = true;
      send(std::move(resp));
    }
    return false; // Stale: ignore.
  }
  return true;
}

void core::handle_vote_request(const message& m) {
  bool pre = m.type == message_type::pre_vote;
  // §5.2: at most one vote per term, first-come-first-served; we may repeat
  // a vote already given to the same candidate. A pre-vote for a future
  // term binds nothing (thesis §9.6).
  bool can_vote = voted_for_ == m.from
                  || (voted_for_ == no_node && leader_id_ == no_node)
                  || (pre && m.term > current_term_);
  message resp;
  resp.type = pre ? message_type::pre_vote_response
                  : message_type::request_vote_response;
  resp.to = m.from;
  // §5.4.1: "the voter denies its vote if its own log is more up-to-date
  // than that of the candidate."
  if (can_vote && log_.is_up_to_date(m.log_index, m.log_term)) {
    resp.term = m.term;
    send(std::move(resp));
    if (!pre) {
      // §5.2: "each server will vote for at most one candidate in a given
      // term": a vote once given is only ever repeated.
      PACT_ASSERT(m.term == current_term_
                    && (voted_for_ == no_node || voted_for_ == m.from),
                  "second vote in one term");
      // §5.2: granting a vote resets the election timer.
      election_elapsed_ = 0;
      voted_for_ = m.from;
    }
  } else {
    resp.term = current_term_;
    resp.reject = true;
    send(std::move(resp));
  }
}

void core::step_candidate(const message& m) {
  auto my_response = role_ == node_role::pre_candidate
                       ? message_type::pre_vote_response
                       : message_type::request_vote_response;
  switch (m.type) {
    case message_type::append_entries:
    case message_type::heartbeat:
    case message_type::install_snapshot:
      // §5.2: "If the AppendEntries RPC is from another server claiming to
      // be leader whose term is at least as large as the candidate's
      // current term, then the candidate recognizes the leader as
      // legitimate and returns to follower state."
      become_follower(m.term, m.from);
      step_follower(m);
      return;
    default:
      break;
  }
  if (m.type != my_response)
    return; // Stale answers of an earlier phase, timeout_now, ...
  switch (poll(m.from, !m.reject)) {
    case vote_result::won:
      if (role_ == node_role::pre_candidate) {
        start_campaign(false, false);
      } else {
        become_leader();
        bcast_append();
      }
      break;
    case vote_result::lost:
      // §5.2: a candidate that cannot win waits for a leader or a timeout.
      become_follower(current_term_, no_node);
      break;
    case vote_result::pending:
      break;
  }
}

void core::step_follower(const message& m) {
  switch (m.type) {
    case message_type::append_entries:
      election_elapsed_ = 0;
      leader_id_ = m.from;
      handle_append(m);
      break;
    case message_type::heartbeat:
      election_elapsed_ = 0;
      leader_id_ = m.from;
      handle_heartbeat(m);
      break;
    case message_type::install_snapshot:
      election_elapsed_ = 0;
      leader_id_ = m.from;
      handle_snapshot_chunk(m);
      break;
    case message_type::timeout_now:
      // Thesis §3.10: the target starts an election at once, without
      // pre-vote, and its vote requests bypass the leader lease.
      hup(true);
      break;
    case message_type::read_index_response:
      read_states_.push_back(read_state{m.log_index, m.context});
      break;
    default:
      break;
  }
}

} // namespace pact::raft
