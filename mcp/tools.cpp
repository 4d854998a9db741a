#include "mcp/tools.hpp"

#include <map>

#include "mcp/tool_specs.hpp"

namespace pact::mcp {

std::vector<tool> make_tools(const bridge& b) {
  const std::map<std::string, tool_call> calls{
    {"pact_status", status_call(b)},
    {"pact_diff", diff_call(b)},
    {"pact_log", log_call(b)},
    {"pact_cap", cap_call(b)},
    {"pact_service_status", service_status_call(b)},
    {"pact_query_fleet", query_fleet_call(b)},
    {"pact_commit", commit_call(b)},
    {"pact_rollback", rollback_call(b)},
    {"pact_apply", apply_call(b)},
    {"pact_exec", exec_call(b)},
    {"pact_emergency", emergency_call(b)}};
  auto tools = tool_specs();
  for (auto& t : tools) {
    auto c = calls.find(t.name);
    t.call = c != calls.end() ? c->second : lattice_tool_call(b, t.name);
  }
  return tools;
}

} // namespace pact::mcp
