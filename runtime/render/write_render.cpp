#include "runtime/render/write_render.hpp"

#include <map>

#include "runtime/journal/journal_items.hpp"
#include "runtime/render/journal_render.hpp"
#include "runtime/render/status_render.hpp"

namespace pact::render {

using nlohmann::json;
using namespace pact::protocol;

namespace {

json changes_json(const StateDelta& d) {
  auto out = json::array();
  for (auto& i : d.items())
    out.push_back(item_json(i));
  return out;
}

std::string changes_text(const StateDelta& d) {
  std::string out;
  for (auto& i : d.items())
    out += "  " + action_name(i.action()) + "  " + item_text(i) + "\n";
  return out;
}

/// One outcome per vCluster of the spec, in spec order: the sequence of
/// its entry, or the version it already held (no entry).
struct applied {
  std::string vcluster;
  uint64_t at = 0;
  bool unchanged = false;
  int items = 0;
};

std::vector<applied> applied_list(const std::vector<OverlaySpec>& specs,
                                  const CommandReply& reply) {
  std::map<std::string, uint64_t> same;
  for (auto& u : reply.result().unchanged())
    same[u.scope().vcluster()] = u.version();
  const auto& seqs = reply.result().sequences();
  std::vector<applied> out;
  int next = 0;
  for (auto& spec : specs) {
    auto u = same.find(spec.vcluster());
    bool unchanged = u != same.end();
    if (!unchanged && next >= seqs.size())
      break; // cannot happen: one sequence per changed vCluster
    out.push_back({spec.vcluster(), unchanged ? u->second : seqs[next++],
                   unchanged, spec.items_size()});
  }
  return out;
}

StateDelta plan_of(const OverlaySpec& spec, const StateReply& st) {
  journal::item_map before;
  for (auto& o : st.overlays())
    if (o.vcluster() == spec.vcluster())
      before = journal::to_map(o.items());
  return journal::diff_items(before, journal::to_map(spec.items()));
}

} // namespace

std::vector<std::string> unchanged_lines(const CommandResult& r) {
  std::vector<std::string> out;
  for (auto& u : r.unchanged()) {
    const auto& sc = u.scope();
    auto what = sc.target_case() == Scope::kVcluster
                  ? "vcluster " + sc.vcluster()
                : sc.target_case() == Scope::kNode ? "node " + sc.node()
                                                   : std::string("global");
    out.push_back(what + ": unchanged (version " + std::to_string(u.version())
                  + ")");
  }
  return out;
}

std::string commit_text(const Scope& target, const CommandReply& reply,
                        const StateDelta& recorded) {
  std::string out;
  for (auto& line : unchanged_lines(reply.result()))
    out += line + "\n";
  if (reply.result().sequences().empty())
    return out;
  auto n = recorded.items_size();
  out += "committed " + std::to_string(n) + " change" + (n == 1 ? "" : "s")
         + " to " + scope_text(target) + " as entry " + sequences_text(reply)
         + "\n";
  return out + changes_text(recorded);
}

json commit_json(const Scope& target, const CommandReply& reply,
                 const StateDelta& recorded) {
  const auto& seqs = reply.result().sequences();
  return {{"sequences", std::vector<uint64_t>(seqs.begin(), seqs.end())},
          {"raft_index", reply.index()},
          {"scope", scope_text(target)},
          {"unchanged", seqs.empty()},
          {"changes", changes_json(recorded)}};
}

std::string no_drift_text(const std::string& node) {
  return "node " + node + " has no drift; nothing to commit\n";
}

json no_drift_json(const Scope& target) {
  return {{"scope", scope_text(target)},
          {"unchanged", true},
          {"changes", json::array()}};
}

std::string rollback_text(const Scope& scope, uint64_t to,
                          const CommandReply& reply) {
  std::string out;
  if (reply.result().sequences().empty()) {
    for (auto& line : unchanged_lines(reply.result()))
      out += line + "\n";
    return out;
  }
  return "rolled " + scope_text(scope) + " back to entry " + std::to_string(to)
         + " as entry " + sequences_text(reply) + "\n";
}

json rollback_json(const Scope& scope, uint64_t to, const CommandReply& reply) {
  if (reply.result().sequences().empty())
    return {
      {"unchanged", true}, {"rollback_to", to}, {"scope", scope_text(scope)}};
  return {{"sequence", reply.result().sequences(0)},
          {"rollback_to", to},
          {"scope", scope_text(scope)}};
}

std::string apply_text(const std::vector<OverlaySpec>& specs,
                       const CommandReply& reply) {
  std::string out;
  for (auto& a : applied_list(specs, reply))
    out += a.unchanged
             ? "vcluster " + a.vcluster + ": unchanged (version "
                 + std::to_string(a.at) + ")\n"
             : "applied vcluster " + a.vcluster + " (" + std::to_string(a.items)
                 + " items) as entry " + std::to_string(a.at) + "\n";
  return out;
}

json apply_json(const std::vector<OverlaySpec>& specs,
                const CommandReply& reply) {
  auto list = json::array();
  for (auto& a : applied_list(specs, reply))
    list.push_back({{"vcluster", a.vcluster},
                    {a.unchanged ? "version" : "sequence", a.at},
                    {"unchanged", a.unchanged}});
  return {{"applied", list}};
}

std::string apply_plan_text(const std::vector<OverlaySpec>& specs,
                            const StateReply& st) {
  std::string out;
  for (auto& spec : specs) {
    auto delta = plan_of(spec, st);
    out += "vcluster " + spec.vcluster() + ": "
           + std::to_string(delta.items_size()) + " item changes\n"
           + changes_text(delta);
  }
  return out;
}

json apply_plan_json(const std::vector<OverlaySpec>& specs,
                     const StateReply& st) {
  auto list = json::array();
  for (auto& spec : specs)
    list.push_back({{"vcluster", spec.vcluster()},
                    {"changes", changes_json(plan_of(spec, st))}});
  return {{"dry_run", true}, {"vclusters", list}};
}

json emergency_json(const Emergency& e) {
  return {{"scope", scope_text(e.scope())},
          {"started_sequence", e.started_sequence()},
          {"owner", e.author().principal()},
          {"reason", e.reason()},
          {"window_ends", time_text(e.window_ends_unix_ms())}};
}

namespace {

uint64_t first_sequence(const CommandReply& reply) {
  return reply.result().sequences_size() > 0 ? reply.result().sequences(0) : 0;
}

} // namespace

std::string emergency_started_text(const Scope& scope,
                                   const CommandReply& reply,
                                   const Emergency* active) {
  std::string out = "emergency started on " + scope_text(scope) + " as entry "
                    + sequences_text(reply) + "\n";
  if (active != nullptr)
    out += "  window until " + time_text(active->window_ends_unix_ms())
           + "; whitelists relaxed on the affected nodes; every command is "
             "still recorded\n  end it with: pact emergency end "
           + (scope.target_case() == Scope::kNode
                ? scope.node()
                : "--vcluster " + scope.vcluster())
           + "\n";
  return out;
}

json emergency_started_json(const Scope& scope, const CommandReply& reply,
                            const Emergency* active) {
  json j = active != nullptr ? emergency_json(*active) : json::object();
  j["scope"] = scope_text(scope);
  j["sequence"] = first_sequence(reply);
  return j;
}

std::string emergency_ended_text(const Scope& scope,
                                 const CommandReply& reply) {
  return "emergency on " + scope_text(scope) + " ended as entry "
         + sequences_text(reply) + "\n";
}

json emergency_ended_json(const Scope& scope, const CommandReply& reply) {
  return {{"scope", scope_text(scope)}, {"sequence", first_sequence(reply)}};
}

std::string emergencies_text(const StateReply& st) {
  if (st.emergencies_size() == 0)
    return "no active emergencies\n";
  std::vector<std::vector<std::string>> rows{
    {"SCOPE", "OWNER", "SINCE", "WINDOW ENDS", "REASON"}};
  for (const auto& e : st.emergencies())
    rows.push_back({scope_text(e.scope()), e.author().principal(),
                    "entry " + std::to_string(e.started_sequence()),
                    time_text(e.window_ends_unix_ms()), e.reason()});
  return render_table(rows);
}

json emergencies_json(const StateReply& st) {
  auto out = json::array();
  for (const auto& e : st.emergencies())
    out.push_back(emergency_json(e));
  return out;
}

} // namespace pact::render
