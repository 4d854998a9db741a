#include "runtime/journal/log_selection.hpp"

#include <algorithm>

#include "runtime/journal/entry_chain.hpp"
#include "runtime/journal/journal_items.hpp"

namespace pact::journal {

using protocol::ConfigEntry;
using protocol::LogReply;
using protocol::LogRequest;

bool in_window(const ConfigEntry& e, const LogRequest& req) {
  auto t = e.timestamp_unix_ms();
  return (req.since_unix_ms() == 0 || t >= req.since_unix_ms())
         && (req.until_unix_ms() == 0 || t <= req.until_unix_ms());
}

expected<uint64_t> first_stamped(const config_state_machine& sm, int64_t ms,
                                 bool after) {
  // Stamps are nondecreasing along sequences (log_selection.hpp), so
  // "stamped at or after ms" is false up to some sequence and true after.
  uint64_t lo = 1;
  uint64_t hi = sm.last_sequence() + 1;
  while (lo < hi) {
    auto mid = lo + (hi - lo) / 2;
    auto e = sm.entry(mid);
    if (!e)
      return e.err();
    if (!e->has_value())
      return make_error("journal entry " + std::to_string(mid)
                        + " is missing from the state tables");
    auto t = (*e)->timestamp_unix_ms();
    if (after ? t > ms : t >= ms)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

status select_window(const config_state_machine& sm, const LogRequest& req,
                     const std::optional<protocol::Scope>& scope, uint32_t n,
                     LogReply& out) {
  if (n == 0)
    return {};
  uint64_t from = 1;
  uint64_t upto = sm.last_sequence();
  if (req.since_unix_ms() != 0) {
    auto f = first_stamped(sm, req.since_unix_ms());
    if (!f)
      return f.err();
    from = *f;
  }
  if (req.until_unix_ms() != 0) {
    auto f = first_stamped(sm, req.until_unix_ms(), true);
    if (!f)
      return f.err();
    upto = *f - 1;
  }
  std::optional<std::string> want;
  if (scope)
    want = scope_key(*scope);
  uint32_t found = 0;
  return sm.entries().newest_in(want, from, upto, [&](const ConfigEntry& e) {
    if (!in_window(e, req))
      return true;
    *out.add_entries() = e;
    return ++found < n;
  });
}

status select_page(const config_state_machine& sm, const LogRequest& req,
                   uint32_t n, LogReply& out, std::size_t max_bytes) {
  // The run starts at the first entry stamped inside the window's start;
  // after that it is contiguous, so that the chain can be verified.
  auto start = req.from_sequence();
  if (req.since_unix_ms() != 0) {
    auto f = first_stamped(sm, req.since_unix_ms());
    if (!f)
      return f.err();
    start = std::max(start, *f);
  }
  std::size_t bytes = 0;
  return sm.entries().scan(start - 1, [&](const ConfigEntry& e) {
    if (req.until_unix_ms() != 0 && e.timestamp_unix_ms() > req.until_unix_ms())
      return false; // The window ends here: no more.
    if (static_cast<uint32_t>(out.entries_size()) >= n
        || (out.entries_size() > 0 && bytes >= max_bytes)) {
      out.set_more(true);
      return false;
    }
    bytes += e.ByteSizeLong();
    *out.add_entries() = e;
    return true;
  });
}

status verify_page(const config_state_machine& sm, uint64_t from, uint32_t n,
                   LogReply& out) {
  out.set_verified(true);
  if (from > sm.last_sequence() || n == 0)
    return {};
  chain_verifier v;
  if (from > 1) {
    // The link into this page: entry from - 1 was checked by the page
    // before.
    auto prev = sm.entry(from - 1);
    if (!prev)
      return prev.err();
    if (!prev->has_value())
      return make_error("journal entry " + std::to_string(from - 1)
                        + " is missing from the state tables");
    v.resume_after(from - 1, (*prev)->hash());
  }
  ConfigEntry last;
  uint32_t count = 0;
  auto st = sm.entries().scan(from - 1, [&](const ConfigEntry& e) {
    if (!v.add(e))
      return false;
    last = e;
    return ++count < n;
  });
  if (!st)
    return st;
  const auto& rep = v.report();
  if (rep.ok && count == 0)
    return {};
  if (!rep.ok) {
    out.set_verified(false);
    out.set_verify_error("entry " + std::to_string(rep.first_bad) + ": "
                         + rep.reason);
    return {};
  }
  out.set_more(last.sequence() < sm.last_sequence());
  *out.add_entries() = std::move(last);
  return {};
}

namespace {

/// Whether the emergency started by `start` touches `scope`.
bool emergency_in_scope(const ConfigEntry& start,
                        const std::optional<protocol::Scope>& scope) {
  if (!scope)
    return true;
  const auto& s = start.scope();
  switch (scope->target_case()) {
    case protocol::Scope::kVcluster:
      return start.vcluster() == scope->vcluster()
             || (s.target_case() == protocol::Scope::kVcluster
                 && s.vcluster() == scope->vcluster());
    case protocol::Scope::kNode:
      return s.target_case() == protocol::Scope::kNode
             && s.node() == scope->node();
    default:
      return false;
  }
}

} // namespace

status select_emergencies(const config_state_machine& sm,
                          const protocol::LogRequest& req,
                          const std::optional<protocol::Scope>& scope,
                          uint32_t n, protocol::LogReply& out) {
  auto starts = sm.entries().of_types({protocol::ENTRY_TYPE_EMERGENCY_START}, 0,
                                      max_audited_emergencies);
  if (!starts)
    return starts.err();
  std::vector<const ConfigEntry*> picked;
  for (auto it = starts->rbegin(); it != starts->rend() && picked.size() < n;
       ++it)
    if (in_window(*it, req) && emergency_in_scope(*it, scope))
      picked.push_back(&*it);
  auto key = [](const protocol::Scope& s) { return scope_key(s); };
  for (const auto* start : picked) {
    const auto seq = start->sequence();
    const auto where = key(start->scope());
    uint32_t read = 0;
    bool ended = false;
    auto st = sm.entries().scan(seq - 1, [&](const ConfigEntry& e) {
      bool end = e.entry_type() == protocol::ENTRY_TYPE_EMERGENCY_END
                 && key(e.scope()) == where;
      if (e.sequence() == seq || e.emergency_sequence() == seq || end)
        *out.add_entries() = e;
      ended = end;
      return !end && ++read < max_emergency_scan_entries;
    });
    if (!st)
      return st;
    if (!ended && read >= max_emergency_scan_entries)
      out.set_more(true);
  }
  return {};
}

} // namespace pact::journal
