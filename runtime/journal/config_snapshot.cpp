// Snapshot, restore and digest of config_state_machine: the whole state as
// one deterministically encoded JournalState (docs/journal.md).

#include "runtime/journal/config_state_machine.hpp"

#include "runtime/journal/entry_chain.hpp"
#include "runtime/journal/journal_items.hpp"

namespace pact::journal {

using protocol::JournalState;

JournalState config_state_machine::derived_state() const {
  // std::map iteration gives the canonical (sorted) order the snapshot
  // format promises.
  JournalState s;
  for (const auto& [name, o] : overlays_)
    *s.add_overlays() = o;
  for (const auto& [name, n] : nodes_)
    *s.add_nodes() = n;
  *s.mutable_global() = global_;
  for (const auto& [key, e] : emergencies_)
    *s.add_emergencies() = e;
  for (const auto& a : audit_)
    *s.add_audit() = a;
  for (const auto& r : recent_)
    *s.add_recent_requests() = r;
  return s;
}

void config_state_machine::add_to_blob(const protocol::ConfigEntry& entry) {
  auto bytes = deterministic_bytes(entry);
  // Field 2 (entries), wire type 2 (length-delimited), then the length as
  // a varint: exactly what the protobuf encoder writes for the field.
  entries_blob_.push_back(static_cast<char>((2 << 3) | 2));
  auto n = static_cast<uint64_t>(bytes.size());
  while (n >= 0x80) {
    entries_blob_.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  entries_blob_.push_back(static_cast<char>(n));
  entries_blob_ += bytes;
}

std::string config_state_machine::snapshot() const {
  // The deterministic encoding writes fields in number order: applied_index
  // (1), entries (2), then the derived state (3..7). Splicing the cached
  // entry encodings between the two gives the same bytes as encoding the
  // whole JournalState (a unit test holds it to that).
  JournalState head;
  head.set_applied_index(applied_);
  auto tail = deterministic_bytes(derived_state());
  std::string out;
  out.reserve(16 + entries_blob_.size() + tail.size());
  out += deterministic_bytes(head);
  out += entries_blob_;
  out += tail;
  return out;
}

std::string config_state_machine::digest() const {
  // The last hash covers every entry through the chain, so the entries
  // need not be hashed again.
  std::string input = std::to_string(applied_) + "\n";
  input += entries_.empty() ? zero_hash() : entries_.back().hash();
  input += deterministic_bytes(derived_state());
  return to_hex(sha256(input));
}

status config_state_machine::restore(const std::string& image) {
  config_state_machine fresh;
  if (image.empty()) {
    *this = std::move(fresh);
    return {};
  }
  JournalState s;
  if (!s.ParseFromString(image))
    return make_error("config state snapshot does not parse as JournalState");
  fresh.entries_.assign(s.entries().begin(), s.entries().end());
  if (!fresh.entries_.empty() && fresh.entries_.front().sequence() != 1)
    return make_error("config state snapshot does not start at sequence 1");
  if (auto report = verify_chain(fresh.entries_); !report.ok)
    return make_error("config state snapshot: hash chain broken at sequence "
                      + std::to_string(report.first_bad) + ": "
                      + report.reason);
  for (const auto& e : fresh.entries_) {
    fresh.last_in_scope_[scope_key(e.scope())] = e.sequence();
    fresh.add_to_blob(e);
  }
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
  fresh.global_ = s.global();
  fresh.audit_.assign(s.audit().begin(), s.audit().end());
  // A key may appear twice (retried after its window ended): the later
  // one counts, as it did before the snapshot.
  for (const auto& r : s.recent_requests()) {
    fresh.recent_index_[r.key()] = fresh.recent_.size();
    fresh.recent_.push_back(r);
  }
  fresh.applied_ = s.applied_index();
  *this = std::move(fresh);
  return {};
}

} // namespace pact::journal
