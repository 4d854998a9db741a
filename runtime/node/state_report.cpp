#include "runtime/node/state_report.hpp"

#include "runtime/journal/journal_items.hpp"

namespace pact::node {

using namespace pact::protocol;

namespace {

/// Items named in a message; the rest are counted.
constexpr int named_items = 3;

/// Whether the journal's state may hold drift the node no longer has. An
/// emergency hides the state under it (NodeRecord.state_before_emergency,
/// not sent to the agent), which may be drifted: the journal resolves that
/// one too, and a record with nothing to resolve changes nothing there.
bool drifting(NodeState s) {
  return s == NODE_STATE_DRIFTED || s == NODE_STATE_CONVERGING
         || s == NODE_STATE_EMERGENCY;
}

} // namespace

StateDelta replaced_edits(const std::vector<DeltaItem>& applied,
                          const observed_items& before,
                          const declared_state& previous) {
  StateDelta out;
  for (const auto& i : applied) {
    item_id id{i.category(), i.key()};
    auto held = before.find(id);
    auto wrote = previous.find(id);
    if (held == before.end() || !wrote)
      continue;
    if (auto d = compare(id, *wrote, held->second, true))
      *out.add_items() = to_delta_item(*d);
  }
  return out;
}

std::string replaced_text(const StateDelta& edits) {
  if (edits.items_size() == 0)
    return {};
  std::string names;
  for (int n = 0; n < edits.items_size() && n < named_items; ++n)
    names += (n ? ", " : "") + journal::describe(edits.items(n));
  if (edits.items_size() > named_items)
    names += " (+" + std::to_string(edits.items_size() - named_items)
             + " more)";
  return "; replaced " + std::to_string(edits.items_size())
         + " uncommitted local edit(s): " + names;
}

void state_follower::note(const JournalCommand& cmd) {
  bool drift_kind = cmd.kind() == COMMAND_KIND_DRIFT_DETECTED
                    || cmd.kind() == COMMAND_KIND_AUTO_CONVERGE
                    || (cmd.kind() == COMMAND_KIND_RECORD
                        && cmd.record_type() == ENTRY_TYPE_WINDOW_EXPIRED);
  if (drift_kind) {
    recorded_ = true;
    sent_ = false;
    armed_ = false;
  } else if (cmd.kind() == COMMAND_KIND_RECORD
             && cmd.record_type() == ENTRY_TYPE_DRIFT_RESOLVED) {
    // The window rules resolved the episode: nothing left to follow.
    recorded_ = false;
    sent_ = true;
  }
}

window_actions state_follower::check(const drift_state& s,
                                     const std::string& node) {
  window_actions out;
  bool stale = recorded_ || drifting(s.node_delta().state());
  if (!stale || s.item_count() > 0) {
    // The journal left drift (or the node drifts again): a later stale
    // state is resolved again.
    sent_ = false;
    armed_ = false;
    return out;
  }
  if (sent_ || !s.declared_known() || !s.baseline_taken())
    return out;
  if (!armed_) {
    // One poll's grace: an episode that just ended is resolved by the
    // window rules at the next poll (drift_state::take_resolution).
    armed_ = true;
    return out;
  }
  armed_ = false;
  sent_ = true;
  recorded_ = false;
  JournalCommand c;
  c.set_kind(COMMAND_KIND_RECORD);
  c.set_record_type(ENTRY_TYPE_DRIFT_RESOLVED);
  c.mutable_scope()->set_node(node);
  c.set_message("drift resolved: the node matches its declared state");
  out.log.push_back(c.message());
  out.commands.push_back(std::move(c));
  return out;
}

} // namespace pact::node
