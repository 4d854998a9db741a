// The scheduler-delegated tools. Without PACT_LATTICE_ENDPOINT they say
// so; with it, they say that this build does not reach lattice yet. Never
// made-up data: the operator guide's "stub responses" for an unreachable
// backend are deliberately not served (docs/mcp.md).

#include "mcp/tools.hpp"

namespace pact::mcp {

/// The guide's words for a missing endpoint (issue 15 item 2).
constexpr const char* lattice_not_configured
  = "lattice endpoint not configured (set PACT_LATTICE_ENDPOINT)";

tool_call lattice_call(const bridge& b, const std::string& name) {
  return [&b, name](const json&, call_context&) -> tool_result {
    if (b.lattice_endpoint.empty())
      return failed(make_error(lattice_not_configured));
    return failed(make_error(
      name
      + ": this pact-mcp does not delegate to lattice yet (the "
        "lattice client is not part of this build); PACT_LATTICE_ENDPOINT="
      + b.lattice_endpoint + " was not contacted"));
  };
}

} // namespace pact::mcp
