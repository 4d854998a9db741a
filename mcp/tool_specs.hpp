#pragma once

/// The pact tools' names, descriptions and input schemas, and the decoding
/// of their arguments: CAF-free, so that the fuzzer (tests/fuzz) and the
/// unit tests check the very schemas and decoders pact-mcp serves.
/// tools.cpp adds the calls to the journal. Decoders expect arguments that
/// passed the tool's input_schema (server::call_tool checks that first).

#include <cstdint>
#include <string>

#include "mcp/server.hpp"

namespace pact::mcp {

/// pact_log: `pact log` (limit 1..10000 like the CLI's -n).
struct log_args {
  uint32_t limit = 20;
  std::string scope;
  bool verify = false;
  /// Time bounds as `pact log --since/--until` takes them; "" = none.
  std::string since;
  std::string until;
};
tool log_tool_spec();
log_args decode_log_args(const json& arguments);

/// pact_diff: `pact diff NODE [--committed]`.
struct diff_args {
  std::string node;
  /// Only the committed changes not yet promoted.
  bool committed = false;
};
tool diff_tool_spec();
diff_args decode_diff_args(const json& arguments);

/// pact_status: `pact status [--node] [--vcluster]`; the vCluster defaults
/// to the CLI configuration's.
struct status_args {
  std::string node;
  std::string vcluster;
};
tool status_tool_spec();
status_args decode_status_args(const json& arguments,
                               const std::string& default_vcluster);

} // namespace pact::mcp
