#include "runtime/raft/raw_node.hpp"

namespace pact::raft {

raw_node::raw_node(config cfg)
  : core_(cfg), storage_(*cfg.storage),
    max_committed_bytes_(cfg.max_committed_bytes_per_ready) {
  prev_soft_ = core_.soft();
  prev_hard_ = core_.hard();
}

bool raw_node::has_ready() const {
  const auto& log = core_.log();
  return core_.soft() != prev_soft_ || core_.hard() != prev_hard_
         || !log.unstable_entries().empty() || log.unstable_snapshot()
         || log.has_next_committed_entries() || core_.has_pending_messages();
}

ready raw_node::get_ready() {
  PACT_ASSERT(!outstanding_, "get_ready() before advance() of the last");
  outstanding_ = true;
  ready rd;
  rd.sequence = ++sequence_;
  if (core_.soft() != prev_soft_)
    rd.soft_state = core_.soft();
  if (core_.hard() != prev_hard_)
    rd.hard_state = core_.hard();
  const auto& log = core_.log();
  rd.entries = log.unstable_entries();
  rd.snapshot = log.unstable_snapshot();
  rd.committed_entries = log.next_committed_entries(max_committed_bytes_);
  split_messages(rd);
  rd.read_states = core_.take_read_states();
  rd.must_sync = !rd.entries.empty() || rd.snapshot.has_value()
                 || (rd.hard_state
                     && (rd.hard_state->current_term != prev_hard_.current_term
                         || rd.hard_state->voted_for != prev_hard_.voted_for));
  return rd;
}

void raw_node::split_messages(ready& rd) {
  // Step 0 of the ready contract (raw_node.hpp): only a leader whose term
  // is durable, and only its AppendEntries and heartbeats of that term.
  bool early = core_.may_send_before_persist();
  auto term = core_.current_term();
  for (auto& m : core_.take_messages()) {
    bool may = early && m.term == term
               && (m.type == message_type::append_entries
                   || m.type == message_type::heartbeat);
    (may ? rd.early_messages : rd.messages).push_back(std::move(m));
  }
}

void raw_node::check_durable(const ready& rd) const {
  // The ready contract, step 1: everything that must be durable is.
  if (rd.hard_state) {
    // Term and vote exactly; the commit index may lag (ready::must_sync).
    auto stored = storage_.load_initial_state().hard;
    PACT_ASSERT(stored.current_term == rd.hard_state->current_term
                  && stored.voted_for == rd.hard_state->voted_for
                  && stored.commit_index <= rd.hard_state->commit_index,
                "advance(): ready.hard_state was not persisted before "
                "its messages were sent");
  }
  if (rd.snapshot) {
    auto meta = storage_.snapshot_metadata();
    PACT_ASSERT(meta.ok()
                  && meta.value().last_included_index
                       >= rd.snapshot->meta.last_included_index,
                "advance(): ready.snapshot was not persisted");
  }
  if (!rd.entries.empty()) {
    const auto& last = rd.entries.back();
    auto t = storage_.term(last.index);
    bool stored = t.ok() && t.value() == last.term;
    // A snapshot taken meanwhile may already cover the entry.
    bool covered = !t.ok() && t.error() == storage_error::compacted;
    PACT_ASSERT(stored || covered,
                "advance(): ready.entries were not persisted before "
                "their messages were sent");
  }
}

void raw_node::advance(const ready& rd) {
  PACT_ASSERT(outstanding_ && rd.sequence == sequence_,
              "advance() of a ready that is not the latest");
  check_durable(rd);
  outstanding_ = false;
  if (rd.soft_state)
    prev_soft_ = *rd.soft_state;
  if (rd.hard_state)
    prev_hard_ = *rd.hard_state;
  auto& log = core_.log();
  if (rd.snapshot) {
    log.stable_snap_to(rd.snapshot->meta.last_included_index);
    log.applied_to(rd.snapshot->meta.last_included_index);
  }
  if (!rd.entries.empty())
    log.stable_to(rd.entries.back().index, rd.entries.back().term);
  if (!rd.committed_entries.empty())
    log.applied_to(rd.committed_entries.back().index);
}

} // namespace pact::raft
