#include "runtime/render/node_view.hpp"

#include <map>
#include <sstream>

#include "runtime/common/terminal_text.hpp"
#include "runtime/policy/read_authz.hpp"
#include "runtime/render/journal_render.hpp"
#include "runtime/render/status_render.hpp"

namespace pact::render {

namespace {

/// Nodes named per key in the warning; the rest are counted.
constexpr size_t named_nodes = 4;

std::string plural(size_t n, const std::string& what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

std::string committed_text(const protocol::NodeRecord& n, int64_t now_ms) {
  if (n.items_size() == 0)
    return "-";
  auto out = std::to_string(n.items_size());
  auto ends = n.delta_expires_unix_ms();
  if (ends != 0)
    out += ends > now_ms ? " (expires " + in_text(ends - now_ms) + ")"
                         : " (expired " + age_text(now_ms - ends) + ")";
  return out;
}

std::string nodes_text(const std::vector<std::string>& nodes) {
  std::string out;
  for (size_t i = 0; i < nodes.size() && i < named_nodes; ++i)
    out += (i ? ", " : "") + terminal_safe(nodes[i]);
  if (nodes.size() > named_nodes)
    out += " (+" + std::to_string(nodes.size() - named_nodes) + " more)";
  return out;
}

} // namespace

std::string in_text(int64_t ms) {
  auto ago = age_text(ms); // "12m ago"
  return "in " + ago.substr(0, ago.size() - 4);
}

std::string window_text(const protocol::NodeRecord& n, int64_t now_ms) {
  auto ends = n.window_ends_unix_ms();
  if (ends > now_ms)
    return "open, ends " + in_text(ends - now_ms) + " (" + time_text(ends)
           + ")";
  if (n.window_expired_unix_ms() != 0)
    return "expired " + age_text(now_ms - n.window_expired_unix_ms())
           + ": drift flagged for review";
  if (ends != 0 && n.drift_items() != 0)
    return "ended " + age_text(now_ms - ends);
  return "none open";
}

bool delta_in_force(const protocol::NodeRecord& n, int64_t now_ms) {
  return n.items_size() > 0
         && (n.delta_expires_unix_ms() == 0
             || n.delta_expires_unix_ms() > now_ms);
}

std::vector<divergent_key>
divergent_keys(const protocol::VClusterOverlay& overlay,
               const std::vector<protocol::NodeRecord>& nodes, int64_t now_ms) {
  std::map<std::pair<int, std::string>, const protocol::DeltaItem*> declared;
  for (const auto& i : overlay.items())
    declared[{i.category(), i.key()}] = &i;
  std::map<std::pair<int, std::string>, std::vector<std::string>> by_key;
  for (const auto& n : nodes) {
    if (policy::listed_vcluster(n) != overlay.vcluster()
        || !delta_in_force(n, now_ms))
      continue;
    for (const auto& i : n.items()) {
      auto it = declared.find({i.category(), i.key()});
      bool removed = i.action() == protocol::DELTA_ACTION_REMOVE;
      bool same = it == declared.end()
                    ? removed
                    : !removed && it->second->value() == i.value();
      if (!same)
        by_key[{i.category(), i.key()}].push_back(n.node());
    }
  }
  std::vector<divergent_key> out;
  for (auto& [k, who] : by_key)
    out.push_back({static_cast<protocol::DeltaCategory>(k.first), k.second,
                   std::move(who)});
  return out;
}

std::string vcluster_nodes_text(const protocol::StateReply& st,
                                const std::string& vcluster, int64_t now_ms) {
  std::vector<protocol::NodeRecord> nodes;
  for (const auto& n : st.nodes())
    if (policy::listed_vcluster(n) == vcluster)
      nodes.push_back(n);
  std::ostringstream os;
  os << "\njournal: vcluster " << terminal_safe(vcluster) << ": "
     << plural(nodes.size(), "node") << "\n";
  if (nodes.empty())
    return os.str();
  std::vector<std::vector<std::string>> rows{
    {"NODE", "STATE", "DRIFTED", "WINDOW", "COMMITTED"}};
  for (const auto& n : nodes)
    // A node that booted from the overlay without an enrollment is listed
    // (its agent runs the vCluster's configuration), and says so.
    rows.push_back({n.node(),
                    node_state_name(n.state())
                      + (n.vcluster().empty() ? " (not enrolled)" : ""),
                    std::to_string(n.drift_items()), window_text(n, now_ms),
                    committed_text(n, now_ms)});
  os << render_table(rows);
  for (const auto& o : st.overlays()) {
    if (o.vcluster() != vcluster)
      continue;
    auto keys = divergent_keys(o, nodes, now_ms);
    if (keys.empty())
      continue;
    os << "warning: committed node deltas make vcluster "
       << terminal_safe(vcluster) << " heterogeneous (nodes differ from its "
       << "overlay on the same keys):\n";
    for (const auto& k : keys)
      os << "  " << category_name(k.category) << " " << terminal_safe(k.key)
         << ": " << nodes_text(k.nodes) << "\n";
    os << "  fold a node's delta into the overlay with `pact promote NODE` "
          "(--dry-run first), or let the deltas expire\n";
  }
  return os.str();
}

nlohmann::json divergent_json(const std::vector<divergent_key>& keys) {
  auto out = nlohmann::json::array();
  for (const auto& k : keys)
    out.push_back({{"category", category_name(k.category)},
                   {"key", k.key},
                   {"nodes", k.nodes}});
  return out;
}

} // namespace pact::render
