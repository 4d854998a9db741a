#include "tests/sim/sim_store.hpp"

#include <algorithm>

namespace pact::sim {

sim_store::sim_store(raft::conf_state bootstrap, rng stream)
  : bootstrap_(bootstrap), rng_(stream), volatile_(bootstrap),
    durable_(std::move(bootstrap)) {
}

raft::initial_state sim_store::load_initial_state() const {
  return volatile_.load_initial_state();
}

raft::index_t sim_store::first_index() const {
  return volatile_.first_index();
}

raft::index_t sim_store::last_index() const {
  return volatile_.last_index();
}

raft::result<raft::term_t> sim_store::term(raft::index_t i) const {
  return volatile_.term(i);
}

raft::result<std::vector<raft::entry>>
sim_store::entries(raft::index_t lo, raft::index_t hi,
                   std::size_t max_bytes) const {
  return volatile_.entries(lo, hi, max_bytes);
}

raft::result<raft::snapshot_meta> sim_store::snapshot_metadata() const {
  return volatile_.snapshot_metadata();
}

raft::result<raft::snapshot_chunk>
sim_store::read_snapshot_chunk(raft::index_t snapshot_index,
                               std::uint64_t offset,
                               std::size_t max_bytes) const {
  return volatile_.read_snapshot_chunk(snapshot_index, offset, max_bytes);
}

pact::expected<raft::snapshot> sim_store::load_snapshot() const {
  return volatile_.load_snapshot();
}

bool sim_store::failed() const {
  return volatile_.failed();
}

const std::string& sim_store::failure() const {
  return volatile_.failure();
}

bool sim_store::full() const {
  return volatile_.full();
}

std::pair<raft::index_t, raft::term_t> sim_store::durable_end() const {
  return report_unsynced_ ? volatile_.durable_end() : durable_.durable_end();
}

void sim_store::fire_armed_failure() {
  if (!armed_failure_)
    return;
  volatile_.fail_next_write(armed_failure_->first, armed_failure_->second);
  armed_failure_.reset();
}

pact::status sim_store::save(const store::write_batch& b) {
  if (!b.empty())
    fire_armed_failure();
  if (auto st = volatile_.save(b); !st || b.empty())
    return st; // A failed write changes nothing, on disk either.
  pending_write w{pending_write::kind::save, 0, {}, {}, {}, {}, 0, {}, {},
                  b.snapshot_in_state};
  if (b.hard_state != nullptr)
    w.hard_state = *b.hard_state;
  if (b.entries != nullptr)
    w.entries = *b.entries;
  if (b.snapshot != nullptr) {
    w.snapshot = *b.snapshot;
    ++stats_.snapshots_installed;
  }
  if (b.conf_state != nullptr)
    w.conf_state = *b.conf_state;
  if (b.state != nullptr)
    w.state = *b.state;
  ++stats_.fsyncs;
  queue(std::move(w), rng_.between(min_fsync_, max_fsync_));
  return {};
}

pact::expected<std::optional<std::string>>
sim_store::get(store::state_table t, std::string_view key) const {
  return volatile_.get(t, key);
}

pact::status sim_store::scan(store::state_table t, std::string_view from,
                             std::string_view to, bool descending,
                             const store::state_visitor& fn) const {
  return volatile_.scan(t, from, to, descending, fn);
}

pact::status sim_store::write(const store::state_write& w) {
  store::write_batch b;
  b.state = &w;
  return save(b);
}

pact::status sim_store::create_snapshot(raft::index_t i,
                                        const raft::conf_state& conf,
                                        std::string data) {
  fire_armed_failure();
  if (auto st = volatile_.create_snapshot(i, conf, data); !st)
    return st;
  ++stats_.snapshots_taken;
  pending_write w{pending_write::kind::create_snapshot,
                  0,
                  {},
                  {},
                  {},
                  conf,
                  i,
                  std::move(data),
                  {},
                  false};
  queue(std::move(w), 0);
  return {};
}

pact::status sim_store::create_state_snapshot(raft::index_t i,
                                              const raft::conf_state& conf) {
  fire_armed_failure();
  if (auto st = volatile_.create_state_snapshot(i, conf); !st)
    return st;
  ++stats_.snapshots_taken;
  queue(pending_write{pending_write::kind::create_state_snapshot,
                      0,
                      {},
                      {},
                      {},
                      conf,
                      i,
                      {},
                      {},
                      false},
        0);
  return {};
}

pact::status sim_store::compact(raft::index_t i) {
  fire_armed_failure();
  if (auto st = volatile_.compact(i); !st)
    return st;
  queue(
    pending_write{
      pending_write::kind::compact, 0, {}, {}, {}, {}, i, {}, {}, false},
    0);
  return {};
}

void sim_store::queue(pending_write w, std::uint64_t latency) {
  // In order: a write completes no earlier than the one before it.
  w.done_at = now_ + latency;
  if (!pending_.empty())
    w.done_at = std::max(w.done_at, pending_.back().done_at);
  pending_.push_back(std::move(w));
}

std::optional<std::uint64_t> sim_store::sync_due() const {
  if (pending_.empty() || lie_)
    return std::nullopt;
  return pending_.back().done_at;
}

bool sim_store::complete(std::uint64_t now) {
  std::size_t n = 0;
  while (n < pending_.size() && pending_[n].done_at <= now)
    make_durable(pending_[n++]);
  pending_.erase(pending_.begin(),
                 pending_.begin() + static_cast<std::ptrdiff_t>(n));
  return n > 0;
}

void sim_store::make_durable(const pending_write& w) {
  // The same writes on the durable twin, which has no injected faults, so
  // they cannot fail.
  pact::status st;
  switch (w.what) {
    case pending_write::kind::save: {
      store::write_batch b;
      b.hard_state = w.hard_state ? &*w.hard_state : nullptr;
      b.entries = &w.entries;
      b.snapshot = w.snapshot ? &*w.snapshot : nullptr;
      b.conf_state = w.conf_state ? &*w.conf_state : nullptr;
      b.state = w.state ? &*w.state : nullptr;
      b.snapshot_in_state = w.snapshot_in_state;
      st = durable_.save(b);
      break;
    }
    case pending_write::kind::create_snapshot:
      st = durable_.create_snapshot(w.index, *w.conf_state, w.data);
      break;
    case pending_write::kind::create_state_snapshot:
      st = durable_.create_state_snapshot(w.index, *w.conf_state);
      break;
    case pending_write::kind::compact:
      st = durable_.compact(w.index);
      break;
  }
  PACT_ASSERT(st.ok(), "the durable twin refused a write the volatile view "
                       "took");
}

void sim_store::crash() {
  for (const auto& w : pending_)
    if (w.what == pending_write::kind::save)
      ++stats_.lost_batches; // Never fsynced: gone.
  pending_.clear();
  armed_failure_.reset(); // A write failure strikes one process, not the next.
  if (forget_vote_) {
    auto hs = durable_.load_initial_state().hard;
    hs.voted_for = raft::no_node;
    auto st = durable_.set_hard_state(hs);
    PACT_ASSERT(st.ok(), "the durable twin refused a hard state");
  }
  volatile_ = durable_; // What a reopened store reads; failures forgotten.
}

void sim_store::load(const std::vector<raft::entry>& ents,
                     const raft::hard_state& hs) {
  pending_.clear();
  durable_ = store::memory_store{bootstrap_};
  auto st = durable_.append(ents);
  PACT_ASSERT(st.ok(), "cannot load entries");
  st = durable_.set_hard_state(hs);
  PACT_ASSERT(st.ok(), "cannot load the hard state");
  volatile_ = durable_;
}

} // namespace pact::sim
