#include "tests/sim/invariants.hpp"

#include <sstream>

namespace pact::sim {

namespace {

template <class T>
void grow(std::vector<T>& v, std::size_t n) {
  if (v.size() < n)
    v.resize(n, T{});
}

} // namespace

void invariants::fail(const std::string& what) {
  if (violation_.empty())
    violation_ = what;
}

void invariants::check_step(const replicas& rs) {
  for (const auto& r : rs)
    if (r->up())
      check_leader(*r);
  for (const auto& r : rs) {
    if (!r->up())
      continue;
    if (r->node().core().role() == raft::node_role::leader)
      record_commits(*r);
  }
  for (const auto& r : rs) {
    if (!r->up())
      continue;
    check_unstable(*r);
    check_replica_commit(*r);
  }
  // Leader Completeness for the entries committed in this step, against
  // the current leaders of higher terms.
  for (const auto& r : rs)
    if (r->up() && r->node().core().role() == raft::node_role::leader)
      check_completeness(*r, completeness_from_, committed() + 1);
  completeness_from_ = committed() + 1;
}

void invariants::check_leader(const replica& r) {
  const auto& c = r.node().core();
  if (c.role() != raft::node_role::leader)
    return;
  // Figure 3, Election Safety: "at most one leader can be elected in a
  // given term" (§5.2), over the whole run.
  auto [it, fresh] = leader_of_term_.emplace(c.current_term(), r.id());
  if (!fresh && it->second != r.id()) {
    std::ostringstream out;
    out << "election safety: replicas " << it->second << " and " << r.id()
        << " were both leader in term " << c.current_term();
    fail(out.str());
  }
  auto& checked = leader_checked_[r.id()];
  if (checked != c.current_term()) {
    // Figure 3, Leader Completeness, for a new leader: every entry
    // committed so far in a lower term must be in its log.
    checked = c.current_term();
    check_completeness(r, 1, completeness_from_);
  }
}

void invariants::check_completeness(const replica& leader, raft::index_t from,
                                    raft::index_t to) {
  const auto& c = leader.node().core();
  const auto& log = c.log();
  if (from < log.first_index())
    from = log.first_index(); // Below: inside its snapshot, committed.
  for (auto i = from; i < to && i < committed_term_.size(); ++i) {
    if (commit_term_[i] == 0 || commit_term_[i] >= c.current_term())
      continue;
    auto t = log.term(i);
    if (t.ok() && t.value() == committed_term_[i])
      continue;
    std::ostringstream out;
    out << "leader completeness: replica " << leader.id() << ", leader of term "
        << c.current_term() << ", lacks entry " << i << '@'
        << committed_term_[i] << " committed in term " << commit_term_[i]
        << " (its log has term " << (t.ok() ? t.value() : 0) << " there)";
    fail(out.str());
    return;
  }
}

void invariants::record_commits(const replica& r) {
  const auto& c = r.node().core();
  const auto& log = c.log();
  for (auto i = committed() + 1; i <= log.committed(); ++i) {
    auto t = log.term(i);
    committed_term_.push_back(t.ok() ? t.value() : 0);
    commit_term_.push_back(t.ok() ? c.current_term() : 0);
  }
}

void invariants::on_persisted(const replica& r) {
  if (r.node().core().role() == raft::node_role::leader)
    record_commits(r);
}

void invariants::adopt_commits(const replica& r) {
  const auto& c = r.node().core();
  const auto& log = c.log();
  for (auto i = committed() + 1; i <= log.committed(); ++i) {
    auto t = log.term(i);
    committed_term_.push_back(t.ok() ? t.value() : 0);
    commit_term_.push_back(t.ok() ? c.current_term() : 0);
  }
  completeness_from_ = committed() + 1;
}

void invariants::check_replica_commit(const replica& r) {
  const auto& log = r.node().core().log();
  auto& checked = commit_checked_[r.id()];
  if (log.committed() > committed()) {
    std::ostringstream out;
    out << "commit: replica " << r.id() << " has commit index "
        << log.committed() << " but no leader committed beyond " << committed();
    fail(out.str());
    return;
  }
  for (auto i = checked + 1; i <= log.committed(); ++i) {
    auto t = log.term(i);
    if (!t.ok() || committed_term_[i] == 0 || t.value() == committed_term_[i])
      continue;
    std::ostringstream out;
    out << "commit: replica " << r.id() << " considers " << i << '@'
        << t.value() << " committed, but the committed entry is " << i << '@'
        << committed_term_[i];
    fail(out.str());
    return;
  }
  if (log.committed() > checked)
    checked = log.committed();
}

void invariants::check_entry(node_id id, const raft::entry& e,
                             raft::term_t prev_term) {
  // Figure 3, Log Matching, as "one (index, term) names one entry and one
  // predecessor term" (see the header).
  entry_fact fact{entry_digest(e), prev_term};
  auto [it, fresh] = facts_.emplace(std::make_pair(e.index, e.term), fact);
  if (fresh)
    return;
  if (it->second.digest == fact.digest && it->second.prev_term == prev_term)
    return;
  std::ostringstream out;
  out << "log matching: replica " << id << " holds entry " << e.index << '@'
      << e.term;
  if (it->second.digest != fact.digest)
    out << " with a payload different from another replica's";
  else
    out << " after term " << prev_term << ", another replica after term "
        << it->second.prev_term;
  fail(out.str());
}

void invariants::check_unstable(const replica& r) {
  const auto& log = r.node().core().log();
  const auto& ents = log.unstable_entries();
  auto& mark = unstable_seen_[r.id()];
  if (ents.empty()) {
    mark = {};
    return;
  }
  unstable_mark now{ents.front().index, ents.size(), ents.back().term};
  if (now.first == mark.first && now.count == mark.count
      && now.last_term == mark.last_term)
    return; // Unchanged since the last step.
  mark = now;
  auto prev = log.term_or_zero(ents.front().index - 1);
  for (const auto& e : ents) {
    check_entry(r.id(), e, prev);
    prev = e.term;
  }
}

void invariants::check_whole_log(const replica& r) {
  if (!r.up())
    return;
  const auto& log = r.node().core().log();
  auto first = log.first_index();
  auto last = log.last_index();
  if (last < first)
    return;
  auto ents = log.slice(first, last + 1, SIZE_MAX);
  if (!ents.ok())
    return;
  auto prev = log.term_or_zero(first - 1);
  for (const auto& e : ents.value()) {
    check_entry(r.id(), e, prev);
    prev = e.term;
  }
}

void invariants::on_apply(node_id id, const raft::entry& e,
                          std::uint64_t chain) {
  auto i = e.index;
  grow(applied_digest_, i + 1);
  grow(chain_at_, i + 1);
  auto digest = entry_digest(e) | 1U; // Never 0, which means "unknown".
  std::ostringstream out;
  if (i < committed_term_.size() && committed_term_[i] != 0
      && committed_term_[i] != e.term) {
    out << "state machine safety: replica " << id << " applied " << i << '@'
        << e.term << " but the committed entry is " << i << '@'
        << committed_term_[i];
  } else if (applied_digest_[i] == 0) {
    applied_digest_[i] = digest;
    chain_at_[i] = chain;
    return;
  } else if (applied_digest_[i] != digest) {
    out << "state machine safety: replica " << id << " applied " << i << '@'
        << e.term << ", another replica applied a different entry there";
  } else if (chain_at_[i] != chain) {
    out << "state machine safety: replica " << id << " state after " << i
        << " differs from another replica's";
  } else {
    return;
  }
  fail(out.str());
}

void invariants::on_restore(node_id id, raft::index_t index,
                            std::uint64_t chain) {
  if (index == 0)
    return;
  grow(chain_at_, index + 1);
  if (chain_at_[index] == 0) {
    chain_at_[index] = chain;
    return;
  }
  if (chain_at_[index] != chain) {
    std::ostringstream out;
    out << "state machine safety: replica " << id << " restored a snapshot at "
        << index << " whose state differs from the state applied there";
    fail(out.str());
  }
}

} // namespace pact::sim
