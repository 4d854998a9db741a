// The operator guide's scheduler-delegated tools (lattice): their schemas
// and annotations. Every one of them needs PACT_LATTICE_ENDPOINT; the
// calls that reach lattice come with the delegation work (docs/mcp.md).
// DAG cancel and backup restore are deliberately not tools: the guide
// keeps destructive scheduler operations to the CLI.

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

json node_arg() {
  return {{"type", "string"}, {"minLength", 1}, {"description", "The node"}};
}

} // namespace

std::vector<tool> lattice_tool_specs() {
  const tool_annotations write{false, false, true, true};
  return {
    lattice_tool("pact_jobs_list", "Running allocations",
                 "Allocations (jobs) running now, optionally on one node or "
                 "vCluster: id, user, nodes, state, start time.",
                 s::arguments({{"node", s::str("Only on this node")},
                               {"vcluster", s::str("Only this vCluster")}}),
                 {{"jobs", s::objects("Allocations")}}, {"jobs"}),
    lattice_tool("pact_queue_status", "Scheduling queue",
                 "Depth of the scheduling queue: pending and running "
                 "allocations per vCluster.",
                 s::arguments({{"vcluster", s::str("Only this vCluster")}}),
                 {{"queues", s::objects("Per vCluster: pending, running")}},
                 {"queues"}),
    lattice_tool("pact_cluster_health", "Cluster health",
                 "pact's Raft status beside lattice's: leader, term, "
                 "commit index and members of both quorums.",
                 s::arguments({}),
                 {{"pact", s::any_object("pact's journal quorum")},
                  {"lattice", s::any_object("lattice's quorum")}},
                 {"pact", "lattice"}),
    lattice_tool("pact_system_health", "System health",
                 "One health check over pact, lattice and the agents: what "
                 "is up, degraded or down, and why.",
                 s::arguments({}),
                 {{"components", s::objects("name, status, detail")}},
                 {"components"}),
    lattice_tool(
      "pact_accounting", "Resource accounting",
      "Resource usage (node-hours, GPU-hours) per tenant or user "
      "over the last days.",
      s::arguments({{"tenant", s::str("Only this tenant")},
                    {"user", s::str("Only this user")},
                    {"days", s::integer("Period (default 30)", 1, 3650)}}),
      {{"usage", s::objects("Rows of usage")}}, {"usage"}),
    lattice_tool("pact_undrain", "Undrain a node",
                 "Cancel a drain: the scheduler places allocations on the "
                 "node again. Recorded in pact's journal and authorized like "
                 "any write.",
                 s::arguments({{"node", node_arg()}}, {"node"}),
                 {{"node", {{"type", "string"}}},
                  {"state", {{"type", "string"}}}},
                 {"node"}, write),
    lattice_tool("pact_dag_list", "DAG workflows",
                 "DAG workflows: id, tenant, state, steps done of total.",
                 s::arguments({{"tenant", s::str("Only this tenant")},
                               {"state", s::str("Only in this state")}}),
                 {{"dags", s::objects("Workflows")}}, {"dags"}),
    lattice_tool(
      "pact_dag_inspect", "DAG details",
      "One DAG workflow: its steps, their dependencies and "
      "status.",
      s::arguments(
        {{"dag_id",
          {{"type", "string"}, {"minLength", 1}, {"description", "The DAG"}}}},
        {"dag_id"}),
      {{"dag", s::any_object("The workflow and its steps")}}, {"dag"}),
    lattice_tool(
      "pact_budget", "Budget and usage",
      "A tenant's or user's budget and what is used of it.",
      s::arguments({{"kind", s::str_enum({"tenant", "user"}, "Whose budget")},
                    {"id",
                     {{"type", "string"},
                      {"minLength", 1},
                      {"description", "Tenant or user id"}}},
                    {"days", s::integer("Period (default 30)", 1, 3650)}},
                   {"kind", "id"}),
      {{"budget", s::any_object("Budget, used, remaining")}}, {"budget"}),
    lattice_tool(
      "pact_backup_create", "Back up lattice's state",
      "Create a backup of lattice's state at a path on the "
      "lattice servers. Recorded in pact's journal; platform "
      "admins only.",
      s::arguments(
        {{"path",
          {{"type", "string"}, {"minLength", 1}, {"description", "Where"}}}},
        {"path"}),
      {{"path", {{"type", "string"}}}, {"bytes", {{"type", "integer"}}}},
      {"path"}, {false, false, false, true}),
    lattice_tool("pact_backup_verify", "Verify a backup",
                 "Check a lattice backup's integrity.",
                 s::arguments({{"path",
                                {{"type", "string"},
                                 {"minLength", 1},
                                 {"description", "The backup"}}}},
                              {"path"}),
                 {{"path", {{"type", "string"}}},
                  {"ok", {{"type", "boolean"}}}},
                 {"path", "ok"}),
    lattice_tool("pact_nodes_list", "Scheduler nodes",
                 "Nodes as the scheduler sees them: state (idle, allocated, "
                 "draining, drained, down), vCluster, allocation.",
                 s::arguments({{"state", s::str("Only in this state")},
                               {"vcluster", s::str("Only this vCluster")}}),
                 {{"nodes", s::objects("Nodes")}}, {"nodes"}),
    lattice_tool("pact_node_inspect", "Scheduler node details",
                 "One node's hardware and ownership as the scheduler knows "
                 "it: resources, owner, allocations.",
                 s::arguments({{"node", node_arg()}}, {"node"}),
                 {{"node", s::any_object("The node")}}, {"node"}),
  };
}

} // namespace pact::mcp
