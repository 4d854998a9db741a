#include "runtime/node/window_rules.hpp"

#include "runtime/common/terminal_text.hpp"
#include "runtime/journal/journal_items.hpp"

namespace pact::node {

namespace {

using namespace pact::protocol;

/// Items named in a record's message; the rest are counted.
constexpr int named_items = 3;

JournalCommand node_command(const std::string& node, CommandKind kind) {
  JournalCommand c;
  c.set_kind(kind);
  c.mutable_scope()->set_node(node);
  return c;
}

JournalCommand record(const std::string& node, EntryType type) {
  auto c = node_command(node, COMMAND_KIND_RECORD);
  c.set_record_type(type);
  return c;
}

/// "N drifted item(s) flagged for review: a, b, c (+k more)" with the
/// items (at most max_episode_items of them) in `into`'s delta.
std::string flag(const std::vector<drift_item>& items, int max_items,
                 JournalCommand& into) {
  std::string names;
  for (const auto& d : items) {
    auto i = to_delta_item(d);
    if (into.state_delta().items_size() < named_items)
      names += (names.empty() ? "" : ", ") + journal::describe(i);
    if (into.state_delta().items_size() < max_items)
      *into.mutable_state_delta()->add_items() = std::move(i);
  }
  if (static_cast<int>(items.size()) > named_items)
    names += " (+" + std::to_string(items.size() - named_items) + " more)";
  return std::to_string(items.size()) + " drifted item(s) flagged for review"
         + (names.empty() ? "" : ": " + names);
}

/// Converges `items` and records the outcome (enforce only).
void enforce(drift_state& s, const std::string& node,
             const std::vector<drift_item>& items, const std::string& why,
             backend_map& backends, window_actions& out) {
  if (items.empty())
    return;
  auto results = converge(items, s.declared_raw(), backends);
  auto c = node_command(node, COMMAND_KIND_AUTO_CONVERGE);
  *c.mutable_state_delta() = converge_delta(results);
  c.set_message(converge_message(why, results));
  for (const auto& r : results) {
    out.touched.push_back(r.item.id);
    out.loud |= !r.restored;
  }
  out.log.push_back(c.message());
  out.commands.push_back(std::move(c));
}

/// The common tail of both expiries: record the flag, warn, converge.
void expire(drift_state& s, const std::string& node,
            std::vector<drift_item> items, const std::string& what,
            backend_map& backends, window_actions& out) {
  auto c = record(node, ENTRY_TYPE_WINDOW_EXPIRED);
  c.set_message(
    utf8_safe(what + ": " + flag(items, s.settings().max_episode_items, c)));
  out.log.push_back(c.message());
  out.commands.push_back(std::move(c));
  auto mode = s.enforcement();
  out.loud |= mode == ENFORCEMENT_MODE_WARN;
  if (mode == ENFORCEMENT_MODE_ENFORCE)
    enforce(s, node, items, "converged to the declared state after the " + what,
            backends, out);
}

} // namespace

window_actions keep_window(drift_state& s, const std::string& node,
                           int64_t now_ms, backend_map& backends) {
  window_actions out;
  if (s.window().tick(now_ms) == window_event::expired) {
    // Only enforce hands the items to converge: flagged drift stays
    // convergeable should the mode become enforce (enforce_flagged).
    bool enforcing = s.enforcement() == ENFORCEMENT_MODE_ENFORCE;
    expire(s, node, enforcing ? s.take_unconverged() : s.items(),
           "commit window expired", backends, out);
  } else if (s.window().phase() == window_phase::expired
             && s.enforcement() == ENFORCEMENT_MODE_ENFORCE) {
    // The window is spent: drift found now has no window to be committed
    // in (the guide: "If the window has expired, extend it first").
    enforce(s, node, s.take_unconverged(),
            "converged drift found after the commit window expired", backends,
            out);
  }
  if (s.take_resolution()) {
    auto c = record(node, ENTRY_TYPE_DRIFT_RESOLVED);
    c.set_message("drift resolved: the node matches its declared state");
    out.log.push_back(c.message());
    out.commands.push_back(std::move(c));
  }
  return out;
}

window_actions enforce_flagged(drift_state& s, const std::string& node,
                               backend_map& backends) {
  window_actions out;
  if (s.window().phase() != window_phase::expired
      || s.enforcement() != ENFORCEMENT_MODE_ENFORCE)
    return out;
  enforce(s, node, s.take_unconverged(),
          "converged to the declared state after the commit window expired "
          "(enforcement_mode is now enforce)",
          backends, out);
  return out;
}

window_actions delta_expired(drift_state& s, const std::string& node,
                             const std::vector<item_id>& keys, int64_t now_ms,
                             backend_map& backends) {
  window_actions out;
  auto what = "committed node delta (entry "
              + std::to_string(s.expired_delta_sequence()) + ") expired";
  auto items = s.items_of(keys);
  if (items.empty()) {
    out.log.push_back(what + ": its " + std::to_string(keys.size())
                      + " item(s) match the overlay; nothing to flag");
    return out;
  }
  s.window().expire_now(now_ms);
  s.mark_flagged(items, s.enforcement() == ENFORCEMENT_MODE_ENFORCE);
  expire(s, node, std::move(items), what, backends, out);
  return out;
}

} // namespace pact::node
