#include "cli/lattice_text.hpp"

#include <cstdio>
#include <utility>
#include <vector>

#include "runtime/render/status_render.hpp"

namespace pact::cli {

namespace {

using rows_t = std::vector<std::vector<std::string>>;
using labels_t = std::vector<std::pair<const char*, const char*>>;

std::string number_text(double d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", d);
  std::string s = buf;
  // 310.00 → 310, 1520.50 → 1520.5: hours read better without noise.
  while (!s.empty() && s.back() == '0')
    s.pop_back();
  if (!s.empty() && s.back() == '.')
    s.pop_back();
  return s;
}

/// `obj[key]` as a cell; "-" when `obj` is no object or lacks it.
std::string field(const json& obj, const char* key) {
  if (!obj.is_object())
    return "-";
  auto it = obj.find(key);
  return it == obj.end() ? "-" : cell_text(*it);
}

/// `view[key]` when it is an array, else an empty one.
const json& items(const json& view, const char* key) {
  static const json none = json::array();
  if (!view.is_object())
    return none;
  auto it = view.find(key);
  return it != view.end() && it->is_array() ? *it : none;
}

/// `view[key]` when it is an object, else an empty one.
const json& object(const json& view, const char* key) {
  static const json none = json::object();
  if (!view.is_object())
    return none;
  auto it = view.find(key);
  return it != view.end() && it->is_object() ? *it : none;
}

/// Rows of `list` under `header`, one column per key of `keys`.
std::string table(const json& list, std::vector<std::string> header,
                  const std::vector<const char*>& keys) {
  rows_t rows{std::move(header)};
  for (auto& item : list) {
    rows.emplace_back();
    for (auto* k : keys)
      rows.back().push_back(field(item, k));
  }
  return render::render_table(rows);
}

/// "label  value" lines of `obj`, in `labels`' order.
std::string fields_text(const json& obj, const labels_t& labels) {
  rows_t rows;
  for (auto& [key, label] : labels)
    rows.push_back({label, field(obj, key)});
  return render::render_table(rows);
}

std::string count_text(const json& v) {
  return v.is_array() ? std::to_string(v.size()) : "-";
}

} // namespace

std::string cell_text(const json& v) {
  if (v.is_null())
    return "-";
  if (v.is_string()) {
    auto s = v.get<std::string>();
    return s.empty() ? "-" : s;
  }
  if (v.is_boolean())
    return v.get<bool>() ? "yes" : "no";
  if (v.is_number_integer())
    return v.dump();
  if (v.is_number_float())
    return number_text(v.get<double>());
  if (v.is_array()) {
    if (v.empty())
      return "-";
    std::string out;
    for (auto& e : v)
      out += (out.empty() ? "" : ",") + cell_text(e);
    return out;
  }
  return v.dump();
}

std::string jobs_text(const json& view) {
  auto& jobs = items(view, "jobs");
  if (jobs.empty())
    return "no active allocations\n";
  return table(jobs,
               {"ID", "NAME", "USER", "TENANT", "VCLUSTER", "STATE", "NODES",
                "STARTED"},
               {"id", "name", "user", "tenant", "vcluster", "state", "nodes",
                "started_at"});
}

std::string job_text(const json& view) {
  return fields_text(object(view, "job"), {{"id", "id"},
                                           {"name", "name"},
                                           {"state", "state"},
                                           {"user", "user"},
                                           {"tenant", "tenant"},
                                           {"project", "project"},
                                           {"vcluster", "vcluster"},
                                           {"nodes", "nodes"},
                                           {"entrypoint", "entrypoint"},
                                           {"created_at", "created"},
                                           {"started_at", "started"},
                                           {"completed_at", "completed"},
                                           {"exit_code", "exit code"},
                                           {"message", "message"}});
}

std::string queues_text(const json& view) {
  auto& queues = items(view, "queues");
  if (queues.empty())
    return "no vClusters\n";
  return table(queues, {"VCLUSTER", "PENDING", "RUNNING", "TOTAL"},
               {"vcluster", "pending", "running", "total"});
}

namespace {

std::string gpus_text(const json& node) {
  auto n = field(node, "gpu_count");
  if (n == "-" || n == "0")
    return "-";
  auto type = field(node, "gpu_type");
  return type == "-" ? n : n + "x " + type;
}

} // namespace

std::string nodes_text(const json& view) {
  auto& nodes = items(view, "nodes");
  if (nodes.empty())
    return "no nodes\n";
  rows_t rows{{"NODE", "STATE", "REASON", "VCLUSTER", "TENANT", "ALLOCATIONS",
               "GPUS", "CPUS", "MEMORY_GB", "HEARTBEAT"}};
  for (auto& n : nodes)
    rows.push_back({field(n, "node"), field(n, "state"), field(n, "reason"),
                    field(n, "vcluster"), field(n, "tenant"),
                    count_text(n.value("allocations", json())), gpus_text(n),
                    field(n, "cpu_cores"), field(n, "memory_gb"),
                    field(n, "last_heartbeat")});
  return render::render_table(rows);
}

std::string node_text(const json& view) {
  auto& n = object(view, "node");
  rows_t rows;
  for (auto& [key, label] : labels_t{{"node", "node"},
                                     {"state", "state"},
                                     {"reason", "reason"},
                                     {"vcluster", "vcluster"},
                                     {"tenant", "tenant"},
                                     {"group", "group"},
                                     {"allocations", "allocations"},
                                     {"owner_allocation", "owner allocation"},
                                     {"claimed_by", "claimed by"},
                                     {"borrowed", "borrowed"}})
    rows.push_back({label, field(n, key)});
  rows.push_back({"gpus", gpus_text(n)});
  for (auto& [key, label] : labels_t{{"cpu_cores", "cpus"},
                                     {"memory_gb", "memory GB"},
                                     {"features", "features"},
                                     {"conformance_fingerprint", "conformance"},
                                     {"last_heartbeat", "last heartbeat"}})
    rows.push_back({label, field(n, key)});
  return render::render_table(rows);
}

std::string dags_text(const json& view) {
  auto& dags = items(view, "dags");
  if (dags.empty())
    return "no DAG workflows\n";
  rows_t rows{{"ID", "STATE", "STEPS", "CREATED", "COMPLETED"}};
  for (auto& d : dags)
    rows.push_back({field(d, "id"), field(d, "state"),
                    field(d, "steps_done") + "/" + field(d, "steps"),
                    field(d, "created_at"), field(d, "completed_at")});
  return render::render_table(rows);
}

std::string dag_text(const json& view) {
  auto& d = object(view, "dag");
  auto out = fields_text(d, {{"id", "id"},
                             {"state", "state"},
                             {"created_at", "created"},
                             {"completed_at", "completed"}});
  auto& steps = items(d, "steps");
  out += "\nSteps (" + std::to_string(steps.size()) + "):\n";
  if (!steps.empty())
    out += table(
      steps, {"STEP", "NAME", "STATE", "NODES", "STARTED", "COMPLETED", "EXIT"},
      {"id", "name", "state", "nodes", "started_at", "completed_at",
       "exit_code"});
  return out;
}

std::string accounting_text(const json& view) {
  std::string out = "usage over the last " + field(view, "days") + " days\n";
  auto& usage = items(view, "usage");
  if (usage.empty())
    return out + "no usage\n";
  rows_t rows{
    {"TENANT", "USER", "CPU_HOURS", "GPU_HOURS", "NODE_HOURS", "ALLOCATIONS"}};
  for (auto& u : usage) {
    // lattice's sum over every tenant names none.
    auto tenant = field(u, "tenant");
    rows.push_back({tenant == "-" ? "(all)" : tenant, field(u, "user"),
                    field(u, "cpu_hours"), field(u, "gpu_hours"),
                    field(u, "node_hours"), field(u, "allocations")});
  }
  return out + render::render_table(rows);
}

std::string budget_text(const json& view) {
  auto& b = object(view, "budget");
  auto out = fields_text(b, {{"kind", "kind"},
                             {"id", "id"},
                             {"period_start", "period start"},
                             {"period_end", "period end"},
                             {"period_days", "period days"},
                             {"gpu_hours_used", "GPU hours used"},
                             {"gpu_hours_budget", "GPU hours budget"},
                             {"node_hours_used", "node hours used"},
                             {"node_hours_budget", "node hours budget"}});
  auto& tenants = items(b, "tenants");
  if (!tenants.empty())
    out += "\nTenants:\n"
           + table(tenants,
                   {"TENANT", "GPU_HOURS_USED", "GPU_HOURS_BUDGET",
                    "NODE_HOURS_USED", "NODE_HOURS_BUDGET"},
                   {"tenant", "gpu_hours_used", "gpu_hours_budget",
                    "node_hours_used", "node_hours_budget"});
  return out;
}

std::string backup_verify_text(const json& view) {
  return fields_text(view, {{"path", "path"},
                            {"ok", "valid"},
                            {"message", "message"},
                            {"taken_at", "taken at"},
                            {"snapshot_term", "snapshot term"},
                            {"snapshot_index", "snapshot index"}});
}

std::string lattice_raft_text(const json& view) {
  std::string out = "  leader " + field(view, "leader_id") + ", term "
                    + field(view, "term") + ", commit "
                    + field(view, "commit_index") + ", applied "
                    + field(view, "last_applied") + "\n";
  auto& members = items(view, "members");
  if (members.empty())
    return out + "  no members\n";
  return out
         + table(members,
                 {"ID", "ADDRESS", "ROLE", "MATCH_INDEX", "LAST_CONTACT"},
                 {"id", "address", "role", "match_index", "last_contact"});
}

std::string components_text(const json& view) {
  return table(items(view, "components"), {"COMPONENT", "STATUS", "DETAIL"},
               {"name", "status", "detail"});
}

} // namespace pact::cli
