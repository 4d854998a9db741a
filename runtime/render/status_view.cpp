#include "runtime/render/status_view.hpp"

#include <sstream>
#include <vector>

#include "runtime/common/terminal_text.hpp"
#include "runtime/render/journal_render.hpp"
#include "runtime/render/node_view.hpp"
#include "runtime/render/status_render.hpp"

namespace pact::render {

namespace {

/// One node as the journal holds it: state, committed changes, drift its
/// agent recorded and, on its own line, the commit window.
/// `reported`: the vCluster the node's agent asks for (its report), shown
/// for a node not enrolled in one rather than "-" (tester, issue 11).
std::string node_text(const protocol::NodeRecord& n,
                      const std::string& reported, int64_t now_ms) {
  std::ostringstream os;
  os << "\njournal: node " << terminal_safe(n.node()) << " "
     << node_state_name(n.state()) << ", vcluster "
     << (!n.vcluster().empty() ? terminal_safe(n.vcluster())
         : !reported.empty()
           ? terminal_safe(reported) + " (not enrolled; its agent asks for it)"
         : !n.booted_vcluster().empty()
           ? terminal_safe(n.booted_vcluster())
               + " (not enrolled; its agent booted from it)"
           : std::string("-"))
     << ", " << n.items_size() << " committed change"
     << (n.items_size() == 1 ? "" : "s");
  if (n.items_size() > 0 && n.delta_expires_unix_ms() != 0)
    os << (delta_in_force(n, now_ms) ? " (expire " : " (expired ")
       << (delta_in_force(n, now_ms)
             ? in_text(n.delta_expires_unix_ms() - now_ms)
             : age_text(now_ms - n.delta_expires_unix_ms()))
       << ")";
  if (n.drift_items() != 0)
    os << ", " << n.drift_items() << " drifted item"
       << (n.drift_items() == 1 ? "" : "s");
  if (!n.agent_endpoint().empty())
    os << ", agent at " << terminal_safe(n.agent_endpoint());
  os << "\n";
  for (auto& i : n.items())
    os << "  " << action_name(i.action()) << "  " << item_text(i) << "\n";
  os << "journal: commit window " << window_text(n, now_ms) << "\n";
  return os.str();
}

/// The journal's view of the node or vCluster asked about as text.
std::string declared_text(const protocol::StateReply& st,
                          const protocol::StatusReply& reports,
                          const std::string& node, const std::string& vc,
                          int64_t now_ms) {
  std::string reported;
  for (const auto& r : reports.nodes())
    if (r.report().node_id() == node)
      reported = r.report().vcluster();
  std::ostringstream os;
  if (node.empty() && !vc.empty())
    os << vcluster_nodes_text(st, vc, now_ms);
  else
    for (auto& n : st.nodes())
      if (n.node() == node)
        os << node_text(n, reported, now_ms);
  for (auto& o : st.overlays())
    if (o.vcluster() == vc)
      os << "\njournal: vcluster " << vc << " overlay version " << o.version()
         << ", " << o.items_size() << " declared items, checksum "
         << terminal_safe(o.checksum().substr(0, 12)) << "\n";
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
    text += declared_text(*v.declared, v.reply, v.node, v.vcluster, now_ms);
  std::ostringstream os;
  for (auto& e : v.emergencies)
    os << "journal: EMERGENCY on " << terminal_safe(scope_text(e.scope()))
       << " by " << terminal_safe(e.author().principal()) << " until "
       << time_text(e.window_ends_unix_ms()) << ": "
       << terminal_safe(e.reason()) << "\n";
  for (auto& a : v.approvals)
    os << "journal: PENDING APPROVAL " << terminal_safe(a.id()) << " on "
       << terminal_safe(scope_text(a.scope())) << ": " << a.action() << " by "
       << terminal_safe(a.requester().principal()) << ", expires "
       << time_text(a.expires_unix_ms()) << "\n";
  if (!v.emergencies.empty() || !v.approvals.empty())
    text += "\n" + os.str();
  return text;
}

nlohmann::json status_view_json(const status_view& v, int64_t now_ms) {
  auto j = render_status_json(v.reply);
  j["emergencies"] = nlohmann::json::array();
  for (auto& e : v.emergencies)
    j["emergencies"].push_back(
      {{"scope", scope_text(e.scope())},
       {"owner", e.author().principal()},
       {"reason", e.reason()},
       {"started_sequence", e.started_sequence()},
       {"window_ends", time_text(e.window_ends_unix_ms())}});
  j["pending_approvals"] = nlohmann::json::array();
  for (auto& a : v.approvals)
    j["pending_approvals"].push_back(
      {{"id", a.id()},
       {"scope", scope_text(a.scope())},
       {"action", a.action()},
       {"requester", a.requester().principal()},
       {"expires", time_text(a.expires_unix_ms())}});
  if (!v.declared)
    return j;
  j["declared"] = {{"nodes", nlohmann::json::array()},
                   {"overlays", nlohmann::json::array()}};
  std::vector<protocol::NodeRecord> nodes;
  for (auto& n : v.declared->nodes()) {
    auto nj = node_json(n);
    nj["commit_window"] = window_text(n, now_ms);
    j["declared"]["nodes"].push_back(std::move(nj));
    nodes.push_back(n);
  }
  for (auto& o : v.declared->overlays())
    j["declared"]["overlays"].push_back(
      {{"vcluster", o.vcluster()},
       {"version", o.version()},
       {"checksum", o.checksum()},
       {"items", o.items_size()},
       {"heterogeneous", divergent_json(divergent_keys(o, nodes, now_ms))}});
  return j;
}

} // namespace pact::render
