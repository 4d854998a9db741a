#include "runtime/delegation/lattice_views.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <vector>

namespace pact::delegation {

namespace {

bool terminal_state(const std::string& state) {
  return state == "completed" || state == "failed" || state == "cancelled";
}

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>()
                                          : std::string();
}

json num(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? *it : json(0);
}

/// An optional figure: null when lattice does not set it.
json maybe(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? *it : json(nullptr);
}

json strings(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : json::array();
}

json job_row(const json& a) {
  const json spec = a.value("spec", json::object());
  return {{"id", str(a, "allocation_id")},
          {"name", str(spec, "id")},
          {"user", str(a, "user")},
          {"tenant", str(spec, "tenant")},
          {"vcluster", str(spec, "vcluster")},
          {"state", str(a, "state")},
          {"nodes", strings(a, "assigned_nodes")},
          {"created_at", str(a, "created_at")},
          {"started_at", str(a, "started_at")},
          {"entrypoint", str(spec, "entrypoint")}};
}

json node_row(const json& n) {
  return {{"node", str(n, "node_id")},
          {"state", str(n, "state")},
          {"reason", str(n, "state_reason")},
          {"vcluster", str(n, "owner_vcluster")},
          {"tenant", str(n, "owner_tenant")},
          {"allocations", strings(n, "allocation_ids")},
          {"gpu_type", str(n, "gpu_type")},
          {"gpu_count", num(n, "gpu_count")},
          {"cpu_cores", num(n, "cpu_cores")},
          {"memory_gb", num(n, "memory_gb")},
          {"last_heartbeat", str(n, "last_heartbeat")}};
}

/// RFC 3339 of `t` (UTC, seconds).
std::string rfc3339(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

} // namespace

expected<json> jobs_list(const lattice_settings& s, const std::string& node,
                         const std::string& vcluster) {
  auto r = lattice_call(s, "AllocationService/List", {{"vcluster", vcluster}});
  if (!r)
    return r.err();
  json jobs = json::array();
  for (const auto& a : r->value("allocations", json::array())) {
    if (terminal_state(str(a, "state")))
      continue;
    auto row = job_row(a);
    // lattice filters by vCluster; the node is pact's filter.
    if (!vcluster.empty() && row["vcluster"] != vcluster)
      continue;
    const auto& nodes = row["nodes"];
    if (!node.empty()
        && std::find(nodes.begin(), nodes.end(), node) == nodes.end())
      continue;
    jobs.push_back(std::move(row));
  }
  return json{{"jobs", std::move(jobs)}};
}

expected<json> job_inspect(const lattice_settings& s, const std::string& id) {
  if (id.empty())
    return make_error("jobs inspect: an allocation id is required");
  auto r = lattice_call(s, "AllocationService/Get", {{"allocation_id", id}});
  if (!r)
    return r.err();
  auto row = job_row(*r);
  const json spec = r->value("spec", json::object());
  row["project"] = str(spec, "project");
  row["completed_at"] = str(*r, "completed_at");
  row["exit_code"] = num(*r, "exit_code");
  row["message"] = str(*r, "message");
  return json{{"job", std::move(row)}};
}

expected<json> queue_status(const lattice_settings& s,
                            const std::string& vcluster) {
  std::vector<std::string> names;
  if (!vcluster.empty()) {
    names.push_back(vcluster);
  } else {
    auto l = lattice_call(s, "AdminService/ListVClusters", json::object());
    if (!l)
      return l.err();
    for (const auto& v : l->value("vclusters", json::array()))
      names.push_back(str(v, "vcluster_id"));
  }
  json queues = json::array();
  for (const auto& name : names) {
    auto q = lattice_call(s, "AdminService/GetVClusterQueue",
                          {{"vcluster_id", name}});
    if (!q)
      return q.err();
    queues.push_back({{"vcluster", name},
                      {"pending", num(*q, "pending")},
                      {"running", num(*q, "running")},
                      {"total", num(*q, "total")}});
  }
  return json{{"queues", std::move(queues)}};
}

expected<json> nodes_list(const lattice_settings& s, const std::string& state,
                          const std::string& vcluster) {
  // A typo is an error, not an empty list (lattice's node states).
  static const std::vector<std::string> states{"unknown", "booting",
                                               "ready",   "degraded",
                                               "down",    "draining",
                                               "drained", "failed"};
  if (!state.empty()
      && std::find(states.begin(), states.end(), state) == states.end())
    return make_error("nodes list: --state " + state.substr(0, 40)
                      + " is not a lattice node state (unknown, booting, "
                        "ready, degraded, down, draining, drained, failed)");
  auto r = lattice_call(s, "NodeService/ListNodes",
                        {{"state", state}, {"vcluster", vcluster}});
  if (!r)
    return r.err();
  json nodes = json::array();
  for (const auto& n : r->value("nodes", json::array())) {
    auto row = node_row(n);
    if (!vcluster.empty() && row["vcluster"] != vcluster)
      continue;
    if (!state.empty() && row["state"] != state)
      continue;
    nodes.push_back(std::move(row));
  }
  return json{{"nodes", std::move(nodes)}};
}

expected<json> node_inspect(const lattice_settings& s,
                            const std::string& node) {
  if (node.empty())
    return make_error("nodes inspect: a node is required");
  auto r = lattice_call(s, "NodeService/GetNode", {{"node_id", node}});
  if (!r)
    return r.err();
  auto row = node_row(*r);
  row["group"] = num(*r, "group");
  row["features"] = strings(*r, "features");
  row["claimed_by"] = str(*r, "claimed_by");
  row["borrowed"] = r->value("is_borrowed", false);
  row["owner_allocation"] = str(*r, "owner_allocation");
  row["conformance_fingerprint"] = str(*r, "conformance_fingerprint");
  return json{{"node", std::move(row)}};
}

namespace {

json dag_row(const json& d) {
  const auto steps = d.value("allocations", json::array());
  auto done = std::count_if(steps.begin(), steps.end(), [](const json& a) {
    return str(a, "state") == "completed";
  });
  return {{"id", str(d, "dag_id")},
          {"state", str(d, "state")},
          {"steps", steps.size()},
          {"steps_done", done},
          {"created_at", str(d, "created_at")},
          {"completed_at", str(d, "completed_at")}};
}

} // namespace

expected<json> dag_list(const lattice_settings& s, const std::string& tenant,
                        const std::string& state) {
  auto r = lattice_call(s, "AllocationService/ListDags",
                        {{"tenant", tenant}, {"state", state}});
  if (!r)
    return r.err();
  json dags = json::array();
  for (const auto& d : r->value("dags", json::array()))
    if (state.empty() || str(d, "state") == state)
      dags.push_back(dag_row(d));
  return json{{"dags", std::move(dags)}};
}

expected<json> dag_inspect(const lattice_settings& s, const std::string& id) {
  if (id.empty())
    return make_error("dag inspect: a DAG id is required");
  auto r = lattice_call(s, "AllocationService/GetDag", {{"dag_id", id}});
  if (!r)
    return r.err();
  json dag = dag_row(*r);
  json steps = json::array();
  for (const auto& a : r->value("allocations", json::array())) {
    const json spec = a.value("spec", json::object());
    steps.push_back({{"id", str(a, "allocation_id")},
                     {"name", str(spec, "id")},
                     {"state", str(a, "state")},
                     {"nodes", strings(a, "assigned_nodes")},
                     {"started_at", str(a, "started_at")},
                     {"completed_at", str(a, "completed_at")},
                     {"exit_code", num(a, "exit_code")}});
  }
  dag["steps"] = std::move(steps);
  return json{{"dag", std::move(dag)}};
}

expected<json> accounting(const lattice_settings& s, const std::string& tenant,
                          const std::string& user, int days) {
  if (days < 1 || days > 3650)
    return make_error("accounting: --days " + std::to_string(days)
                      + " is outside 1 .. 3650");
  json usage = json::array();
  if (!user.empty()) {
    auto r = lattice_call(s, "AdminService/GetUserUsage",
                          {{"user", user}, {"days", days}});
    if (!r)
      return r.err();
    for (const auto& t : r->value("tenants", json::array())) {
      if (!tenant.empty() && str(t, "tenant") != tenant)
        continue;
      usage.push_back({{"tenant", str(t, "tenant")},
                       {"user", user},
                       {"cpu_hours", nullptr},
                       {"gpu_hours", num(t, "gpu_hours_used")},
                       {"node_hours", num(t, "node_hours_used")},
                       {"allocations", nullptr}});
    }
    return json{{"days", days}, {"usage", std::move(usage)}};
  }
  auto end = std::time(nullptr);
  auto start = end - static_cast<std::time_t>(days) * 86400;
  auto r = lattice_call(
    s, "AdminService/GetAccountingUsage",
    {{"tenant_id", tenant}, {"start", rfc3339(start)}, {"end", rfc3339(end)}});
  if (!r)
    return r.err();
  usage.push_back({{"tenant", str(*r, "tenant_id")},
                   {"user", ""},
                   {"cpu_hours", num(*r, "cpu_hours")},
                   {"gpu_hours", num(*r, "gpu_hours")},
                   {"node_hours", nullptr},
                   {"allocations", num(*r, "allocation_count")}});
  return json{{"days", days}, {"usage", std::move(usage)}};
}

expected<json> budget(const lattice_settings& s, const std::string& kind,
                      const std::string& id, int days) {
  if (kind != "tenant" && kind != "user")
    return make_error("budget: '" + kind.substr(0, 40)
                      + "' is neither tenant nor user");
  if (id.empty())
    return make_error("budget: a " + kind + " id is required");
  if (days < 0 || days > 3650)
    return make_error("budget: --days " + std::to_string(days)
                      + " is outside 1 .. 3650");
  if (kind == "tenant") {
    auto r = lattice_call(s, "AdminService/GetTenantUsage",
                          {{"tenant_id", id}, {"days", days}});
    if (!r)
      return r.err();
    return json{{"budget",
                 {{"kind", kind},
                  {"id", id},
                  {"period_start", str(*r, "period_start")},
                  {"period_end", str(*r, "period_end")},
                  {"period_days", num(*r, "period_days")},
                  {"gpu_hours_used", num(*r, "gpu_hours_used")},
                  {"gpu_hours_budget", maybe(*r, "gpu_hours_budget")},
                  {"node_hours_used", num(*r, "node_hours_used")},
                  {"node_hours_budget", maybe(*r, "node_hours_budget")}}}};
  }
  auto r = lattice_call(s, "AdminService/GetUserUsage",
                        {{"user", id}, {"days", days}});
  if (!r)
    return r.err();
  json tenants = json::array();
  double node_hours = 0;
  for (const auto& t : r->value("tenants", json::array())) {
    node_hours += t.value("node_hours_used", 0.0);
    tenants.push_back({{"tenant", str(t, "tenant")},
                       {"gpu_hours_used", num(t, "gpu_hours_used")},
                       {"gpu_hours_budget", maybe(t, "gpu_hours_budget")},
                       {"node_hours_used", num(t, "node_hours_used")},
                       {"node_hours_budget", maybe(t, "node_hours_budget")}});
  }
  return json{{"budget",
               {{"kind", kind},
                {"id", id},
                {"period_start", str(*r, "period_start")},
                {"period_end", str(*r, "period_end")},
                // lattice's rolling window when none is asked.
                {"period_days", days == 0 ? 90 : days},
                {"gpu_hours_used", num(*r, "total_gpu_hours")},
                {"gpu_hours_budget", nullptr},
                {"node_hours_used", node_hours},
                {"node_hours_budget", nullptr},
                {"tenants", std::move(tenants)}}}};
}

expected<json> backup_verify(const lattice_settings& s,
                             const std::string& path) {
  if (path.empty())
    return make_error("backup verify: a path is required");
  auto r = lattice_call(s, "AdminService/BackupVerify",
                        {{"backup_path", path}});
  if (!r)
    return r.err();
  return json{{"path", path},
              {"ok", r->value("valid", false)},
              {"message", str(*r, "message")},
              {"taken_at", str(*r, "backup_timestamp")},
              {"snapshot_term", num(*r, "snapshot_term")},
              {"snapshot_index", num(*r, "snapshot_index")}};
}

expected<json> lattice_raft(const lattice_settings& s) {
  auto r = lattice_call(s, "AdminService/GetRaftStatus", json::object());
  if (!r)
    return r.err();
  json members = json::array();
  for (const auto& m : r->value("members", json::array()))
    members.push_back({{"id", num(m, "node_id")},
                       {"address", str(m, "address")},
                       {"role", str(m, "role")},
                       {"match_index", num(m, "match_index")},
                       {"last_contact", str(m, "last_contact")}});
  return json{{"leader_id", num(*r, "leader_id")},
              {"term", num(*r, "current_term")},
              {"commit_index", num(*r, "commit_index")},
              {"last_applied", num(*r, "last_applied")},
              {"members", std::move(members)}};
}

expected<json> lattice_health(const lattice_settings& s) {
  auto r = lattice_call(s, "NodeService/Health", json::object());
  if (!r)
    return r.err();
  return json{{"status", str(*r, "status")},
              {"version", str(*r, "version")},
              {"uptime_seconds", num(*r, "uptime_secs")}};
}

expected<json> drain_node(const lattice_settings& s, const std::string& node,
                          const std::string& reason) {
  auto r = lattice_call(s, "NodeService/DrainNode",
                        {{"node_id", node}, {"reason", reason}});
  if (!r)
    return r.err();
  if (!r->value("success", false))
    return make_error("lattice at " + s.endpoint + " did not drain " + node);
  auto active = num(*r, "active_allocations");
  return json{{"node", node},
              {"state", active == 0 ? "drained" : "draining"},
              {"active_allocations", active}};
}

namespace {

expected<json> set_state(const lattice_settings& s, const char* method,
                         json request, const std::string& node,
                         const char* state, const char* verb) {
  auto r = lattice_call(s, method, std::move(request));
  if (!r)
    return r.err();
  if (!r->value("success", false))
    return make_error("lattice at " + s.endpoint + " did not " + verb + " "
                      + node);
  return json{{"node", node}, {"state", state}};
}

} // namespace

expected<json> undrain_node(const lattice_settings& s,
                            const std::string& node) {
  return set_state(s, "NodeService/UndrainNode", {{"node_id", node}}, node,
                   "ready", "undrain");
}

expected<json> cordon_node(const lattice_settings& s, const std::string& node,
                           const std::string& reason) {
  return set_state(s, "NodeService/DisableNode",
                   {{"node_id", node}, {"reason", reason}}, node, "down",
                   "cordon");
}

expected<json> uncordon_node(const lattice_settings& s,
                             const std::string& node) {
  return set_state(s, "NodeService/EnableNode", {{"node_id", node}}, node,
                   "ready", "uncordon");
}

expected<json> backup_create(const lattice_settings& s,
                             const std::string& path) {
  if (path.empty())
    return make_error("backup create: a path is required");
  if (auto st = check_backup_path(path); !st)
    return st.err();
  auto r = lattice_call(s, "AdminService/CreateBackup",
                        {{"backup_path", path}});
  if (!r)
    return r.err();
  if (!r->value("success", false))
    return make_error("lattice at " + s.endpoint + " could not back up to "
                      + path + ": " + str(*r, "message"));
  return json{{"path", path},
              {"ok", true},
              {"message", str(*r, "message")},
              {"taken_at", str(*r, "backup_timestamp")},
              {"nodes", num(*r, "node_count")},
              {"allocations", num(*r, "allocation_count")},
              {"tenants", num(*r, "tenant_count")},
              {"audit_entries", num(*r, "audit_entry_count")}};
}

status check_backup_path(const std::string& path) {
  // The path is on lattice's servers: a relative one would depend on
  // lattice's working directory.
  if (path.empty() || (path.front() != '/' && path.rfind("s3://", 0) != 0))
    return make_error("backup create: '" + path.substr(0, 200)
                      + "' is not an absolute path (or s3:// URL) on "
                        "lattice's servers");
  if (path.size() > 4096)
    return make_error("backup create: the path is longer than 4096 bytes");
  return {};
}

status power_cycle_allowed(const expected<lattice_settings>& s,
                           const std::string& node, bool force) {
  if (force)
    return {};
  const std::string go_ahead
    = "; give --force to go ahead without the scheduler's word";
  if (!s)
    return make_error("cannot tell whether " + node
                        + " runs allocations: " + s.err().message + go_ahead,
                      s.err().code);
  auto r = lattice_call(*s, "NodeService/GetNode", {{"node_id", node}});
  if (!r) {
    // A node the scheduler does not know runs nothing it placed.
    if (r.err().message.find(": not found:") != std::string::npos)
      return {};
    return make_error("cannot tell whether " + node
                        + " runs allocations: " + r.err().message + go_ahead,
                      r.err().code);
  }
  auto allocations = strings(*r, "allocation_ids");
  auto state = str(*r, "state");
  if (allocations.empty() || state == "drained")
    return {};
  std::string ids;
  for (const auto& a : allocations)
    ids += (ids.empty() ? "" : ", ") + a.get<std::string>();
  return make_error(node + " runs allocations (" + ids + "; lattice state "
                      + state + "): drain it first (pact drain " + node
                      + ") or give --force",
                    exit_code::conflict);
}

} // namespace pact::delegation
