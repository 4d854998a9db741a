#include "runtime/store/memory_store.hpp"

namespace pact::store {

memory_store::memory_store(raft::conf_state bootstrap)
  : storage_(std::move(bootstrap)) {
}

raft::initial_state memory_store::load_initial_state() const {
  return storage_.load_initial_state();
}

raft::index_t memory_store::first_index() const {
  return storage_.first_index();
}

raft::index_t memory_store::last_index() const {
  return storage_.last_index();
}

raft::result<raft::term_t> memory_store::term(raft::index_t i) const {
  return storage_.term(i);
}

raft::result<std::vector<raft::entry>>
memory_store::entries(raft::index_t lo, raft::index_t hi,
                      std::size_t max_bytes) const {
  return storage_.entries(lo, hi, max_bytes);
}

raft::result<raft::snapshot_meta> memory_store::snapshot_metadata() const {
  return storage_.snapshot_metadata();
}

raft::result<raft::snapshot_chunk>
memory_store::read_snapshot_chunk(raft::index_t snapshot_index,
                                  std::uint64_t offset,
                                  std::size_t max_bytes) const {
  if (!state_snapshot_)
    return storage_.read_snapshot_chunk(snapshot_index, offset, max_bytes);
  if (snapshot_index != storage_.latest_snapshot().meta.last_included_index)
    return raft::storage_error::compacted;
  if (!view_)
    return raft::storage_error::snapshot_temporarily_unavailable;
  auto chunk = view_->read(offset, max_bytes);
  PACT_ASSERT(chunk.has_value(), "in-memory state view cannot fail a read");
  return std::move(*chunk);
}

std::optional<pact::error> memory_store::check_writable(const char* op) {
  if (!failure_.empty())
    return make_error(std::string{"raft log in memory: "} + op
                      + ": refused after an earlier write failure: "
                      + failure_);
  if (injected_) {
    failure_ = std::string{"raft log in memory: "} + op + ": " + *injected_;
    full_ = inject_full_;
    injected_.reset();
    return make_error(failure_);
  }
  return std::nullopt;
}

pact::status memory_store::save(const write_batch& b) {
  if (b.empty() && failure_.empty())
    return {}; // Nothing to write (and no injected failure to spend).
  if (auto err = check_writable("save"))
    return *err;
  if (b.snapshot != nullptr
      && b.snapshot->meta.last_included_index
           > storage_.latest_snapshot().meta.last_included_index) {
    // A state snapshot's image is the tables `state` replaces.
    storage_.apply_snapshot(
      b.snapshot_in_state ? raft::snapshot{b.snapshot->meta, {}} : *b.snapshot);
    state_snapshot_ = b.snapshot_in_state;
    view_.reset();
  }
  if (b.entries != nullptr)
    storage_.append(*b.entries);
  if (b.hard_state != nullptr)
    storage_.set_hard_state(*b.hard_state);
  if (b.conf_state != nullptr)
    storage_.set_conf_state(*b.conf_state);
  if (b.state != nullptr)
    return rows_.write(*b.state);
  return {};
}

pact::expected<std::optional<std::string>>
memory_store::get(state_table t, std::string_view key) const {
  return rows_.get(t, key);
}

pact::status memory_store::scan(state_table t, std::string_view from,
                                std::string_view to, bool descending,
                                const state_visitor& fn) const {
  return rows_.scan(t, from, to, descending, fn);
}

pact::status memory_store::write(const state_write& w) {
  write_batch b;
  b.state = &w;
  return save(b);
}

pact::status memory_store::create_snapshot(raft::index_t i,
                                           const raft::conf_state& conf,
                                           std::string data) {
  if (auto err = check_writable("create_snapshot"))
    return *err;
  if (i <= storage_.latest_snapshot().meta.last_included_index)
    return {};
  storage_.create_snapshot(i, conf, std::move(data));
  state_snapshot_ = false;
  view_.reset();
  return {};
}

pact::status memory_store::create_state_snapshot(raft::index_t i,
                                                 const raft::conf_state& conf) {
  if (auto err = check_writable("create_state_snapshot"))
    return *err;
  auto stored = storage_.latest_snapshot().meta.last_included_index;
  if (i < stored || (i == stored && (i == 0 || view_)))
    return {};
  if (i > stored)
    storage_.create_snapshot(i, conf, {});
  state_snapshot_ = true;
  view_.emplace(copy_view(rows_));
  return {};
}

pact::status memory_store::compact(raft::index_t i) {
  if (auto err = check_writable("compact"))
    return *err;
  storage_.compact(i);
  return {};
}

pact::expected<raft::snapshot> memory_store::load_snapshot() const {
  return storage_.latest_snapshot();
}

bool memory_store::failed() const {
  return !failure_.empty();
}

const std::string& memory_store::failure() const {
  return failure_;
}

void memory_store::fail_next_write(std::string reason, bool full) {
  injected_ = std::move(reason);
  inject_full_ = full;
}

} // namespace pact::store
