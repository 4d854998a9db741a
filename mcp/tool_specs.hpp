#pragma once

/// The pact tools' names, titles, descriptions, input and output schemas
/// and annotations (the operator guide's 24 tools, "Using the MCP
/// Server"), and the decoding of their arguments: CAF-free, so that the
/// fuzzer (tests/fuzz) and the unit tests check the very schemas and
/// decoders pact-mcp serves. tools*.cpp add the calls. Decoders expect
/// arguments that passed the tool's input_schema (the server checks that
/// first).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mcp/server.hpp"

namespace pact::mcp {

/// Every tool, in the operator guide's order, with an empty `call`.
std::vector<tool> tool_specs();

/// The spec named `name` (one of tool_specs()); throws std::out_of_range
/// for another name (a programming error).
tool spec_of(const std::string& name);

// --- read tools ------------------------------------------------------------

/// pact_log: `pact log` (limit 1..10000 like the CLI's -n).
struct log_args {
  uint32_t limit = 20;
  std::string scope;
  bool verify = false;
  /// Time bounds as `pact log --since/--until` takes them; "" = none.
  std::string since;
  std::string until;
};
log_args decode_log_args(const json& arguments);

/// pact_diff: `pact diff NODE [--committed]`.
struct diff_args {
  std::string node;
  /// Only the committed changes not yet promoted.
  bool committed = false;
};
diff_args decode_diff_args(const json& arguments);

/// pact_status: `pact status [--node] [--vcluster]`; the vCluster defaults
/// to the CLI configuration's.
struct status_args {
  std::string node;
  std::string vcluster;
};
status_args decode_status_args(const json& arguments,
                               const std::string& default_vcluster);

/// pact_cap (`pact cap [NODE]`) and pact_service_status (`pact service
/// status [NAME] --node NODE`): node "" (or "local") = the agent at
/// PACT_AGENT_ENDPOINT; name "" = every service.
struct node_args {
  std::string node;
  std::string name;
};
node_args decode_node_args(const json& arguments);

/// pact_query_fleet: nodes from the journal, filtered; the GPU filters ask
/// each remaining node's agent for its capability manifest.
struct fleet_args {
  std::string vcluster;
  /// A node state name (render::node_state_name); "" = any.
  std::string state;
  /// Only nodes with (true) or without (false) drift recorded.
  std::optional<bool> drifted;
  /// "healthy", "unhealthy" or "none" (no GPU); "" = no GPU filter.
  std::string gpu_health;
  /// At least this many GPUs; 0 = no filter.
  uint32_t min_gpus = 0;
  uint32_t limit = 100;
};
fleet_args decode_fleet_args(const json& arguments);

// --- write tools -----------------------------------------------------------

/// pact_commit: `pact commit -m MSG TARGET [--set]... [--unset]...
/// [--if-previous]... [--ttl]`; without set/unset, the node's live drift.
struct commit_args {
  std::string target;
  std::string message;
  std::vector<std::string> set;
  std::vector<std::string> unset;
  std::vector<std::string> if_previous;
  /// Node delta lifetime; nullopt = the CLI's default (86,400 s).
  std::optional<uint32_t> ttl_seconds;
};
commit_args decode_commit_args(const json& arguments);

/// pact_rollback: `pact rollback SEQ [--scope] [-m] [--force]`.
struct rollback_args {
  uint64_t sequence = 0;
  std::string scope;
  std::string message;
  bool force = false;
};
rollback_args decode_rollback_args(const json& arguments);

/// pact_apply: `pact apply SPEC [--dry-run] [-m]` with the spec's TOML text.
struct apply_args {
  std::string spec;
  bool dry_run = false;
  std::string message;
};
apply_args decode_apply_args(const json& arguments);

/// pact_exec: `pact exec [--approval ID] NODE -- CMD ARGS...`.
struct exec_args {
  std::string node;
  std::vector<std::string> command;
  uint32_t timeout_seconds = 0;
  std::string approval_id;
};
exec_args decode_exec_args(const json& arguments);

/// pact_emergency: `pact emergency start|end|status`.
struct emergency_args {
  std::string action;
  std::string node;
  std::string vcluster;
  std::string reason;
  bool force = false;
};
emergency_args decode_emergency_args(const json& arguments);

// --- the lattice delegations ---------------------------------------------

/// The scheduler-delegated tools (operator guide, category Lattice and
/// pact_backup_create); their calls need PACT_LATTICE_ENDPOINT.
std::vector<tool> lattice_tool_specs();

/// The tools of the other categories (read, write, admin).
std::vector<tool> read_tool_specs();
std::vector<tool> write_tool_specs();

/// A tool spec from its parts (no call).
tool described(std::string name, std::string title, std::string description,
               json input, json output, tool_annotations annotations);

/// The `node` argument, "" for "local" (the agent at PACT_AGENT_ENDPOINT).
std::string node_arg(const json& args);

/// A string argument, `fallback` when absent.
std::string string_arg(const json& args, const char* key,
                       const std::string& fallback = {});

/// A number argument clamped to [lo, hi], `fallback` when absent.
uint32_t number_arg(const json& args, const char* key, double lo, double hi,
                    uint32_t fallback);

/// An array-of-strings argument (empty when absent).
std::vector<std::string> strings_arg(const json& args, const char* key);

/// A boolean argument, false when absent.
bool flag_arg(const json& args, const char* key);

} // namespace pact::mcp
