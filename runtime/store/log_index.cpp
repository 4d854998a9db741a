#include "runtime/store/log_index.hpp"

namespace pact::store {

void log_index::reset(raft::index_t start_index, raft::term_t start_term) {
  start_index_ = start_index;
  start_term_ = start_term;
  terms_.clear();
}

raft::result<raft::term_t> log_index::term(raft::index_t i) const {
  if (i < start_index_)
    return raft::storage_error::compacted;
  if (i > last_index())
    return raft::storage_error::unavailable;
  if (i == start_index_)
    return start_term_;
  return terms_[i - first_index()];
}

void log_index::truncate_from(raft::index_t i) {
  PACT_ASSERT(i >= first_index() && i <= last_index() + 1,
              "log_index::truncate_from(): index out of range");
  terms_.resize(i - first_index());
}

void log_index::compact_to(raft::index_t i) {
  PACT_ASSERT(i >= first_index() && i <= last_index(),
              "log_index::compact_to(): index out of range");
  auto n = i - start_index_;
  start_term_ = terms_[n - 1];
  start_index_ = i;
  terms_.erase(terms_.begin(), terms_.begin() + static_cast<std::ptrdiff_t>(n));
}

} // namespace pact::store
