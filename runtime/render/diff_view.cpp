#include "runtime/render/diff_view.hpp"

#include <sstream>

#include "runtime/common/terminal_text.hpp"
#include "runtime/journal/journal_items.hpp"
#include "runtime/render/journal_render.hpp"
#include "runtime/render/status_render.hpp"
#include "runtime/spec/promote.hpp"

namespace pact::render {

namespace {

/// The keys of the record's changes that the overlay does not hold yet.
journal::item_map pending_keys(const node_diff& d) {
  journal::item_map out;
  for (auto& i : spec::unpromoted(d.overlay, d.record))
    out[journal::key_of(i)] = i;
  return out;
}

/// The changes shown: all, or only the unpromoted ones.
std::vector<protocol::DeltaItem> shown(const node_diff& d,
                                       const journal::item_map& pending) {
  std::vector<protocol::DeltaItem> out;
  for (auto& i : d.record.items())
    if (!d.committed_only || pending.count(journal::key_of(i)))
      out.push_back(i);
  return out;
}

} // namespace

protocol::VClusterOverlay overlay_of(const protocol::StateReply& st,
                                     const std::string& vc) {
  protocol::VClusterOverlay out;
  out.set_vcluster(vc);
  for (auto& o : st.overlays())
    if (o.vcluster() == vc)
      out = o;
  return out;
}

std::string node_diff_text(const node_diff& d) {
  auto pending = pending_keys(d);
  auto items = shown(d, pending);
  const auto& rec = d.record;
  std::ostringstream os;
  os << "node " << terminal_safe(d.node) << " ("
     << (rec.vcluster().empty()
           ? std::string("no vcluster")
           : "vcluster " + terminal_safe(rec.vcluster()) + " overlay v"
               + std::to_string(d.overlay.version()))
     << ", " << node_state_name(rec.state()) << ")\n";
  if (items.empty())
    os << (d.committed_only ? "  no committed changes awaiting promotion\n"
                            : "  no differences from the overlay\n");
  for (auto& i : items)
    os << "  " << action_name(i.action()) << "  " << item_text(i)
       << (pending.count(journal::key_of(i)) ? "  [committed]"
                                             : "  [in overlay]")
       << "\n";
  if (rec.delta_expires_unix_ms() != 0 && !rec.items().empty())
    os << "  committed delta expires " << time_text(rec.delta_expires_unix_ms())
       << "\n";
  return os.str();
}

nlohmann::json node_diff_json(const node_diff& d) {
  auto pending = pending_keys(d);
  nlohmann::json j{{"node", d.node},
                   {"vcluster", d.record.vcluster()},
                   {"overlay_version", d.overlay.version()},
                   {"state", node_state_name(d.record.state())},
                   {"committed", nlohmann::json::array()},
                   {"actual", nullptr}};
  for (auto& i : shown(d, pending)) {
    auto ij = item_json(i);
    ij["promoted"] = pending.count(journal::key_of(i)) == 0;
    j["committed"].push_back(ij);
  }
  return j;
}

std::string diff_table_text(const protocol::StateReply& st,
                            const std::string& vc) {
  std::vector<std::vector<std::string>> rows{
    {"NODE", "VCLUSTER", "STATE", "COMMITTED", "UNPROMOTED"}};
  for (auto& n : st.nodes())
    rows.push_back(
      {n.node(), n.vcluster(), node_state_name(n.state()),
       std::to_string(n.items_size()),
       std::to_string(
         spec::unpromoted(overlay_of(st, n.vcluster()), n).size())});
  if (rows.size() == 1)
    return "no nodes with journal records"
           + (vc.empty() ? std::string() : " in vcluster " + terminal_safe(vc))
           + "\n";
  return render_table(rows);
}

nlohmann::json diff_table_json(const protocol::StateReply& st) {
  auto j = nlohmann::json::array();
  for (auto& n : st.nodes())
    j.push_back({{"node", n.node()},
                 {"vcluster", n.vcluster()},
                 {"state", node_state_name(n.state())},
                 {"committed", n.items_size()},
                 {"unpromoted",
                  spec::unpromoted(overlay_of(st, n.vcluster()), n).size()}});
  return nlohmann::json{{"nodes", j}};
}

} // namespace pact::render
