#include "runtime/raft/memory_storage.hpp"

#include <algorithm>

namespace pact::raft {

const char* to_string(storage_error e) {
  switch (e) {
    case storage_error::none:
      return "none";
    case storage_error::compacted:
      return "requested index is compacted";
    case storage_error::unavailable:
      return "requested index is unavailable";
    case storage_error::snapshot_temporarily_unavailable:
      return "snapshot temporarily unavailable";
  }
  return "unknown";
}

memory_storage::memory_storage(conf_state conf) : conf_(std::move(conf)) {
  snapshot_.meta.conf = conf_;
  entries_.push_back(entry{});
}

initial_state memory_storage::load_initial_state() const {
  return initial_state{hard_, conf_};
}

index_t memory_storage::first_index() const {
  return entries_.front().index + 1;
}

index_t memory_storage::last_index() const {
  return entries_.front().index + entries_.size() - 1;
}

result<term_t> memory_storage::term(index_t i) const {
  auto offset = entries_.front().index;
  if (i < offset)
    return storage_error::compacted;
  if (i - offset >= entries_.size())
    return storage_error::unavailable;
  return entries_[i - offset].term;
}

result<std::vector<entry>>
memory_storage::entries(index_t lo, index_t hi, std::size_t max_bytes) const {
  auto offset = entries_.front().index;
  if (lo <= offset)
    return storage_error::compacted;
  PACT_ASSERT(lo <= hi && hi <= last_index() + 1,
              "entries(): range out of bounds");
  std::vector<entry> out;
  std::size_t bytes = 0;
  for (auto i = lo; i < hi; ++i) {
    const auto& e = entries_[i - offset];
    bytes += entry_size(e);
    if (!out.empty() && bytes > max_bytes)
      break;
    out.push_back(e);
  }
  return out;
}

result<snapshot_meta> memory_storage::snapshot_metadata() const {
  return snapshot_.meta;
}

result<snapshot_chunk> memory_storage::read_snapshot_chunk(
  index_t snapshot_index, std::uint64_t offset, std::size_t max_bytes) const {
  if (snapshot_index != snapshot_.meta.last_included_index)
    return storage_error::compacted;
  PACT_ASSERT(offset <= snapshot_.data.size(),
              "read_snapshot_chunk(): offset beyond the image");
  snapshot_chunk chunk;
  auto n = std::min<std::uint64_t>(max_bytes, snapshot_.data.size() - offset);
  chunk.data = snapshot_.data.substr(offset, n);
  chunk.done = offset + n == snapshot_.data.size();
  return chunk;
}

void memory_storage::set_hard_state(const hard_state& hs) {
  hard_ = hs;
}

void memory_storage::set_conf_state(const conf_state& cs) {
  conf_ = cs;
}

void memory_storage::append(const std::vector<entry>& ents) {
  if (ents.empty())
    return;
  auto first = first_index();
  auto last = ents.back().index;
  if (last < first)
    return; // Everything is already covered by the snapshot.
  // Skip the part that the snapshot already covers.
  auto begin = ents.begin();
  if (ents.front().index < first)
    begin += static_cast<std::ptrdiff_t>(first - ents.front().index);
  auto offset = begin->index - entries_.front().index;
  PACT_ASSERT(offset <= entries_.size(), "append(): gap in the log");
  entries_.resize(offset); // Truncate a conflicting suffix.
  entries_.insert(entries_.end(), begin, ents.end());
}

bool memory_storage::apply_snapshot(const snapshot& snap) {
  if (snap.meta.last_included_index <= snapshot_.meta.last_included_index)
    return false;
  snapshot_ = snap;
  conf_ = snap.meta.conf;
  entries_.clear();
  entry dummy;
  dummy.index = snap.meta.last_included_index;
  dummy.term = snap.meta.last_included_term;
  entries_.push_back(dummy);
  return true;
}

bool memory_storage::create_snapshot(index_t i, const conf_state& cs,
                                     std::string data) {
  if (i <= snapshot_.meta.last_included_index)
    return false;
  PACT_ASSERT(i <= last_index(), "create_snapshot(): index beyond log");
  snapshot_.meta.last_included_index = i;
  snapshot_.meta.last_included_term = term(i).value();
  snapshot_.meta.conf = cs;
  snapshot_.data = std::move(data);
  return true;
}

bool memory_storage::compact(index_t i) {
  auto offset = entries_.front().index;
  if (i <= offset)
    return false;
  PACT_ASSERT(i <= snapshot_.meta.last_included_index,
              "compact(): index not covered by the latest snapshot");
  entries_.erase(entries_.begin(),
                 entries_.begin() + static_cast<std::ptrdiff_t>(i - offset));
  entries_.front().data.clear();
  return true;
}

} // namespace pact::raft
