// pact_query_fleet: nodes from the journal's declared state, filtered by
// vCluster, state and drift; a GPU filter asks each remaining node's agent
// for its capability manifest (docs/capabilities.md), a few at a time.

#include <algorithm>
#include <future>

#include "actors/client/capability_query.hpp"
#include "mcp/tool_specs.hpp"
#include "mcp/tools.hpp"
#include "runtime/render/failure.hpp"
#include "runtime/render/journal_render.hpp"
#include "runtime/render/status_render.hpp"

namespace pact::mcp {

namespace {

/// Agents asked at once by a GPU filter: enough to cover a rack quickly,
/// few enough not to flood the bridge's host with connections.
constexpr std::size_t parallel_asks = 16;

/// GPU facts of a manifest: count, the tool's status, problems.
json gpu_facts(const json& manifest) {
  json g = manifest.contains("gpus") && manifest["gpus"].is_object()
             ? manifest["gpus"]
             : json::object();
  auto count = g.contains("count") && g["count"].is_number_unsigned()
                 ? g["count"].get<uint64_t>()
                 : 0;
  auto problems = g.contains("problems") && g["problems"].is_array()
                    ? g["problems"]
                    : json::array();
  auto status = g.contains("status") && g["status"].is_string()
                  ? g["status"].get<std::string>()
                  : std::string("none");
  std::string health = count == 0                           ? "none"
                       : status == "ok" && problems.empty() ? "healthy"
                                                            : "unhealthy";
  return {{"count", count},
          {"status", status},
          {"health", health},
          {"problems", problems}};
}

struct asked {
  std::optional<json> gpus;
  std::string error;
};

asked ask_gpus(const bridge& b, const protocol::NodeRecord& n) {
  auto agent = parse_endpoint(n.agent_endpoint(), "agent_endpoint");
  if (!agent)
    return {std::nullopt, "its agent has not booted against this journal"};
  auto reply = client::ask_capability(b.cfg, *agent, n.node());
  if (!reply)
    return {std::nullopt, render::failure_text(reply.err())};
  auto manifest = json::parse(reply->manifest_json(), nullptr, false);
  if (manifest.is_discarded() || !manifest.is_object())
    return {std::nullopt, "its agent sent a manifest that is not JSON"};
  return {gpu_facts(manifest), ""};
}

bool gpus_match(const fleet_args& a, const json& gpus) {
  if (!a.gpu_health.empty() && gpus["health"] != a.gpu_health)
    return false;
  return gpus["count"].get<uint64_t>() >= a.min_gpus;
}

std::string fleet_text(const json& out, bool with_gpus) {
  std::vector<std::vector<std::string>> rows{
    {"NODE", "VCLUSTER", "STATE", "DRIFT"}};
  if (with_gpus) {
    rows[0].push_back("GPUS");
    rows[0].push_back("GPU HEALTH");
  }
  for (auto& n : out["nodes"]) {
    rows.push_back({n["node"], n["vcluster"], n["state"],
                    std::to_string(n["drift_items"].get<uint64_t>())});
    if (with_gpus) {
      rows.back().push_back(std::to_string(n["gpus"]["count"].get<uint64_t>()));
      rows.back().push_back(n["gpus"]["health"]);
    }
  }
  std::string text = render::render_table(rows);
  text += std::to_string(out["matched"].get<uint64_t>()) + " node"
          + (out["matched"] == 1 ? "" : "s") + " matched"
          + (out["truncated"] == true ? " (list truncated to the limit)" : "")
          + "\n";
  for (auto& u : out["unreachable"])
    text += "not asked: " + u["node"].get<std::string>() + ": "
            + u["error"].get<std::string>() + "\n";
  return text;
}

} // namespace

tool_call query_fleet_call(const bridge& b) {
  return [&b](const json& args, call_context& ctx) -> tool_result {
    auto a = decode_fleet_args(args);
    bridge_session bs{b};
    if (!bs.s)
      return failed(bs.s.err());
    auto st = (*bs).state(a.vcluster, "");
    if (!st)
      return failed(st.err());
    if (auto known = client::vcluster_known(*st, a.vcluster); !known)
      return failed(known.err());
    std::vector<const protocol::NodeRecord*> nodes;
    for (auto& n : st->nodes()) {
      if (!a.vcluster.empty() && n.vcluster() != a.vcluster)
        continue;
      if (!a.state.empty() && render::node_state_name(n.state()) != a.state)
        continue;
      if (a.drifted && (n.drift_items() > 0) != *a.drifted)
        continue;
      nodes.push_back(&n);
    }
    bool with_gpus = !a.gpu_health.empty() || a.min_gpus > 0;
    json out{{"nodes", json::array()},
             {"matched", 0},
             {"truncated", false},
             {"unreachable", json::array()}};
    std::vector<asked> facts(nodes.size());
    for (std::size_t i = 0; with_gpus && i < nodes.size(); i += parallel_asks) {
      if (ctx.cancelled())
        return failed(make_error("cancelled"));
      std::vector<std::future<asked>> batch;
      for (std::size_t j = i; j < std::min(nodes.size(), i + parallel_asks);
           ++j)
        batch.push_back(std::async(std::launch::async, ask_gpus, std::cref(b),
                                   std::cref(*nodes[j])));
      for (std::size_t j = 0; j < batch.size(); ++j)
        facts[i + j] = batch[j].get();
    }
    uint64_t matched = 0;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const auto& n = *nodes[i];
      if (with_gpus && !facts[i].gpus) {
        out["unreachable"].push_back(
          {{"node", n.node()}, {"error", facts[i].error}});
        continue;
      }
      if (with_gpus && !gpus_match(a, *facts[i].gpus))
        continue;
      ++matched;
      if (out["nodes"].size() >= a.limit) {
        out["truncated"] = true;
        continue;
      }
      json row{{"node", n.node()},
               {"vcluster", n.vcluster()},
               {"state", render::node_state_name(n.state())},
               {"drift_items", n.drift_items()},
               {"agent_endpoint", n.agent_endpoint()}};
      if (with_gpus)
        row["gpus"] = *facts[i].gpus;
      out["nodes"].push_back(std::move(row));
    }
    out["matched"] = matched;
    return {bs.warning + fleet_text(out, with_gpus), out, false};
  };
}

} // namespace pact::mcp
