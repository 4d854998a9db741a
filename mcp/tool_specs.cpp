#include "mcp/tool_specs.hpp"

#include <algorithm>

namespace pact::mcp {

namespace {

std::string string_arg(const json& args, const char* key,
                       const std::string& fallback = {}) {
  return args.contains(key) && args[key].is_string()
           ? args[key].get<std::string>()
           : fallback;
}

} // namespace

tool log_tool_spec() {
  tool t;
  t.name = "pact_log";
  t.title = "pact log";
  t.description = "Configuration history, newest first (like `pact log`): "
                  "sequence, type, scope, author, time, message and delta "
                  "of each entry; optionally verify the hash chain.";
  t.input_schema = {
    {"type", "object"},
    {"properties",
     {{"limit",
       {{"type", "integer"},
        {"minimum", 1},
        {"maximum", 10000},
        {"description", "How many entries (default 20)"}}},
      {"scope",
       {{"type", "string"}, {"description", "global, vc:NAME or node:NAME"}}},
      {"verify",
       {{"type", "boolean"}, {"description", "Verify the SHA-256 hash chain"}}},
      {"since",
       {{"type", "string"},
        {"description", "Only entries stamped at or after this: RFC 3339 "
                        "(2026-11-29T10:00:00Z) or a duration before now "
                        "(30m, 2h, 7d)"}}},
      {"until",
       {{"type", "string"},
        {"description", "Only entries stamped at or before this (same "
                        "forms as since)"}}}}},
    {"additionalProperties", false}};
  return t;
}

log_args decode_log_args(const json& args) {
  log_args a;
  // The schema bounds limit to 1..10000 (an integral number, maybe 5.0);
  // the clamp keeps the conversion defined whatever the caller passes.
  if (args.contains("limit") && args["limit"].is_number())
    a.limit = static_cast<uint32_t>(
      std::clamp(args["limit"].get<double>(), 1.0, 10000.0));
  a.scope = string_arg(args, "scope");
  a.verify = args.contains("verify") && args["verify"] == true;
  a.since = string_arg(args, "since");
  a.until = string_arg(args, "until");
  return a;
}

tool diff_tool_spec() {
  tool t;
  t.name = "pact_diff";
  t.title = "pact diff";
  t.description = "How a node differs from its vCluster's declared overlay "
                  "(like `pact diff NODE [--committed]`): its committed "
                  "changes, each marked promoted or not.";
  t.input_schema
    = {{"type", "object"},
       {"properties",
        {{"node",
          {{"type", "string"}, {"minLength", 1}, {"description", "The node"}}},
         {"committed",
          {{"type", "boolean"},
           {"description", "Only committed changes not yet promoted"}}}}},
       {"required", json::array({"node"})},
       {"additionalProperties", false}};
  return t;
}

diff_args decode_diff_args(const json& args) {
  return {string_arg(args, "node"),
          args.contains("committed") && args["committed"] == true};
}

tool status_tool_spec() {
  tool t;
  t.name = "pact_status";
  t.title = "pact status";
  t.description = "Query journal, node and vCluster state with actor "
                  "health (like `pact status`).";
  t.input_schema
    = {{"type", "object"},
       {"properties",
        {{"node", {{"type", "string"}, {"description", "Only this node"}}},
         {"vcluster",
          {{"type", "string"}, {"description", "Only this vCluster"}}}}},
       {"additionalProperties", false}};
  return t;
}

status_args decode_status_args(const json& args,
                               const std::string& default_vcluster) {
  return {string_arg(args, "node"),
          string_arg(args, "vcluster", default_vcluster)};
}

} // namespace pact::mcp
