// The write and admin tools of the operator guide: pact_commit,
// pact_rollback, pact_apply, pact_exec, pact_emergency. Their schemas say
// what `pact` takes; the journal and the agent decide who may.

#include <algorithm>

#include "mcp/schema_build.hpp"
#include "mcp/tool_specs.hpp"

namespace pact::mcp {

namespace s = schema;

namespace {

tool write_tool(std::string name, std::string title, std::string description,
                json input, json output, bool destructive, bool idempotent) {
  return described(std::move(name), std::move(title), std::move(description),
                   std::move(input), std::move(output),
                   {false, destructive, idempotent, false});
}

const char* held_note
  = " On a vCluster with two-person approval the write is not applied: the "
    "result is the pending approval (pending_approval.id, ap-...) that a "
    "second human accepts with `pact approve accept ID`.";

tool commit_spec() {
  return write_tool(
    "pact_commit", "pact commit",
    std::string("Record changes as declared state (like `pact commit -m MSG "
                "TARGET`): with set/unset, those changes to a node (a node "
                "delta with a lifetime), a vCluster (vc:NAME) or global; "
                "without them, the node's live drift as its agent reports "
                "it. AI principals may write only where the vCluster's "
                "policy has ai_write_allowed = true.")
      + held_note,
    s::arguments(
      {{"target",
        {{"type", "string"},
         {"minLength", 1},
         {"description", "A node, vc:NAME or global"}}},
       {"message",
        {{"type", "string"},
         {"minLength", 1},
         {"description", "Why (recorded in the journal)"}}},
       {"set", s::strings("CATEGORY:KEY=VALUE to declare, e.g. "
                          "kernel:vm.swappiness=10")},
       {"unset", s::strings("CATEGORY:KEY to remove")},
       {"if_previous",
        s::strings("Commit only if CATEGORY:KEY holds VALUE "
                   "(CATEGORY:KEY=VALUE) or is unset (CATEGORY:KEY)")},
       {"ttl_seconds", s::integer("Lifetime of a node delta (default "
                                  "86400)",
                                  900, 864000)}},
      {"target", "message"}),
    s::output(
      {{"sequences", {{"type", "array"}, {"items", {{"type", "integer"}}}}},
       {"raft_index", {{"type", "integer"}}},
       {"scope", {{"type", "string"}}},
       {"unchanged", {{"type", "boolean"}}},
       {"changes", s::objects("The items as recorded")}},
      {"scope", "unchanged", "changes"}, true),
    false, false);
}

tool rollback_spec() {
  return write_tool(
    "pact_rollback", "pact rollback",
    std::string("Restore a scope's declared state to what it was right "
                "after entry `sequence` (like `pact rollback SEQ`); a node "
                "whose agent is known is restored on the node too. "
                "Destructive: the human is asked to confirm first.")
      + held_note,
    s::arguments(
      {{"sequence",
        s::integer("Entry to return to (see pact_log)", 1, 9007199254740991)},
       {"scope", s::str("Scope to restore: a node, vc:NAME or global "
                        "(default: the scope of that entry)")},
       {"message", s::str("Why (default: \"rollback to SEQ\")")},
       {"force", s::boolean("Restore a node even when a mount in use would "
                            "be unmounted or a service others depend on "
                            "stopped")}},
      {"sequence"}),
    s::output({{"rollback_to", {{"type", "integer"}}},
               {"scope", {{"type", "string"}}},
               {"sequence", {{"type", "integer"}}},
               {"unchanged", {{"type", "boolean"}}},
               {"restored", s::objects("Node items restored: category, "
                                       "key, outcome, detail")}},
              {"rollback_to", "scope"}, true),
    true, true);
}

tool apply_spec() {
  return write_tool(
    "pact_apply", "pact apply",
    std::string("Apply a vCluster overlay spec (the TOML text of `pact "
                "apply SPEC.toml`; docs/spec.md): every vCluster it "
                "describes is replaced, all or none. The spec is validated "
                "as the CLI does; an error names the line and key. dry_run "
                "shows the changes and writes nothing. Destructive: the "
                "human is asked to confirm first.")
      + held_note,
    s::arguments({{"spec",
                   {{"type", "string"},
                    {"minLength", 1},
                    {"maxLength", 1048576},
                    {"description", "The spec, TOML text"}}},
                  {"dry_run", s::boolean("Show what would change; write "
                                         "nothing")},
                  {"message", s::str("Why (default: \"apply spec\")")}},
                 {"spec"}),
    s::output_of({{"applied", s::objects("Per vCluster: vcluster, sequence or "
                                         "version, unchanged")},
                  {"dry_run", {{"type", "boolean"}}},
                  {"vclusters", s::objects("Dry run: vcluster, changes")}},
                 {{"applied"}, {"dry_run", "vclusters"}}, true),
    true, true);
}

tool exec_spec() {
  return write_tool(
    "pact_exec", "pact exec",
    "Run one whitelisted command on a node through its agent, without a "
    "shell (like `pact exec NODE -- CMD ARGS...`); returns its exit code "
    "and output. AI principals run only the vCluster policy's "
    "read_only_commands, and only where ai_exec_allowed = true; a command "
    "that is not read-only asks the human to confirm first. On a "
    "two-person vCluster such a command needs a second person's grant: the "
    "result is the pending approval, and the call with approval_id runs "
    "it once accepted.",
    s::arguments(
      {{"node",
        {{"type", "string"},
         {"minLength", 1},
         {"description", "The node ('local': the agent at "
                         "PACT_AGENT_ENDPOINT)"}}},
       {"command", s::strings("The program and its arguments, e.g. "
                              "[\"nvidia-smi\", \"-q\"]",
                              1)},
       {"timeout_seconds", s::integer("Kill it after this long (the agent "
                                      "caps it)",
                                      1, 86400)},
       {"approval_id", s::str("Run with this accepted grant (ap-...)")}},
      {"node", "command"}),
    s::output({{"exit_code", {{"type", "integer"}}},
               {"stdout", {{"type", "string"}}},
               {"stderr", {{"type", "string"}}},
               {"truncated", {{"type", "boolean"}}},
               {"timed_out", {{"type", "boolean"}}}},
              {"exit_code", "stdout", "stderr"}, true),
    true, false);
}

tool emergency_spec() {
  return write_tool(
    "pact_emergency", "pact emergency",
    "Emergency mode (like `pact emergency`): status lists the active "
    "emergencies; end ends one (its owner, or a platform admin with "
    "force). start is restricted to human admins: the journal refuses it "
    "for AI principals.",
    s::arguments(
      {{"action", s::str_enum({"start", "end", "status"}, "What to do")},
       {"node", s::str("The node (start/end)")},
       {"vcluster", s::str("The vCluster (start/end without node; status: "
                           "only this vCluster)")},
       {"reason", s::str("Why (start: required; recorded for the audit)")},
       {"force", s::boolean("end: end another admin's emergency")}},
      {"action"}),
    s::output_of({{"emergencies", s::objects("status: the active emergencies")},
                  {"scope", {{"type", "string"}}},
                  {"sequence", {{"type", "integer"}}}},
                 {{"emergencies"}, {"scope", "sequence"}}, true),
    true, false);
}

} // namespace

std::vector<tool> write_tool_specs() {
  return {commit_spec(), rollback_spec(), apply_spec(), exec_spec(),
          emergency_spec()};
}

commit_args decode_commit_args(const json& args) {
  commit_args a;
  a.target = string_arg(args, "target");
  a.message = string_arg(args, "message");
  a.set = strings_arg(args, "set");
  a.unset = strings_arg(args, "unset");
  a.if_previous = strings_arg(args, "if_previous");
  if (args.contains("ttl_seconds"))
    a.ttl_seconds = number_arg(args, "ttl_seconds", 900, 864000, 86400);
  return a;
}

rollback_args decode_rollback_args(const json& args) {
  rollback_args a;
  if (args.contains("sequence") && args["sequence"].is_number())
    a.sequence = static_cast<uint64_t>(
      std::clamp(args["sequence"].get<double>(), 1.0, 9007199254740991.0));
  a.scope = string_arg(args, "scope");
  a.message = string_arg(args, "message");
  a.force = flag_arg(args, "force");
  return a;
}

apply_args decode_apply_args(const json& args) {
  return {string_arg(args, "spec"), flag_arg(args, "dry_run"),
          string_arg(args, "message")};
}

exec_args decode_exec_args(const json& args) {
  return {node_arg(args), strings_arg(args, "command"),
          number_arg(args, "timeout_seconds", 1, 86400, 0),
          string_arg(args, "approval_id")};
}

emergency_args decode_emergency_args(const json& args) {
  return {string_arg(args, "action"), string_arg(args, "node"),
          string_arg(args, "vcluster"), string_arg(args, "reason"),
          flag_arg(args, "force")};
}

} // namespace pact::mcp
