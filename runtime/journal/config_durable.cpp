// config_state_machine: its current state in the state tables (issue 10
// items 1 and 2; docs/journal.md "Durable state"). Every command's
// changes become one write set: the entries it appended, the current-state
// records of the scopes it touched, the deduplication window's changes and
// the applied index. The host persists the set in the Raft store's write
// transaction (replica_driver), or the machine writes it itself when it
// runs standalone. load() rebuilds the machine from the tables after a
// restart without reading any entry but the newest.

#include "runtime/common/assert.hpp"
#include "runtime/journal/config_state_machine.hpp"
#include "runtime/journal/entry_chain.hpp"
#include "runtime/journal/journal_items.hpp"

namespace pact::journal {

using protocol::ConfigEntry;
using protocol::JournalCommand;
using protocol::Scope;
using store::state_table;

namespace {

// Current-state record keys: one letter, then the name.
constexpr char overlay_tag = 'o';
constexpr char node_tag = 'n';
constexpr char global_tag = 'g';
constexpr char emergency_tag = 'e';
constexpr char scope_tag = 'l';
constexpr char recent_tag = 'r';
constexpr char approval_tag = 'a';
constexpr std::string_view applied_key = "applied";
/// The start-up checkpoint: u64 sequence, then that entry's 32-byte hash.
constexpr std::string_view verified_key = "verified";

std::string tagged(char tag, std::string_view name) {
  std::string k(1, tag);
  k.append(name);
  return k;
}

std::string u64_bytes(uint64_t v) {
  return sequence_key(v);
}

uint64_t u64_of(std::string_view s) {
  uint64_t v = 0;
  for (auto c : s)
    v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}

template <class Message>
bool parse(Message& m, std::string_view bytes) {
  return m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

} // namespace

void config_state_machine::mark_dirty(const Scope& scope) {
  switch (scope.target_case()) {
    case Scope::kGlobal:
      dirty_.insert(tagged(global_tag, {}));
      break;
    case Scope::kVcluster:
      dirty_.insert(tagged(overlay_tag, scope.vcluster()));
      dirty_.insert(tagged(emergency_tag, scope_key(scope)));
      break;
    case Scope::kNode:
      dirty_.insert(tagged(node_tag, scope.node()));
      dirty_.insert(tagged(emergency_tag, scope_key(scope)));
      break;
    default:
      break;
  }
}

void config_state_machine::mark_dirty(const JournalCommand& cmd) {
  // What a command can change: its scope's record (and emergency), and
  // for an overlay apply the vClusters it names (command table,
  // docs/journal.md). The durable-state test reloads the machine from its
  // tables after every command of every kind and compares digests, so a
  // change outside these would fail it.
  mark_dirty(cmd.scope());
  for (const auto& spec : cmd.overlays())
    dirty_.insert(tagged(overlay_tag, spec.vcluster()));
}

void config_state_machine::mark_all_dirty() {
  dirty_.insert(tagged(global_tag, {}));
  for (const auto& [name, o] : overlays_)
    dirty_.insert(tagged(overlay_tag, name));
  for (const auto& [name, n] : nodes_)
    dirty_.insert(tagged(node_tag, name));
  for (const auto& [key, e] : emergencies_)
    dirty_.insert(tagged(emergency_tag, key));
  for (const auto& [id, a] : approvals_)
    dirty_.insert(tagged(approval_tag, id));
  for (const auto& [key, seq] : last_in_scope_)
    current_.put(state_table::current, tagged(scope_tag, key), u64_bytes(seq));
  for (size_t i = 0; i < recent_.size(); ++i)
    current_.put(state_table::current,
                 tagged(recent_tag, u64_bytes(recent_base_ + i)),
                 deterministic_bytes(recent_[i]));
}

void config_state_machine::note_recent_dropped(uint64_t position) {
  current_.del(state_table::current, tagged(recent_tag, u64_bytes(position)));
}

void config_state_machine::note_recent_added(uint64_t position,
                                             const protocol::RecentRequest& r) {
  current_.put(state_table::current, tagged(recent_tag, u64_bytes(position)),
               deterministic_bytes(r));
}

void config_state_machine::mark_approval_dirty(const std::string& id) {
  dirty_.insert(tagged(approval_tag, id));
}

void config_state_machine::note_scope_sequence(const std::string& key,
                                               uint64_t seq) {
  current_.put(state_table::current, tagged(scope_tag, key), u64_bytes(seq));
}

std::optional<std::string>
config_state_machine::current_record(const std::string& key) const {
  std::string_view name = std::string_view(key).substr(1);
  switch (key[0]) {
    case global_tag:
      return deterministic_bytes(global_);
    case overlay_tag:
      if (auto i = overlays_.find(std::string(name)); i != overlays_.end())
        return deterministic_bytes(i->second);
      return std::nullopt;
    case node_tag:
      if (auto i = nodes_.find(std::string(name)); i != nodes_.end())
        return deterministic_bytes(i->second);
      return std::nullopt;
    case emergency_tag:
      if (auto i = emergencies_.find(std::string(name));
          i != emergencies_.end())
        return deterministic_bytes(i->second);
      return std::nullopt;
    case approval_tag:
      if (auto i = approvals_.find(std::string(name)); i != approvals_.end())
        return deterministic_bytes(i->second);
      return std::nullopt;
    default:
      PACT_ASSERT(false, "unknown current-state record kind");
  }
  return std::nullopt;
}

store::state_write config_state_machine::take_writes() {
  // Nothing changed, not even the applied index: nothing to write (an idle
  // replica's periodic flush writes nothing).
  if (applied_ == applied_taken_ && dirty_.empty() && current_.empty()
      && entries_.pending().empty())
    return {};
  applied_taken_ = applied_;
  // The machine chained the entries it appended itself (each one's
  // prev_hash is the hash of the one before): every checkpoint_interval
  // entries the checkpoint moves to the head with them, so a restart
  // re-checks a bounded tail, however long the replica ran.
  if (!entries_.pending().empty()
      && entries_.last_sequence() >= checkpoint_seq_ + checkpoint_interval)
    note_verified();
  // Entries first: a restore's write set starts by clearing the tables.
  auto w = entries_.take_pending();
  for (auto& op : current_.ops)
    w.ops.push_back(std::move(op));
  current_ = {};
  for (const auto& key : dirty_) {
    if (auto bytes = current_record(key))
      w.put(state_table::current, key, std::move(*bytes));
    else
      w.del(state_table::current, key);
  }
  dirty_.clear();
  w.put(state_table::meta, std::string(applied_key), u64_bytes(applied_));
  return w;
}

void config_state_machine::writes_persisted() {
  entries_.persisted();
}

void config_state_machine::flush_writes() {
  auto w = take_writes();
  // Standalone, the machine's own tables are in memory (or a tool's LMDB
  // table set): a write that fails there leaves no deterministic way on.
  auto st = tables().write(w);
  PACT_ASSERT(st, "the journal's state tables refused a write");
  writes_persisted();
}

void config_state_machine::note_verified() {
  const auto* last = entries_.last();
  checkpoint_seq_ = last ? last->sequence() : 0;
  current_.put(state_table::meta, std::string(verified_key),
               u64_bytes(last ? last->sequence() : 0)
                 + (last ? last->hash() : zero_hash()));
}

expected<bool> config_state_machine::verify_since_checkpoint() const {
  auto cp = tables().get(state_table::meta, verified_key);
  if (!cp)
    return cp.err();
  uint64_t from = 0;
  std::string hash = zero_hash();
  if (cp->has_value()) {
    if ((*cp)->size() != 8 + 32)
      return make_error("journal state tables: the chain checkpoint is "
                        "corrupt");
    from = u64_of(std::string_view(**cp).substr(0, 8));
    hash = (*cp)->substr(8);
  }
  auto last = entries_.last_sequence();
  auto broken = [&](uint64_t seq, const std::string& why) {
    return make_error("the journal's hash chain is broken at entry "
                      + std::to_string(seq) + ": " + why
                      + " (checked at start-up from the checkpoint at entry "
                      + std::to_string(from) + "; the journal will not start "
                      + "on a tampered or corrupt journal)");
  };
  if (from > last)
    return broken(from, "the checkpoint names an entry the journal does not "
                        "hold (it ends at entry "
                          + std::to_string(last) + ")");
  // Nothing arrived since: nothing to check or to move.
  if (from == last && (from == 0 || entries_.last()->hash() == hash))
    return false;
  chain_verifier v;
  if (from > 0) {
    // The checkpoint's own entry, as stored now, must still be the entry
    // that was verified.
    auto e = entries_.get(from);
    if (!e)
      return e.err();
    if (!e->has_value() || (*e)->hash() != hash || entry_hash(**e) != hash)
      return broken(from, "the entry no longer has the hash it had when it "
                          "was verified");
    v.resume_after(from, hash);
  }
  auto st = entries_.scan(from, [&](const ConfigEntry& e) { return v.add(e); });
  if (!st)
    return st.err();
  if (!v.report().ok)
    return broken(v.report().first_bad, v.report().reason);
  return true;
}

status config_state_machine::load() {
  auto& t = tables();
  auto applied = t.get(state_table::meta, applied_key);
  if (!applied)
    return applied.err();
  config_state_machine fresh;
  if (applied->has_value())
    fresh.applied_ = u64_of(**applied);
  status bad;
  auto corrupt = [&](std::string_view key) {
    bad = make_error("journal state tables: current-state record '"
                     + std::string(key.substr(0, 80)) + "' is corrupt");
    return false;
  };
  bool first_recent = true;
  auto st
    = t.scan(state_table::current, {}, {}, false,
             [&](std::string_view key, std::string_view v) {
               if (key.empty())
                 return corrupt(key);
               auto name = std::string(key.substr(1));
               switch (key[0]) {
                 case global_tag:
                   return parse(fresh.global_, v) || corrupt(key);
                 case overlay_tag:
                   return parse(fresh.overlays_[name], v) || corrupt(key);
                 case node_tag:
                   return parse(fresh.nodes_[name], v) || corrupt(key);
                 case emergency_tag:
                   return parse(fresh.emergencies_[name], v) || corrupt(key);
                 case approval_tag:
                   return parse(fresh.approvals_[name], v) || corrupt(key);
                 case scope_tag:
                   fresh.last_in_scope_[name] = u64_of(v);
                   return true;
                 case recent_tag: {
                   protocol::RecentRequest r;
                   if (!parse(r, v) || name.size() != 8)
                     return corrupt(key);
                   if (first_recent)
                     fresh.recent_base_ = u64_of(name);
                   first_recent = false;
                   fresh.recent_index_[r.key()] = fresh.recent_base_
                                                  + fresh.recent_.size();
                   fresh.recent_.push_back(std::move(r));
                   return true;
                 }
                 default:
                   return corrupt(key);
               }
             });
  if (!st)
    return st;
  if (!bad)
    return bad;
  if (auto ls = entries_.load(); !ls)
    return ls;
  auto checked = verify_since_checkpoint();
  if (!checked)
    return checked.err();
  fresh.entries_ = std::move(entries_);
  // Checked through the last entry now (or nothing new since the
  // checkpoint, which is the last entry then).
  fresh.checkpoint_seq_ = fresh.entries_.last_sequence();
  if (*checked)
    fresh.note_verified();
  fresh.durable_ = durable_;
  fresh.host_persists_ = true;
  fresh.applied_taken_ = fresh.applied_;
  *this = std::move(fresh);
  return {};
}

} // namespace pact::journal
