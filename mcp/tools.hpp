#pragma once

/// The pact tools exposed over MCP: tool_specs() with their calls. Each
/// maps onto the client library the CLI uses (actors/client) and the
/// renderings it prints (runtime/render), so results and errors match the
/// CLI's.

#include <vector>

#include "mcp/bridge.hpp"
#include "mcp/server.hpp"

namespace pact::mcp {

/// Every tool of tool_specs(), served through `b` (which must outlive
/// them).
std::vector<tool> make_tools(const bridge& b);

/// The calls, by family (read_tools.cpp, write_tools.cpp, exec_tools.cpp,
/// lattice_tools.cpp).
using tool_call = std::function<tool_result(const json&, call_context&)>;
tool_call status_call(const bridge& b);
tool_call log_call(const bridge& b);
tool_call diff_call(const bridge& b);
tool_call cap_call(const bridge& b);
tool_call service_status_call(const bridge& b);
tool_call query_fleet_call(const bridge& b);
tool_call commit_call(const bridge& b);
tool_call rollback_call(const bridge& b);
tool_call apply_call(const bridge& b);
tool_call exec_call(const bridge& b);
tool_call emergency_call(const bridge& b);
/// Any lattice tool (they share the endpoint check).
tool_call lattice_call(const bridge& b, const std::string& name);

} // namespace pact::mcp
