// Snapshot, restore and digest of config_state_machine: the whole state as
// one deterministically encoded JournalState (docs/journal.md). The
// entries are read from the state tables, whose values are their
// deterministic encodings, so an image splices those bytes as they are.

#include "runtime/journal/config_state_machine.hpp"

#include "runtime/common/assert.hpp"
#include "runtime/journal/entry_chain.hpp"
#include "runtime/journal/journal_items.hpp"

namespace pact::journal {

using protocol::JournalState;

JournalState config_state_machine::derived_state() const {
  // std::map iteration gives the canonical (sorted) order the snapshot
  // format promises. No audit list: it is an index over the entries
  // (entry_log's by-type table), rebuilt from them on restore.
  JournalState s;
  for (const auto& [name, o] : overlays_)
    *s.add_overlays() = o;
  for (const auto& [name, n] : nodes_)
    *s.add_nodes() = n;
  *s.mutable_global() = global_;
  for (const auto& [key, e] : emergencies_)
    *s.add_emergencies() = e;
  for (const auto& r : recent_)
    *s.add_recent_requests() = r;
  for (const auto& [id, a] : approvals_)
    *s.add_approvals() = a;
  return s;
}

namespace {

/// `bytes` as JournalState field 2 (entries): the tag (wire type 2,
/// length-delimited), the length as a varint, the bytes; exactly what the
/// protobuf encoder writes for the field.
void add_entry_field(std::string& out, std::string_view bytes) {
  out.push_back(static_cast<char>((2 << 3) | 2));
  auto n = static_cast<uint64_t>(bytes.size());
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
  out.append(bytes);
}

} // namespace

std::string config_state_machine::snapshot() const {
  // The deterministic encoding writes fields in number order: applied_index
  // (1), entries (2), then the derived state (3..9). Splicing the stored
  // entry encodings between the two gives the same bytes as encoding the
  // whole JournalState (a unit test holds it to that).
  JournalState head;
  head.set_applied_index(applied_);
  std::string out = deterministic_bytes(head);
  auto st = entries_.scan_bytes(
    [&](std::string_view bytes) { add_entry_field(out, bytes); });
  PACT_ASSERT(st, "snapshot: the journal's state tables cannot be read");
  out += deterministic_bytes(derived_state());
  return out;
}

std::string config_state_machine::digest() const {
  // The last hash covers every entry through the chain, so the entries
  // need not be hashed again.
  const auto* last = entries_.last();
  auto last_hash = last == nullptr ? zero_hash() : last->hash();
  if (digest_memo_ && digest_memo_->applied == applied_
      && digest_memo_->last_hash == last_hash)
    return digest_memo_->digest;
  std::string input = std::to_string(applied_) + "\n" + last_hash;
  input += deterministic_bytes(derived_state());
  digest_memo_ = digest_memo{applied_, last_hash, to_hex(sha256(input))};
  return digest_memo_->digest;
}

status config_state_machine::restore(const std::string& image) {
  JournalState s;
  if (!image.empty() && !s.ParseFromString(image))
    return make_error("config state snapshot does not parse as JournalState");
  std::vector<protocol::ConfigEntry> entries(s.entries().begin(),
                                             s.entries().end());
  s.clear_entries();
  if (!entries.empty() && entries.front().sequence() != 1)
    return make_error("config state snapshot does not start at sequence 1");
  if (auto report = verify_chain(entries); !report.ok)
    return make_error("config state snapshot: hash chain broken at sequence "
                      + std::to_string(report.first_bad) + ": "
                      + report.reason);
  // Everything but the entries is checked in a fresh machine first, so a
  // refused image leaves this one as it was.
  config_state_machine fresh;
  for (const auto& e : entries)
    fresh.last_in_scope_[scope_key(e.scope())] = e.sequence();
  for (const auto& o : s.overlays())
    if (!fresh.overlays_.emplace(o.vcluster(), o).second)
      return make_error("config state snapshot names vCluster '" + o.vcluster()
                        + "' twice");
  for (const auto& n : s.nodes())
    if (!fresh.nodes_.emplace(n.node(), n).second)
      return make_error("config state snapshot names node '" + n.node()
                        + "' twice");
  for (const auto& e : s.emergencies())
    if (!fresh.emergencies_.emplace(scope_key(e.scope()), e).second)
      return make_error("config state snapshot names the emergency of '"
                        + scope_key(e.scope()) + "' twice");
  for (const auto& a : s.approvals())
    if (!fresh.approvals_.emplace(a.id(), a).second)
      return make_error("config state snapshot names approval '"
                        + a.id().substr(0, 80) + "' twice");
  fresh.global_ = s.global();
  // A key may appear twice (retried after its window ended): the later
  // one counts, as it did before the snapshot.
  for (const auto& r : s.recent_requests()) {
    fresh.recent_index_[r.key()] = fresh.recent_.size();
    fresh.recent_.push_back(r);
  }
  fresh.applied_ = s.applied_index();
  // Keep this machine's tables and mode; take everything else from
  // `fresh`. The write set clears the tables, then writes every entry and
  // every current-state record.
  fresh.entries_ = std::move(entries_);
  fresh.durable_ = durable_;
  fresh.host_persists_ = host_persists_;
  fresh.applied_taken_ = ~uint64_t{0}; // write the applied index
  *this = std::move(fresh);
  entries_.reset(entries);
  mark_all_dirty();
  // The chain was verified above: a start after this checks from here.
  note_verified();
  maybe_flush();
  return {};
}

} // namespace pact::journal
