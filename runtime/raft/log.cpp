#include "runtime/raft/log.hpp"

#include <algorithm>

namespace pact::raft {

// -- unstable -----------------------------------------------------------------

std::optional<index_t> unstable::maybe_first_index() const {
  if (snapshot_)
    return snapshot_->meta.last_included_index + 1;
  return std::nullopt;
}

std::optional<index_t> unstable::maybe_last_index() const {
  if (!entries_.empty())
    return offset_ + entries_.size() - 1;
  if (snapshot_)
    return snapshot_->meta.last_included_index;
  return std::nullopt;
}

std::optional<term_t> unstable::maybe_term(index_t i) const {
  if (i < offset_) {
    if (snapshot_ && snapshot_->meta.last_included_index == i)
      return snapshot_->meta.last_included_term;
    return std::nullopt;
  }
  auto last = maybe_last_index();
  if (!last || i > *last)
    return std::nullopt;
  return entries_[i - offset_].term;
}

void unstable::stable_to(index_t i, term_t t) {
  auto gt = maybe_term(i);
  // Only if the entry is still the one that was persisted: a later
  // truncate_and_append may have replaced it meanwhile.
  if (gt && *gt == t && i >= offset_) {
    entries_.erase(entries_.begin(),
                   entries_.begin()
                     + static_cast<std::ptrdiff_t>(i + 1 - offset_));
    offset_ = i + 1;
  }
}

void unstable::stable_snap_to(index_t i) {
  if (snapshot_ && snapshot_->meta.last_included_index == i)
    snapshot_.reset();
}

void unstable::restore(raft::snapshot snap) {
  offset_ = snap.meta.last_included_index + 1;
  entries_.clear();
  snapshot_ = std::move(snap);
}

void unstable::truncate_and_append(const std::vector<entry>& ents) {
  if (ents.empty())
    return;
  auto after = ents.front().index;
  if (after == offset_ + entries_.size()) {
    entries_.insert(entries_.end(), ents.begin(), ents.end());
  } else if (after <= offset_) {
    // The log is being truncated into the stable part; the host's append
    // replaces the conflicting suffix there too (§5.3).
    offset_ = after;
    entries_ = ents;
  } else {
    entries_.resize(after - offset_);
    entries_.insert(entries_.end(), ents.begin(), ents.end());
  }
}

std::vector<entry> unstable::slice(index_t lo, index_t hi) const {
  PACT_ASSERT(offset_ <= lo && lo <= hi && hi <= offset_ + entries_.size(),
              "unstable::slice(): range out of bounds");
  return std::vector<entry>(
    entries_.begin() + static_cast<std::ptrdiff_t>(lo - offset_),
    entries_.begin() + static_cast<std::ptrdiff_t>(hi - offset_));
}

// -- raft_log -----------------------------------------------------------------

raft_log::raft_log(const log_storage& storage)
  : storage_(storage), unstable_(storage.last_index() + 1),
    committed_(storage.first_index() - 1), applied_(storage.first_index() - 1) {
}

index_t raft_log::first_index() const {
  if (auto i = unstable_.maybe_first_index())
    return *i;
  return storage_.first_index();
}

index_t raft_log::last_index() const {
  if (auto i = unstable_.maybe_last_index())
    return *i;
  return storage_.last_index();
}

term_t raft_log::last_term() const {
  auto t = term(last_index());
  PACT_ASSERT(t.ok(), "term of the last index must be known");
  return t.value();
}

result<term_t> raft_log::term(index_t i) const {
  // The valid range is [first_index() - 1, last_index()]; the entry before
  // the first is the snapshot's last_included entry.
  if (i + 1 < first_index())
    return storage_error::compacted;
  if (i > last_index())
    return storage_error::unavailable;
  if (auto t = unstable_.maybe_term(i))
    return *t;
  return storage_.term(i);
}

term_t raft_log::term_or_zero(index_t i) const {
  auto t = term(i);
  return t.ok() ? t.value() : 0;
}

bool raft_log::match_term(index_t i, term_t t) const {
  auto got = term(i);
  return got.ok() && got.value() == t;
}

std::optional<index_t> raft_log::maybe_append(index_t index, term_t log_term,
                                              index_t committed,
                                              const std::vector<entry>& ents) {
  // §5.3: "Reply false if log doesn't contain an entry at prevLogIndex whose
  // term matches prevLogTerm."
  if (!match_term(index, log_term))
    return std::nullopt;
  index_t last_new = index + ents.size();
  // §5.3: "If an existing entry conflicts with a new one (same index but
  // different terms), delete the existing entry and all that follow it."
  // Entries already present are kept: a stale, shorter AppendEntries must
  // never truncate entries the leader may have counted as committed.
  auto ci = find_conflict(ents);
  if (ci != 0) {
    PACT_ASSERT(ci > committed_,
                "conflict with a committed entry (log matching broken)");
    auto skip = static_cast<std::ptrdiff_t>(ci - (index + 1));
    append(std::vector<entry>(ents.begin() + skip, ents.end()));
  }
  // §5.3: "If leaderCommit > commitIndex, set commitIndex =
  // min(leaderCommit, index of last new entry)."
  commit_to(std::min(committed, last_new));
  return last_new;
}

index_t raft_log::append(const std::vector<entry>& ents) {
  if (ents.empty())
    return last_index();
  PACT_ASSERT(ents.front().index > committed_,
              "append would overwrite committed entries");
  unstable_.truncate_and_append(ents);
  return last_index();
}

index_t raft_log::find_conflict(const std::vector<entry>& ents) const {
  for (const auto& e : ents)
    if (!match_term(e.index, e.term))
      return e.index;
  return 0;
}

std::pair<index_t, term_t> raft_log::find_conflict_by_term(index_t index,
                                                           term_t t) const {
  for (; index > 0; --index) {
    auto our = term(index);
    if (!our.ok())
      return {index, 0}; // Compacted: nothing better to offer.
    if (our.value() <= t)
      return {index, our.value()};
  }
  return {0, 0};
}

bool raft_log::is_up_to_date(index_t lasti, term_t t) const {
  // §5.4.1: "If the logs have last entries with different terms, then the
  // log with the later term is more up-to-date. If the logs end with the
  // same term, then whichever log is longer is more up-to-date."
  auto our_term = last_term();
  return t > our_term || (t == our_term && lasti >= last_index());
}

bool raft_log::maybe_commit(index_t max_index, term_t t) {
  // §5.4.2: "Raft never commits log entries from previous terms by counting
  // replicas. Only log entries from the leader's current term are committed
  // by counting replicas."
  if (max_index > committed_ && term_or_zero(max_index) == t) {
    commit_to(max_index);
    return true;
  }
  return false;
}

void raft_log::commit_to(index_t i) {
  if (i <= committed_)
    return; // Commit never decreases.
  PACT_ASSERT(i <= last_index(), "commit index beyond the last entry");
  committed_ = i;
}

void raft_log::applied_to(index_t i) {
  if (i == 0)
    return;
  PACT_ASSERT(i <= committed_ && i >= applied_,
              "applied index out of range [applied, committed]");
  applied_ = i;
}

result<std::vector<entry>> raft_log::slice(index_t lo, index_t hi,
                                           std::size_t max_bytes) const {
  PACT_ASSERT(lo <= hi, "slice(): lo > hi");
  if (lo < first_index())
    return storage_error::compacted;
  PACT_ASSERT(hi <= last_index() + 1, "slice(): hi beyond the log");
  std::vector<entry> out;
  if (lo == hi)
    return out;
  auto split = unstable_.offset();
  if (lo < split) {
    auto stored = storage_.entries(lo, std::min(hi, split), max_bytes);
    if (!stored.ok())
      return stored.error();
    out = std::move(stored).value();
    // Storage stopped early because of the byte limit.
    if (out.size() < std::min(hi, split) - lo)
      return out;
  }
  if (hi > split) {
    auto tail = unstable_.slice(std::max(lo, split), hi);
    std::size_t bytes = 0;
    for (const auto& e : out)
      bytes += entry_size(e);
    for (auto& e : tail) {
      bytes += entry_size(e);
      if (!out.empty() && bytes > max_bytes)
        break;
      out.push_back(std::move(e));
    }
  }
  return out;
}

result<std::vector<entry>> raft_log::entries_from(index_t i,
                                                  std::size_t max_bytes) const {
  if (i > last_index())
    return std::vector<entry>{};
  return slice(i, last_index() + 1, max_bytes);
}

std::vector<entry>
raft_log::next_committed_entries(std::size_t max_bytes) const {
  auto off = std::max(applied_ + 1, first_index());
  if (committed_ + 1 <= off)
    return {};
  auto ents = slice(off, committed_ + 1, max_bytes);
  PACT_ASSERT(ents.ok(), "committed entries must be readable");
  return std::move(ents).value();
}

bool raft_log::has_next_committed_entries() const {
  auto off = std::max(applied_ + 1, first_index());
  return committed_ + 1 > off;
}

void raft_log::restore(snapshot snap) {
  committed_ = snap.meta.last_included_index;
  unstable_.restore(std::move(snap));
}

} // namespace pact::raft
