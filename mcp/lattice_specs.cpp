// The operator guide's scheduler-delegated tools (lattice): their schemas
// and annotations. Every one of them needs PACT_LATTICE_ENDPOINT; the
// calls (lattice_tools.cpp) answer with the shapes of
// runtime/delegation/lattice_views.hpp, which the output schemas below
// spell out member by member so that a client can rely on them.
// DAG cancel and backup restore are deliberately not tools: the guide
// keeps destructive scheduler operations to the CLI.

#include <algorithm>

#include "mcp/schema_build.hpp"
#include "mcp/tool_specs.hpp"

namespace pact::mcp {

namespace s = schema;

namespace {

const char* needs_lattice
  = " Needs the lattice scheduler (PACT_LATTICE_ENDPOINT).";

tool lattice_tool(std::string name, std::string title, std::string what,
                  json input, json success_properties,
                  std::vector<std::string> required,
                  tool_annotations a = {true, false, true, true}) {
  return described(
    std::move(name), std::move(title), what + needs_lattice, std::move(input),
    s::output(std::move(success_properties), std::move(required), !a.read_only),
    a);
}

// Member types. lattice's figures are numbers (some fractional); a figure
// lattice does not set is null; a time lattice does not set is "".
const json text{{"type", "string"}};
const json number{{"type", "number"}};
const json number_or_null{{"type", json::array({"number", "null"})}};
const json flag{{"type", "boolean"}};
const json texts{{"type", "array"}, {"items", {{"type", "string"}}}};

/// An object with `members` (each one required: the views always send
/// every member).
json record(json members) {
  std::vector<std::string> names;
  for (auto it = members.begin(); it != members.end(); ++it)
    names.push_back(it.key());
  return {{"type", "object"},
          {"properties", std::move(members)},
          {"required", std::move(names)}};
}

json rows(const std::string& description, json members) {
  return {{"type", "array"},
          {"items", record(std::move(members))},
          {"description", description}};
}

json with(json members, const json& more) {
  members.update(more);
  return members;
}

json job_members() {
  return {{"id", text},        {"name", text},       {"user", text},
          {"tenant", text},    {"vcluster", text},   {"state", text},
          {"nodes", texts},    {"created_at", text}, {"started_at", text},
          {"entrypoint", text}};
}

json node_members() {
  return {{"node", text},          {"state", text},
          {"reason", text},        {"vcluster", text},
          {"tenant", text},        {"allocations", texts},
          {"gpu_type", text},      {"gpu_count", number},
          {"cpu_cores", number},   {"memory_gb", number},
          {"last_heartbeat", text}};
}

json dag_members() {
  return {{"id", text},           {"state", text},      {"steps", number},
          {"steps_done", number}, {"created_at", text}, {"completed_at", text}};
}

json usage_members() {
  return {{"tenant", text},
          {"gpu_hours_used", number},
          {"gpu_hours_budget", number_or_null},
          {"node_hours_used", number},
          {"node_hours_budget", number_or_null}};
}

json budget_object() {
  auto b = record(with(usage_members(), {{"kind", text},
                                         {"id", text},
                                         {"period_start", text},
                                         {"period_end", text},
                                         {"period_days", number}}));
  b["properties"].erase("tenant");
  auto& req = b["required"];
  req.erase(std::find(req.begin(), req.end(), "tenant"));
  // A user's budget also lists the tenants it was used in.
  b["properties"]["tenants"] = rows("A user's use per tenant", usage_members());
  b["description"] = "Used and budgeted GPU- and node-hours (a budget "
                     "lattice does not set: null)";
  return b;
}

json raft_object() {
  auto r = record(
    {{"leader_id", number},
     {"term", number},
     {"commit_index", number},
     {"last_applied", number},
     {"members", rows("The quorum's members", {{"id", number},
                                               {"address", text},
                                               {"role", text},
                                               {"match_index", number},
                                               {"last_contact", text}})}});
  r["description"] = "lattice's quorum";
  return r;
}

json node_arg() {
  return {{"type", "string"}, {"minLength", 1}, {"description", "The node"}};
}

json path_arg(const std::string& description) {
  return {{"type", "string"}, {"minLength", 1}, {"description", description}};
}

std::vector<tool> lattice_read_specs() {
  return {
    lattice_tool("pact_jobs_list", "Running allocations",
                 "Allocations (jobs) not yet finished, optionally on one "
                 "node or vCluster: id, user, nodes, state, start time.",
                 s::arguments({{"node", s::str("Only on this node")},
                               {"vcluster", s::str("Only this vCluster")}}),
                 {{"jobs", rows("Allocations", job_members())}}, {"jobs"}),
    lattice_tool("pact_queue_status", "Scheduling queue",
                 "Depth of the scheduling queue: pending and running "
                 "allocations per vCluster.",
                 s::arguments({{"vcluster", s::str("Only this vCluster")}}),
                 {{"queues", rows("Per vCluster", {{"vcluster", text},
                                                   {"pending", number},
                                                   {"running", number},
                                                   {"total", number}})}},
                 {"queues"}),
    lattice_tool("pact_cluster_health", "Cluster health",
                 "pact's Raft status beside lattice's: leader, term, "
                 "commit index and members of both quorums.",
                 s::arguments({}),
                 {{"pact", s::any_object("pact's journal quorum as the "
                                         "answering replica sees it (the "
                                         "raft member of pact_status)")},
                  {"lattice", raft_object()}},
                 {"pact", "lattice"}),
    lattice_tool(
      "pact_system_health", "System health",
      "One health check over pact's journal, lattice and the agents: what "
      "is up, degraded or down, and why.",
      s::arguments({}),
      {{"components",
        rows("name, status, detail",
             {{"name", text},
              {"status",
               {{"type", "string"},
                {"enum", json::array({"up", "degraded", "down"})}}},
              {"detail", text}})}},
      {"components"}),
    lattice_tool(
      "pact_accounting", "Resource accounting",
      "Resource usage (CPU-, GPU-, node-hours, allocations) of a tenant, "
      "of all tenants, or of a user per tenant, over the last days.",
      s::arguments({{"tenant", s::str("Only this tenant")},
                    {"user", s::str("Only this user")},
                    {"days", s::integer("Period (default 30)", 1, 3650)}}),
      {{"days", number},
       {"usage", rows("Rows of usage (a figure lattice does not give: null)",
                      {{"tenant", text},
                       {"user", text},
                       {"cpu_hours", number_or_null},
                       {"gpu_hours", number_or_null},
                       {"node_hours", number_or_null},
                       {"allocations", number_or_null}})}},
      {"days", "usage"}),
  };
}

std::vector<tool> lattice_more_specs() {
  const tool_annotations write{false, false, true, true};
  return {
    lattice_tool(
      "pact_undrain", "Undrain a node",
      "Cancel a drain: the scheduler places allocations on the node "
      "again. Recorded in pact's journal and authorized like any write "
      "(a two-person vCluster holds it for a second person's approval; "
      "call again with approval_id once it is accepted).",
      s::arguments(
        {{"node", node_arg()},
         {"approval_id", s::str("A granted approval of exactly this undrain")}},
        {"node"}),
      {{"node", text},
       {"state", text},
       {"warning", s::str("The outcome could not be recorded")}},
      {"node", "state"}, write),
    lattice_tool("pact_dag_list", "DAG workflows",
                 "DAG workflows: id, state, steps done of total.",
                 s::arguments({{"tenant", s::str("Only this tenant")},
                               {"state", s::str("Only in this state")}}),
                 {{"dags", rows("Workflows", dag_members())}}, {"dags"}),
    lattice_tool(
      "pact_dag_inspect", "DAG details",
      "One DAG workflow: its steps (allocations) and their status.",
      s::arguments({{"dag_id", path_arg("The DAG")}}, {"dag_id"}),
      {{"dag",
        record(with(dag_members(),
                    {{"steps", rows("The steps", {{"id", text},
                                                  {"name", text},
                                                  {"state", text},
                                                  {"nodes", texts},
                                                  {"started_at", text},
                                                  {"completed_at", text},
                                                  {"exit_code", number}})}}))}},
      {"dag"}),
    lattice_tool(
      "pact_budget", "Budget and usage",
      "A tenant's or user's budget and what is used of it.",
      s::arguments(
        {{"kind", s::str_enum({"tenant", "user"}, "Whose budget")},
         {"id", path_arg("Tenant or user id")},
         {"days", s::integer("Period (default: lattice's)", 1, 3650)}},
        {"kind", "id"}),
      {{"budget", budget_object()}}, {"budget"}),
    lattice_tool(
      "pact_backup_create", "Back up lattice's state",
      "Create a backup of lattice's state at a path on the lattice "
      "servers. Recorded in pact's journal; platform admins only (AI "
      "principals are refused).",
      s::arguments({{"path", path_arg("Where")}}, {"path"}),
      {{"path", text},
       {"ok", flag},
       {"message", text},
       {"taken_at", text},
       {"nodes", number},
       {"allocations", number},
       {"tenants", number},
       {"audit_entries", number},
       {"warning", s::str("The outcome could not be recorded")}},
      {"path", "ok"}, {false, false, false, true}),
    lattice_tool("pact_backup_verify", "Verify a backup",
                 "Check a lattice backup's integrity.",
                 s::arguments({{"path", path_arg("The backup")}}, {"path"}),
                 {{"path", text},
                  {"ok", flag},
                  {"message", text},
                  {"taken_at", text},
                  {"snapshot_term", number},
                  {"snapshot_index", number}},
                 {"path", "ok"}),
    lattice_tool("pact_nodes_list", "Scheduler nodes",
                 "Nodes as the scheduler sees them: state (ready, "
                 "draining, drained, down, …), vCluster, allocations.",
                 s::arguments({{"state", s::str("Only in this state")},
                               {"vcluster", s::str("Only this vCluster")}}),
                 {{"nodes", rows("Nodes", node_members())}}, {"nodes"}),
    lattice_tool("pact_node_inspect", "Scheduler node details",
                 "One node's hardware and ownership as the scheduler knows "
                 "it: resources, owner, allocations.",
                 s::arguments({{"node", node_arg()}}, {"node"}),
                 {{"node", record(with(node_members(),
                                       {{"group", number},
                                        {"features", texts},
                                        {"claimed_by", text},
                                        {"borrowed", flag},
                                        {"owner_allocation", text},
                                        {"conformance_fingerprint", text}}))}},
                 {"node"}),
  };
}

} // namespace

std::vector<tool> lattice_tool_specs() {
  auto tools = lattice_read_specs();
  for (auto& t : lattice_more_specs())
    tools.push_back(std::move(t));
  return tools;
}

} // namespace pact::mcp
