#include "runtime/raft/progress.hpp"

#include <algorithm>
#include <functional>

#include "runtime/common/assert.hpp"

namespace pact::raft {

namespace {

bool contains(const std::vector<node_id>& xs, node_id id) {
  return std::binary_search(xs.begin(), xs.end(), id);
}

void insert_sorted(std::vector<node_id>& xs, node_id id) {
  if (!contains(xs, id))
    xs.insert(std::upper_bound(xs.begin(), xs.end(), id), id);
}

void erase_sorted(std::vector<node_id>& xs, node_id id) {
  xs.erase(std::remove(xs.begin(), xs.end(), id), xs.end());
}

} // namespace

// -- inflights ----------------------------------------------------------------

void inflights::add(index_t last) {
  PACT_ASSERT(!full(), "inflights::add() on a full window");
  window_.push_back(last);
}

void inflights::free_le(index_t i) {
  while (!window_.empty() && window_.front() <= i)
    window_.pop_front();
}

void inflights::free_first_one() {
  if (!window_.empty())
    window_.pop_front();
}

// -- progress -----------------------------------------------------------------

const char* to_string(progress_state s) {
  switch (s) {
    case progress_state::probe:
      return "probe";
    case progress_state::replicate:
      return "replicate";
    case progress_state::snapshot:
      return "snapshot";
  }
  return "unknown";
}

void progress::reset_state(progress_state s) {
  probe_sent = false;
  pending_snapshot = 0;
  snapshot_offset = 0;
  snapshot_chunk_sent = false;
  snapshot_beats_unanswered = 0;
  state = s;
  inflight.reset();
}

void progress::become_probe() {
  // After a snapshot the peer holds at least the snapshot's entries.
  if (state == progress_state::snapshot) {
    auto pending = pending_snapshot;
    reset_state(progress_state::probe);
    next_index = std::max(match_index + 1, pending + 1);
  } else {
    reset_state(progress_state::probe);
    next_index = match_index + 1;
  }
}

void progress::become_replicate() {
  reset_state(progress_state::replicate);
  next_index = match_index + 1;
}

void progress::become_snapshot(index_t snapshot_index) {
  reset_state(progress_state::snapshot);
  pending_snapshot = snapshot_index;
}

bool progress::maybe_update(index_t n) {
  bool updated = false;
  if (match_index < n) {
    match_index = n;
    updated = true;
    probe_sent = false;
  }
  next_index = std::max(next_index, n + 1);
  return updated;
}

bool progress::maybe_decr_to(index_t rejected, index_t match_hint) {
  if (state == progress_state::replicate) {
    // A rejection at or below match is a stale, reordered answer.
    if (rejected <= match_index)
      return false;
    next_index = match_index + 1;
    return true;
  }
  // In probe state only the answer to the outstanding probe counts.
  if (next_index - 1 != rejected)
    return false;
  next_index = std::max(std::min(rejected, match_hint + 1), match_index + 1);
  probe_sent = false;
  return true;
}

bool progress::is_paused() const {
  switch (state) {
    case progress_state::probe:
      return probe_sent;
    case progress_state::replicate:
      return inflight.full();
    case progress_state::snapshot:
      return true;
  }
  return true;
}

// -- tracker ------------------------------------------------------------------

progress& tracker::ensure(node_id id, index_t next) {
  auto i = progress_.find(id);
  if (i == progress_.end()) {
    i = progress_.emplace(id, progress{max_inflight_}).first;
    i->second.next_index = next;
    // A new member counts as active so check-quorum does not immediately
    // depose the leader that added it.
    i->second.recent_active = true;
  }
  return i->second;
}

void tracker::reset(const conf_state& cs, index_t next) {
  conf_ = conf_state{};
  progress_.clear();
  for (auto id : cs.voters)
    add_voter(id, next);
  for (auto id : cs.learners)
    add_learner(id, next);
}

void tracker::reset_progress(node_id self, index_t last_index) {
  for (auto& [id, pr] : progress_) {
    auto learner = pr.is_learner;
    pr = progress{max_inflight_};
    pr.is_learner = learner;
    pr.next_index = last_index + 1;
    if (id == self)
      pr.match_index = last_index;
  }
}

progress* tracker::find(node_id id) {
  auto i = progress_.find(id);
  return i == progress_.end() ? nullptr : &i->second;
}

const progress* tracker::find(node_id id) const {
  auto i = progress_.find(id);
  return i == progress_.end() ? nullptr : &i->second;
}

bool tracker::is_voter(node_id id) const {
  return contains(conf_.voters, id);
}

bool tracker::is_learner(node_id id) const {
  return contains(conf_.learners, id);
}

index_t tracker::committed() const {
  if (conf_.voters.empty())
    return 0;
  std::vector<index_t> matched;
  for (auto id : conf_.voters)
    matched.push_back(progress_.at(id).match_index);
  std::sort(matched.begin(), matched.end(), std::greater<>{});
  // The quorum-th largest match is stored on at least a majority.
  return matched[quorum() - 1];
}

bool tracker::quorum_active() const {
  std::size_t active = 0;
  for (auto id : conf_.voters)
    if (progress_.at(id).recent_active)
      ++active;
  return active >= quorum();
}

void tracker::add_voter(node_id id, index_t next) {
  auto& pr = ensure(id, next);
  pr.is_learner = false; // Promotion keeps the progress.
  erase_sorted(conf_.learners, id);
  insert_sorted(conf_.voters, id);
}

void tracker::add_learner(node_id id, index_t next) {
  PACT_ASSERT(!is_voter(id), "demoting a voter to learner");
  auto& pr = ensure(id, next);
  pr.is_learner = true;
  insert_sorted(conf_.learners, id);
}

void tracker::remove(node_id id) {
  erase_sorted(conf_.voters, id);
  erase_sorted(conf_.learners, id);
  progress_.erase(id);
  votes_.erase(id);
}

void tracker::record_vote(node_id id, bool granted) {
  // Only the first answer of a voter counts (§5.2: one vote per term).
  votes_.emplace(id, granted);
}

vote_result tracker::tally_votes() const {
  std::size_t granted = 0;
  std::size_t rejected = 0;
  for (auto id : conf_.voters) {
    auto v = votes_.find(id);
    if (v == votes_.end())
      continue;
    if (v->second)
      ++granted;
    else
      ++rejected;
  }
  auto q = quorum();
  if (granted >= q)
    return vote_result::won;
  if (rejected > conf_.voters.size() - q)
    return vote_result::lost;
  return vote_result::pending;
}

} // namespace pact::raft
