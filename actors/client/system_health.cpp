#include "actors/client/system_health.hpp"

#include <string>
#include <vector>

#include "runtime/delegation/lattice_views.hpp"
#include "runtime/render/failure.hpp"
#include "runtime/render/status_render.hpp"

namespace pact::client {

using nlohmann::json;

namespace {

json component(const std::string& name, const std::string& status,
               const std::string& detail) {
  return {{"name", name}, {"status", status}, {"detail", detail}};
}

std::string list_text(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names)
    out += (out.empty() ? "" : ", ") + n;
  return out;
}

json journal_component(const expected<render::status_view>& st) {
  const char* name = "pact-journal";
  if (!st)
    return component(name, "down", render::failure_text(st.err()));
  const auto& r = st->reply.raft();
  if (!r.failure().empty())
    return component(name, "degraded", "writes refused: " + r.failure());
  if (r.leader_id() == 0)
    return component(name, "degraded",
                     "no leader (term " + std::to_string(r.term()) + ")");
  for (const auto& p : r.peers())
    if (!p.connected())
      return component(name, "degraded",
                       "peer " + std::to_string(p.id()) + ": " + p.problem());
  return component(name, "up",
                   "leader " + std::to_string(r.leader_id()) + ", term "
                     + std::to_string(r.term()) + ", commit index "
                     + std::to_string(r.commit_index()));
}

bool actors_running(const protocol::HealthTree& t) {
  for (const auto& a : t.actors())
    if (a.state() != protocol::ACTOR_STATE_RUNNING
        && a.state() != protocol::ACTOR_STATE_STARTING)
      return false;
  return true;
}

json agents_component(const expected<render::status_view>& st) {
  const char* name = "agents";
  if (!st)
    return component(name, "down",
                     "unknown: the journal did not answer ("
                       + render::failure_text(st.err()) + ")");
  const auto& nodes = st->reply.nodes();
  if (nodes.empty())
    return component(name, "down", "no agent has reported to the journal");
  std::vector<std::string> stale, unwell;
  for (const auto& n : nodes) {
    if (n.last_seen_age_ms() > agent_stale_ms)
      stale.push_back(n.report().node_id());
    else if (!actors_running(n.report().health()))
      unwell.push_back(n.report().node_id());
  }
  std::string detail = std::to_string(nodes.size() - stale.size()) + " of "
                       + std::to_string(nodes.size()) + " reporting";
  if (!stale.empty())
    detail += "; not heard from for over a minute: " + list_text(stale);
  if (!unwell.empty())
    detail += "; actors not running on: " + list_text(unwell);
  if (stale.size() == static_cast<std::size_t>(nodes.size()))
    return component(name, "down", detail);
  return component(name, stale.empty() && unwell.empty() ? "up" : "degraded",
                   detail);
}

json lattice_component(const expected<delegation::lattice_settings>& settings) {
  const char* name = "lattice";
  if (!settings)
    return component(name, "down", render::failure_text(settings.err()));
  const auto& s = *settings;
  auto h = delegation::lattice_health(s);
  if (!h)
    return component(name, "down", render::failure_text(h.err()));
  auto said = h->value("status", std::string());
  std::string detail = "at " + s.endpoint + ": " + said;
  if (auto v = h->value("version", std::string()); !v.empty())
    detail += ", version " + v;
  bool well = said == "ok" || said == "healthy" || said == "serving"
              || said == "SERVING";
  auto raft = delegation::lattice_raft(s);
  if (!raft)
    return component(name, "degraded",
                     detail
                       + "; raft status: " + render::failure_text(raft.err()));
  if ((*raft)["leader_id"] == 0)
    return component(name, "degraded", detail + "; no raft leader");
  return component(name, well ? "up" : "degraded", detail);
}

} // namespace

json system_health(const expected<render::status_view>& journal,
                   const expected<delegation::lattice_settings>& lattice) {
  return {{"components",
           json::array({journal_component(journal), lattice_component(lattice),
                        agents_component(journal)})}};
}

json journal_quorum(const render::status_view& v) {
  return render::render_status_json(v.reply).value("raft", json::object());
}

json cluster_view(const expected<json>& pact, const expected<json>& lattice) {
  auto section = [](const expected<json>& part) {
    return part ? *part : json{{"error", render::failure_json(part.err())}};
  };
  return {{"pact", section(pact)}, {"lattice", section(lattice)}};
}

} // namespace pact::client
