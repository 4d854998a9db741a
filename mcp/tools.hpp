#pragma once

/// The pact tools exposed over MCP: tool_specs() with their calls. Each
/// maps onto the client library the CLI uses (actors/client) and the
/// renderings it prints (runtime/render), so results and errors match the
/// CLI's.

#include <vector>

#include "mcp/bridge.hpp"
#include "mcp/server.hpp"
#include "runtime/delegation/lattice_client.hpp"

namespace pact::mcp {

/// Every tool of tool_specs(), served through `b` (which must outlive
/// them).
std::vector<tool> make_tools(const bridge& b);

/// The calls, by family (read_tools.cpp, write_tools.cpp, exec_tools.cpp,
/// lattice_*tools.cpp).
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
/// The lattice tool `name` (lattice_tools.cpp; one of
/// lattice_tool_specs()).
tool_call lattice_tool_call(const bridge& b, const std::string& name);
tool_call cluster_health_call(const bridge& b);
tool_call system_health_call(const bridge& b);
tool_call undrain_call(const bridge& b);
tool_call backup_create_call(const bridge& b);

/// lattice's settings for the bridge: PACT_LATTICE_ENDPOINT (unset: the
/// guide's "lattice endpoint not configured", exit 1, before anything
/// else is looked at), PACT_LATTICE_TOKEN or else the bridge's own token
/// (PACT_MCP_TOKEN, then the CLI's), the CLI's CA bundle.
expected<delegation::lattice_settings> lattice_settings(const bridge& b);

/// A lattice answer (an object of runtime/delegation/lattice_views.hpp)
/// as a tool result: the object as structured content and, as the MCP
/// specification recommends for structured results, its JSON as the
/// text, after `warning` (a stale journal answer). An error: failed().
tool_result lattice_answer(const expected<json>& v,
                           const std::string& warning = {});

} // namespace pact::mcp
