#include "mcp/tool_specs.hpp"

#include <algorithm>
#include <stdexcept>

#include "mcp/schema_build.hpp"

namespace pact::mcp {

namespace s = schema;

namespace {

tool read_tool(std::string name, std::string title, std::string description,
               json input, json output) {
  return described(std::move(name), std::move(title), std::move(description),
                   std::move(input), std::move(output),
                   {true, false, true, false});
}

const std::vector<std::string> node_states{
  "observe-only", "committed", "drifted", "converging", "emergency"};

tool status_spec() {
  return read_tool(
    "pact_status", "pact status",
    "Journal, node and vCluster state with actor health (like `pact "
    "status`): Raft role and indexes, the agents seen, active emergencies "
    "and pending approvals; with node or vcluster, the declared view too "
    "(state, committed items, commit windows).",
    s::arguments({{"node", s::str("Only this node")},
                  {"vcluster", s::str("Only this vCluster (default: "
                                      "PACT_VCLUSTER of the bridge)")}}),
    s::output({{"raft", s::any_object("This replica's Raft status")},
               {"nodes", s::objects("Agents that reported")},
               {"emergencies", s::objects("Active emergencies")},
               {"pending_approvals", s::objects("Writes awaiting approval")},
               {"declared", s::any_object("Declared nodes and overlays")}},
              {"nodes", "emergencies", "pending_approvals"}));
}

tool log_spec() {
  return read_tool(
    "pact_log", "pact log",
    "Configuration history, newest first (like `pact log`): sequence, "
    "type, scope, author, time, message and delta of each entry; "
    "optionally verify the SHA-256 hash chain.",
    s::arguments(
      {{"limit", s::integer("How many entries (default 20)", 1, 10000)},
       {"scope", s::str("global, vc:NAME or node:NAME")},
       {"verify", s::boolean("Verify the SHA-256 hash chain")},
       {"since", s::str("Only entries stamped at or after this: RFC 3339 "
                        "(2026-11-29T10:00:00Z) or a duration before now "
                        "(30m, 2h, 7d)")},
       {"until", s::str("Only entries stamped at or before this (same "
                        "forms as since)")}}),
    s::output({{"entries", s::objects("Entries, newest first")},
               {"last_sequence", {{"type", "integer"}}},
               {"verify", s::any_object("Hash chain check {ok, error}")},
               {"stale", {{"type", "boolean"}}}},
              {"entries", "last_sequence"}));
}

tool diff_spec() {
  return read_tool(
    "pact_diff", "pact diff",
    "How a node differs from its vCluster's declared overlay (like `pact "
    "diff NODE [--committed]`): its committed changes, each marked "
    "promoted or not.",
    s::arguments(
      {{"node",
        {{"type", "string"}, {"minLength", 1}, {"description", "The node"}}},
       {"committed", s::boolean("Only committed changes not yet promoted")}},
      {"node"}),
    s::output({{"node", {{"type", "string"}}},
               {"vcluster", {{"type", "string"}}},
               {"state", {{"type", "string"}}},
               {"committed", s::objects("Committed items")}},
              {"node", "committed"}));
}

tool cap_spec() {
  return read_tool(
    "pact_cap", "pact cap",
    "A node's hardware capabilities as its agent last recorded them (like "
    "`pact cap NODE`): CPU, memory and NUMA, GPUs with their health, "
    "network, storage, kernel modules. The manifest of schema "
    "pact.capability/1 (docs/capabilities.md).",
    s::arguments({{"node", s::str("The node (its agent is found in the "
                                  "journal; default: the agent at "
                                  "PACT_AGENT_ENDPOINT)")}}),
    s::output({{"schema", {{"type", "string"}}},
               {"node", {{"type", "string"}}},
               {"gpus", s::any_object("GPUs: tool, status, count, problems, "
                                      "devices")}},
              {"schema", "node"}));
}

tool service_status_spec() {
  return read_tool(
    "pact_service_status", "pact service status",
    "The services a node's agent supervises (like `pact service status "
    "[NAME] --node NODE`): state, pid, uptime, restarts, health and last "
    "exit of each.",
    s::arguments({{"node", s::str("The node (default: the agent at "
                                  "PACT_AGENT_ENDPOINT)")},
                  {"name", s::str("Only this service")}}),
    s::output({{"node", {{"type", "string"}}},
               {"services", s::objects("One per service")}},
              {"node", "services"}));
}

tool query_fleet_spec() {
  return read_tool(
    "pact_query_fleet", "Fleet query",
    "Nodes across the fleet from the journal, filtered by vCluster, state "
    "and drift; the GPU filters (gpu_health, min_gpus) also ask each "
    "matching node's agent for its capability manifest, and list the "
    "nodes whose agent could not be asked under `unreachable`.",
    s::arguments(
      {{"vcluster", s::str("Only nodes of this vCluster")},
       {"state", s::str_enum(node_states, "Only nodes in this state")},
       {"drifted", s::boolean("Only nodes with (true) or without (false) "
                              "drift recorded")},
       {"gpu_health",
        s::str_enum({"healthy", "unhealthy", "none"},
                    "healthy: GPUs present, the tool answers, no problem; "
                    "unhealthy: a GPU problem or the tool failing; none: no "
                    "GPU")},
       {"min_gpus", s::integer("At least this many GPUs", 1, 1024)},
       {"limit", s::integer("Most nodes listed (default 100)", 1, 10000)}}),
    s::output(
      {{"nodes", s::objects("Matching nodes: node, vcluster, state, "
                            "drift_items, gpus (with a GPU filter)")},
       {"matched", {{"type", "integer"}}},
       {"truncated", {{"type", "boolean"}}},
       {"unreachable", s::objects("Nodes whose agent could not be asked: "
                                  "node, error")}},
      {"nodes", "matched"}));
}

} // namespace

tool described(std::string name, std::string title, std::string description,
               json input, json output, tool_annotations annotations) {
  tool t;
  t.name = std::move(name);
  t.title = std::move(title);
  t.description = std::move(description);
  t.input_schema = std::move(input);
  t.output_schema = std::move(output);
  t.annotations = annotations;
  return t;
}

std::string string_arg(const json& args, const char* key,
                       const std::string& fallback) {
  return args.contains(key) && args[key].is_string()
           ? args[key].get<std::string>()
           : fallback;
}

std::vector<std::string> strings_arg(const json& args, const char* key) {
  std::vector<std::string> out;
  if (args.contains(key) && args[key].is_array())
    for (auto& v : args[key])
      if (v.is_string())
        out.push_back(v.get<std::string>());
  return out;
}

bool flag_arg(const json& args, const char* key) {
  return args.contains(key) && args[key] == true;
}

std::vector<tool> read_tool_specs() {
  return {status_spec(), diff_spec(),           log_spec(),
          cap_spec(),    service_status_spec(), query_fleet_spec()};
}

std::vector<tool> tool_specs() {
  auto all = read_tool_specs();
  for (auto* more : {write_tool_specs, lattice_tool_specs})
    for (auto& t : more())
      all.push_back(std::move(t));
  return all;
}

tool spec_of(const std::string& name) {
  for (auto& t : tool_specs())
    if (t.name == name)
      return t;
  throw std::out_of_range("no tool " + name);
}

log_args decode_log_args(const json& args) {
  log_args a;
  a.limit = number_arg(args, "limit", 1, 10000, 20);
  a.scope = string_arg(args, "scope");
  a.verify = flag_arg(args, "verify");
  a.since = string_arg(args, "since");
  a.until = string_arg(args, "until");
  return a;
}

diff_args decode_diff_args(const json& args) {
  return {string_arg(args, "node"), flag_arg(args, "committed")};
}

status_args decode_status_args(const json& args,
                               const std::string& default_vcluster) {
  return {string_arg(args, "node"),
          string_arg(args, "vcluster", default_vcluster)};
}

std::string node_arg(const json& args) {
  auto node = string_arg(args, "node");
  return node == "local" ? "" : node;
}

node_args decode_node_args(const json& args) {
  return {node_arg(args), string_arg(args, "name")};
}

uint32_t number_arg(const json& args, const char* key, double lo, double hi,
                    uint32_t fallback) {
  // The schema bounds it already (an integral number, maybe 5.0); the
  // clamp keeps the conversion defined whatever the caller passes.
  if (!args.contains(key) || !args[key].is_number())
    return fallback;
  return static_cast<uint32_t>(std::clamp(args[key].get<double>(), lo, hi));
}

fleet_args decode_fleet_args(const json& args) {
  fleet_args a;
  a.vcluster = string_arg(args, "vcluster");
  a.state = string_arg(args, "state");
  if (args.contains("drifted") && args["drifted"].is_boolean())
    a.drifted = args["drifted"].get<bool>();
  a.gpu_health = string_arg(args, "gpu_health");
  a.min_gpus = number_arg(args, "min_gpus", 1, 1024, 0);
  a.limit = number_arg(args, "limit", 1, 10000, 100);
  return a;
}

} // namespace pact::mcp
