#include "runtime/render/status_render.hpp"

#include <algorithm>
#include <map>
#include <sstream>
#include <vector>

#include "runtime/common/terminal_text.hpp"

namespace pact::render {

namespace {

std::string state_text(protocol::ActorState s) {
  switch (s) {
    case protocol::ACTOR_STATE_STARTING:
      return "starting";
    case protocol::ACTOR_STATE_RUNNING:
      return "running";
    case protocol::ACTOR_STATE_DEGRADED:
      return "degraded";
    case protocol::ACTOR_STATE_RESTARTING:
      return "restarting";
    case protocol::ACTOR_STATE_STOPPED:
      return "stopped";
    case protocol::ACTOR_STATE_FAILED:
      return "failed";
    default:
      return "unknown";
  }
}

/// Depth of each actor in its tree (root = 0), by following parents.
int depth_of(const protocol::HealthTree& t, const std::string& name) {
  std::map<std::string, std::string> parent;
  for (auto& a : t.actors())
    parent[a.name()] = a.parent();
  int depth = 0;
  for (auto p = parent[name]; !p.empty() && depth < 32; p = parent[p])
    ++depth;
  return depth;
}

std::string render_tree(const protocol::HealthTree& t, int64_t now_ms) {
  std::vector<std::vector<std::string>> rows{
    {"ACTOR", "KIND", "STATE", "RESTARTS", "MAILBOX", "ACTIVE", "DETAIL"}};
  for (auto& a : t.actors()) {
    auto indent = std::string(2 * static_cast<size_t>(depth_of(t, a.name())),
                              ' ');
    rows.push_back({indent + a.name(), a.kind(), state_text(a.state()),
                    std::to_string(a.restarts()),
                    std::to_string(a.mailbox_depth()),
                    age_text(now_ms - a.last_activity_unix_ms()), a.detail()});
  }
  return render_table(rows);
}

} // namespace

std::string render_table(const std::vector<std::vector<std::string>>& raw) {
  std::vector<std::vector<std::string>> rows;
  for (auto& r : raw) {
    rows.emplace_back();
    for (auto& cell : r)
      rows.back().push_back(terminal_safe(cell));
  }
  std::vector<size_t> width;
  for (auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) {
      width.resize(std::max(width.size(), r.size()));
      width[i] = std::max(width[i], r[i].size());
    }
  std::ostringstream os;
  for (auto& r : rows) {
    os << "  ";
    for (size_t i = 0; i < r.size(); ++i) {
      os << r[i];
      if (i + 1 < r.size())
        os << std::string(width[i] - r[i].size() + 2, ' ');
    }
    os << "\n";
  }
  return os.str();
}

std::string age_text(int64_t age_ms) {
  if (age_ms < 0)
    age_ms = 0;
  auto s = age_ms / 1000;
  if (s < 120)
    return std::to_string(s) + "s ago";
  if (s < 7200)
    return std::to_string(s / 60) + "m ago";
  return std::to_string(s / 3600) + "h ago";
}

std::string render_status_text(const protocol::StatusReply& reply,
                               int64_t now_ms) {
  std::ostringstream os;
  auto& self = reply.self();
  os << terminal_safe(self.component()) << " " << terminal_safe(self.node_id())
     << " (pact " << terminal_safe(self.version()) << ")\n";
  if (reply.has_raft()) {
    auto& r = reply.raft();
    os << "  raft: " << terminal_safe(r.role()) << ", term " << r.term()
       << ", leader "
       << (r.leader_id() == 0 ? std::string("none")
                              : std::to_string(r.leader_id()))
       << ", commit " << r.commit_index() << ", applied " << r.applied_index()
       << ", voters";
    for (auto v : r.voters())
      os << " " << v;
    if (!r.failure().empty())
      os << "\n  raft: WRITES REFUSED: " << terminal_safe(r.failure());
    for (auto& p : r.peers())
      if (!p.connected())
        os << "\n  raft: peer " << p.id() << " (" << terminal_safe(p.url())
           << ") not connected for " << p.problem_age_ms() / 1000
           << "s: " << terminal_safe(p.problem());
    os << "\n";
  }
  os << render_tree(self, now_ms);
  for (auto& n : reply.nodes()) {
    auto& r = n.report();
    os << "\nnode " << terminal_safe(r.node_id()) << " (vcluster "
       << (r.vcluster().empty() ? "-" : terminal_safe(r.vcluster()))
       << ", agent " << terminal_safe(r.agent_endpoint()) << ", last report "
       << age_text(n.last_seen_age_ms()) << ", pact "
       << terminal_safe(r.health().version()) << ")\n";
    // Agent timestamps are the agent's clock; date them by the report age.
    auto agent_now = r.health().taken_unix_ms() + n.last_seen_age_ms();
    os << render_tree(r.health(), agent_now);
  }
  if (reply.nodes_size() == 0 && self.component() == "journal")
    os << "\nno nodes have reported to this journal\n";
  return os.str();
}

nlohmann::json tree_json(const protocol::HealthTree& t) {
  nlohmann::json j;
  j["component"] = t.component();
  j["node_id"] = t.node_id();
  j["version"] = t.version();
  j["taken_unix_ms"] = t.taken_unix_ms();
  j["actors"] = nlohmann::json::array();
  for (auto& a : t.actors())
    j["actors"].push_back(
      {{"name", a.name()},
       {"kind", a.kind()},
       {"parent", a.parent()},
       {"state", state_text(a.state())},
       {"detail", a.detail()},
       {"restarts", a.restarts()},
       {"mailbox_depth", a.mailbox_depth()},
       {"last_activity_unix_ms", a.last_activity_unix_ms()}});
  return j;
}

nlohmann::json render_status_json(const protocol::StatusReply& reply) {
  nlohmann::json j;
  j[reply.self().component()] = tree_json(reply.self());
  if (reply.has_raft()) {
    auto& r = reply.raft();
    j["raft"] = {
      {"node_id", r.node_id()},
      {"role", r.role()},
      {"term", r.term()},
      {"leader_id", r.leader_id()},
      {"commit_index", r.commit_index()},
      {"applied_index", r.applied_index()},
      {"last_index", r.last_index()},
      {"voters", std::vector<uint64_t>(r.voters().begin(), r.voters().end())},
      {"learners",
       std::vector<uint64_t>(r.learners().begin(), r.learners().end())},
      {"digest", r.digest()},
      {"failure", r.failure()}};
    j["raft"]["peers"] = nlohmann::json::array();
    for (auto& p : r.peers())
      j["raft"]["peers"].push_back({{"id", p.id()},
                                    {"url", p.url()},
                                    {"connected", p.connected()},
                                    {"problem", p.problem()},
                                    {"problem_age_ms", p.problem_age_ms()}});
  }
  j["nodes"] = nlohmann::json::array();
  for (auto& n : reply.nodes()) {
    auto& r = n.report();
    j["nodes"].push_back({{"node_id", r.node_id()},
                          {"vcluster", r.vcluster()},
                          {"agent_endpoint", r.agent_endpoint()},
                          {"last_seen_age_ms", n.last_seen_age_ms()},
                          {"agent", tree_json(r.health())}});
  }
  return j;
}

} // namespace pact::render
