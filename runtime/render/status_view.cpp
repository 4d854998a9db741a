#include "runtime/render/status_view.hpp"

#include <sstream>

#include "runtime/common/terminal_text.hpp"
#include "runtime/render/journal_render.hpp"
#include "runtime/render/status_render.hpp"

namespace pact::render {

namespace {

/// The journal's view of the node or vCluster asked about as text. Drift
/// from the agent's reports arrives with the agent service.
std::string declared_text(const protocol::StateReply& st,
                          const std::string& node, const std::string& vc) {
  std::ostringstream os;
  for (auto& n : st.nodes()) {
    if (!node.empty() && n.node() != node)
      continue;
    os << "\njournal: node " << terminal_safe(n.node()) << " "
       << node_state_name(n.state()) << ", vcluster "
       << (n.vcluster().empty() ? std::string("-")
                                : terminal_safe(n.vcluster()))
       << ", " << n.items_size() << " committed change"
       << (n.items_size() == 1 ? "" : "s");
    if (n.window_ends_unix_ms() != 0)
      os << ", commit window until " << time_text(n.window_ends_unix_ms());
    if (!n.agent_endpoint().empty())
      os << ", agent at " << terminal_safe(n.agent_endpoint());
    os << "\n";
    for (auto& i : n.items())
      os << "  " << action_name(i.action()) << "  " << item_text(i) << "\n";
  }
  for (auto& o : st.overlays())
    if (o.vcluster() == vc)
      os << "\njournal: vcluster " << vc << " overlay version " << o.version()
         << ", " << o.items_size() << " declared items, checksum "
         << terminal_safe(o.checksum().substr(0, 12)) << "\n";
  for (auto& e : st.emergencies())
    os << "journal: EMERGENCY on " << terminal_safe(scope_text(e.scope()))
       << " by " << terminal_safe(e.author().principal()) << ": "
       << terminal_safe(e.reason()) << "\n";
  return os.str();
}

} // namespace

void keep_only_node(protocol::StatusReply& reply, const std::string& node) {
  if (node.empty())
    return;
  auto all = reply.nodes();
  reply.clear_nodes();
  for (auto& n : all)
    if (n.report().node_id() == node)
      *reply.add_nodes() = n;
}

std::string status_view_text(const status_view& v, int64_t now_ms) {
  auto text = render_status_text(v.reply, now_ms);
  if (v.declared)
    text += declared_text(*v.declared, v.node, v.vcluster);
  return text;
}

nlohmann::json status_view_json(const status_view& v) {
  auto j = render_status_json(v.reply);
  if (!v.declared)
    return j;
  j["declared"] = {{"nodes", nlohmann::json::array()},
                   {"overlays", nlohmann::json::array()}};
  for (auto& n : v.declared->nodes())
    j["declared"]["nodes"].push_back(node_json(n));
  for (auto& o : v.declared->overlays())
    j["declared"]["overlays"].push_back({{"vcluster", o.vcluster()},
                                         {"version", o.version()},
                                         {"checksum", o.checksum()},
                                         {"items", o.items_size()}});
  return j;
}

} // namespace pact::render
