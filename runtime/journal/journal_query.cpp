#include "runtime/journal/journal_query.hpp"

#include <algorithm>

#include "runtime/journal/entry_chain.hpp"
#include "runtime/journal/journal_items.hpp"
#include "runtime/journal/log_selection.hpp"
#include "runtime/policy/read_authz.hpp"

namespace pact::journal {

using namespace pact::protocol;

expected<Scope> parse_scope(const std::string& text) {
  if (text == "global")
    return global_scope();
  auto bad = [&] {
    return make_error("scope '" + text
                      + "': expected global, vc:NAME or node:NAME");
  };
  auto colon = text.find(':');
  if (colon == std::string::npos)
    return bad();
  auto kind = text.substr(0, colon);
  auto name = text.substr(colon + 1);
  if (!valid_name(name))
    return make_error("scope '" + text + "': '" + name
                      + "' is not a valid name (1-63 of [A-Za-z0-9._-])");
  if (kind == "vc" || kind == "vcluster")
    return vcluster_scope(name);
  if (kind == "node")
    return node_scope(name);
  return bad();
}

void journal_reader::refresh(const config_state_machine& sm) {
  const auto& live = sm.overlays();
  for (auto i = overlays_.begin(); i != overlays_.end();)
    i = live.count(i->first) ? std::next(i) : overlays_.erase(i);
  for (auto& [name, o] : live) {
    auto& c = overlays_[name];
    if (c.version == o.version() && c.checksum == o.checksum()
        && !c.bytes.empty())
      continue;
    c.version = o.version();
    c.checksum = o.checksum();
    c.bytes = deterministic_bytes(o);
    ++rebuilds_;
  }
}

expected<JournalAnswer> journal_reader::answer(const config_state_machine& sm,
                                               const JournalQuery& q) const {
  JournalAnswer a;
  switch (q.body_case()) {
    case JournalQuery::kLog: {
      auto r = log(sm, q.log());
      if (!r)
        return r.err();
      *a.mutable_log() = std::move(*r);
      return a;
    }
    case JournalQuery::kState:
      *a.mutable_state() = state(sm, q.state());
      return a;
    case JournalQuery::kDeadlines: {
      auto* out = a.mutable_state();
      for (const auto& [key, e] : sm.emergencies())
        *out->add_emergencies() = e;
      for (const auto& [id, x] : sm.approvals())
        if (x.state() == protocol::APPROVAL_STATE_PENDING
            || (x.state() == protocol::APPROVAL_STATE_APPROVED
                && !x.agent_action().action().empty())) {
          auto* copy = out->add_approvals();
          *copy = x;
          copy->clear_command();
        }
      out->set_last_sequence(sm.last_sequence());
      out->set_applied_index(sm.applied());
      return a;
    }
    case JournalQuery::kBoot: {
      auto r = boot(sm, q.boot());
      if (!r)
        return r.err();
      *a.mutable_boot() = std::move(*r);
      return a;
    }
    default:
      return make_error("empty journal query");
  }
}

expected<LogReply> journal_reader::log(const config_state_machine& sm,
                                       const LogRequest& req) const {
  if (req.sequence() != 0) {
    auto e = sm.entry(req.sequence());
    if (!e)
      return e.err();
    if (!e->has_value())
      return make_error("no entry " + std::to_string(req.sequence())
                        + " (the journal has "
                        + std::to_string(sm.last_sequence()) + ")");
    LogReply out;
    *out.add_entries() = std::move(**e);
    out.set_last_sequence(sm.last_sequence());
    out.set_total_entries(sm.last_sequence());
    return out;
  }
  if (req.since_unix_ms() != 0 && req.until_unix_ms() != 0
      && req.since_unix_ms() > req.until_unix_ms())
    return make_error("log: the time window ends before it starts (since is "
                      "after until)");
  if (req.from_sequence() != 0 && !req.scope().empty())
    return make_error("log: an export is the contiguous journal and takes no "
                      "scope");
  std::optional<Scope> scope;
  if (!req.scope().empty()) {
    auto s = parse_scope(req.scope());
    if (!s)
      return s.err();
    scope = *s;
  }
  LogReply out;
  out.set_last_sequence(sm.last_sequence());
  out.set_total_entries(sm.last_sequence());
  if (req.verify() && req.from_sequence() != 0) {
    // One page of `pact log --verify`: the client follows `more`.
    auto n = std::min<uint32_t>(req.limit() == 0 ? max_verify_page_entries
                                                 : req.limit(),
                                max_verify_page_entries);
    if (auto st = verify_page(sm, req.from_sequence(), n, out); !st)
      return st.err();
    return out;
  }
  auto n = std::min<uint32_t>(req.limit() == 0 ? 20 : req.limit(),
                              max_log_entries);
  if (req.emergencies()) {
    if (req.from_sequence() != 0 || req.verify())
      return make_error("log: the emergency audit takes neither an export "
                        "nor --verify");
    if (auto st = select_emergencies(sm, req, scope, n, out); !st)
      return st.err();
  } else if (req.from_sequence() != 0) {
    if (auto st = select_page(sm, req, n, out); !st)
      return st.err();
  } else if (req.since_unix_ms() != 0 || req.until_unix_ms() != 0) {
    if (auto st = select_window(sm, req, scope, n, out); !st)
      return st.err();
  } else {
    auto entries = sm.log(n, scope);
    if (!entries)
      return entries.err();
    for (auto& e : *entries)
      *out.add_entries() = std::move(e);
  }
  if (req.verify()) {
    // A client that does not page (LogRequest.from_sequence): the first
    // page only, so that no request reads the whole journal; a longer
    // journal is reported as not verified rather than as verified.
    LogReply page;
    if (auto st = verify_page(sm, 1, max_verify_page_entries, page); !st)
      return st.err();
    out.set_verified(page.verified() && !page.more());
    out.set_verify_error(page.verify_error());
    if (page.verified() && page.more())
      out.set_verify_error(
        "entry " + std::to_string(page.entries(0).sequence() + 1)
        + ": not verified: one request checks at most "
        + std::to_string(max_verify_page_entries)
        + " entries; pact log --verify pages through the journal");
  }
  return out;
}

namespace {

/// The approvals a state request's filters cover.
void approvals_of(const config_state_machine& sm, const StateRequest& req,
                  StateReply& out) {
  for (const auto& [id, a] : sm.approvals()) {
    bool mine = true;
    if (!req.vcluster().empty())
      mine = std::find(a.vclusters().begin(), a.vclusters().end(),
                       req.vcluster())
             != a.vclusters().end();
    if (!req.node().empty())
      mine = mine && a.scope().node() == req.node();
    if (mine)
      *out.add_approvals() = a;
  }
}

/// The active emergencies a state request's filters cover.
void emergencies_of(const config_state_machine& sm, const StateRequest& req,
                    StateReply& out) {
  for (const auto& [key, e] : sm.emergencies()) {
    const auto& s = e.scope();
    if (!req.vcluster().empty()) {
      bool mine = s.target_case() == Scope::kVcluster
                    ? s.vcluster() == req.vcluster()
                    : s.target_case() == Scope::kNode && sm.node(s.node())
                        && policy::listed_vcluster(*sm.node(s.node()))
                             == req.vcluster();
      if (!mine)
        continue;
    }
    // `pact status NODE`: the node's own emergency or its vCluster's.
    if (!req.node().empty() && req.approvals_only()) {
      const auto* n = sm.node(req.node());
      bool mine = s.target_case() == Scope::kNode
                    ? s.node() == req.node()
                    : n != nullptr && n->vcluster() == s.vcluster();
      if (!mine)
        continue;
    }
    *out.add_emergencies() = e;
  }
}

} // namespace

StateReply journal_reader::state(const config_state_machine& sm,
                                 const StateRequest& req) const {
  StateReply out;
  if (!req.approval_id().empty()) {
    if (const auto* a = sm.approval(req.approval_id()))
      *out.add_approvals() = *a;
    out.set_last_sequence(sm.last_sequence());
    out.set_applied_index(sm.applied());
    return out;
  }
  if (req.approvals_only()) {
    approvals_of(sm, req, out);
    emergencies_of(sm, req, out);
    // The records of the nodes in an emergency, so that the gateway shows
    // each emergency to whoever may read its node (read_authz filter_state).
    for (const auto& e : out.emergencies())
      if (e.scope().target_case() == Scope::kNode)
        if (const auto* n = sm.node(e.scope().node()))
          *out.add_nodes() = *n;
    out.set_last_sequence(sm.last_sequence());
    out.set_applied_index(sm.applied());
    return out;
  }
  for (auto& [name, o] : sm.overlays())
    if (req.vcluster().empty() || name == req.vcluster())
      *out.add_overlays() = o;
  if (!req.node().empty()) {
    if (auto* n = sm.node(req.node()))
      *out.add_nodes() = *n;
  } else {
    for (auto& [name, n] : sm.nodes())
      if (req.vcluster().empty()
          || policy::listed_vcluster(n) == req.vcluster())
        *out.add_nodes() = n;
  }
  *out.mutable_global() = sm.global();
  emergencies_of(sm, req, out);
  approvals_of(sm, req, out);
  out.set_last_sequence(sm.last_sequence());
  out.set_applied_index(sm.applied());
  return out;
}

bool concerns(const config_state_machine& sm, const ConfigEntry& entry,
              const std::string& vcluster) {
  if (vcluster.empty())
    return true;
  const auto& s = entry.scope();
  switch (s.target_case()) {
    case Scope::kVcluster:
      return s.vcluster() == vcluster;
    case Scope::kNode: {
      if (entry.vcluster() == vcluster)
        return true;
      auto* n = sm.node(s.node());
      return n != nullptr && policy::listed_vcluster(*n) == vcluster;
    }
    default:
      return true; // global entries concern everybody
  }
}

WatchReply journal_reader::watch(const config_state_machine& sm,
                                 const WatchRequest& req) const {
  WatchReply out;
  if (req.from_now()) {
    out.set_last_sequence(sm.last_sequence());
    return out;
  }
  // A replica behind the client (restarted, not yet caught up) never moves
  // its resume point back: what the client already printed is not sent
  // again once the replica reapplies it.
  out.set_last_sequence(std::max(sm.last_sequence(), req.after_sequence()));
  auto limit = std::min<uint32_t>(req.max_entries() == 0 ? max_watch_entries
                                                         : req.max_entries(),
                                  max_watch_entries);
  // Entries after the resume point, read in sequence order from the
  // tables (older ones) and the cache (the newest), at most watch_scan_.
  uint64_t seen = req.after_sequence();
  uint32_t read = 0;
  auto st = sm.entries().scan(req.after_sequence(), [&](const ConfigEntry& e) {
    seen = e.sequence();
    bool full = false;
    if (concerns(sm, e, req.vcluster())) {
      *out.add_entries() = e;
      full = static_cast<uint32_t>(out.entries_size()) >= limit;
    }
    if (!full && ++read < watch_scan_)
      return true;
    // Resume point is the last entry read, not the journal's end.
    out.set_last_sequence(e.sequence());
    return false;
  });
  // An unreadable store answers what it read, and the client resumes after
  // the last entry read, so nothing is skipped.
  if (!st)
    out.set_last_sequence(seen);
  return out;
}

expected<BootConfigAnswer>
journal_reader::boot(const config_state_machine& sm,
                     const BootConfigRequest& req) const {
  if (!valid_name(req.node()))
    return make_error("boot config: '" + req.node()
                      + "' is not a valid node name");
  auto vc = req.vcluster();
  auto* rec = sm.node(req.node());
  if (vc.empty() && rec != nullptr)
    vc = rec->vcluster();
  if (vc.empty())
    return make_error("boot config: node '" + req.node()
                      + "' is not enrolled in a vCluster; pass its vCluster");
  auto i = overlays_.find(vc);
  if (i == overlays_.end())
    return make_error("boot config: vCluster '" + vc + "' has no overlay");
  const auto& c = i->second;
  auto chunk = req.chunk_bytes() == 0
                 ? default_boot_chunk_bytes
                 : std::clamp(req.chunk_bytes(), min_boot_chunk_bytes,
                              max_boot_chunk_bytes);
  BootConfigAnswer out;
  BootComplete done;
  done.set_vcluster(vc);
  done.set_version(c.version);
  done.set_checksum(c.checksum);
  done.set_last_sequence(sm.last_sequence());
  for (const auto& p : sm.global().blacklist())
    done.add_global_blacklist(p);
  if (req.have_version() == c.version && req.have_checksum() == c.checksum) {
    done.set_up_to_date(true);
    *out.add_chunks()->mutable_complete() = done;
    return out;
  }
  auto count = static_cast<uint32_t>(
    std::max<size_t>(1, (c.bytes.size() + chunk - 1) / chunk));
  for (uint32_t k = 0; k < count; ++k) {
    auto* oc = out.add_chunks()->mutable_overlay();
    oc->set_vcluster(vc);
    oc->set_version(c.version);
    oc->set_checksum(c.checksum);
    oc->set_index(k);
    oc->set_count(count);
    oc->set_total_bytes(c.bytes.size());
    oc->set_data(c.bytes.substr(size_t{k} * chunk, chunk));
  }
  auto* nd = out.add_chunks()->mutable_node_delta();
  nd->set_node(req.node());
  if (rec != nullptr) {
    *nd->mutable_items() = rec->items();
    nd->set_delta_sequence(rec->delta_sequence());
    nd->set_delta_expires_unix_ms(rec->delta_expires_unix_ms());
    nd->set_state(rec->state());
    nd->set_window_ends_unix_ms(rec->window_ends_unix_ms());
  }
  done.set_overlay_chunks(count);
  *out.add_chunks()->mutable_complete() = done;
  return out;
}

} // namespace pact::journal
