// The scheduler-delegated tools' reads: each asks lattice through the
// client library `pact` uses (runtime/delegation/lattice_views.hpp) and
// answers with the same JSON object `pact --output json` prints. The
// health tools are in lattice_health_tools.cpp, the two writes in
// lattice_write_tools.cpp. Never made-up data: the operator guide's "stub
// responses" for an unreachable backend are deliberately not served
// (docs/mcp.md, "When a backend is down").

#include <map>

#include "actors/client/delegation.hpp"
#include "mcp/tool_specs.hpp"
#include "mcp/tools.hpp"
#include "runtime/delegation/lattice_views.hpp"

namespace pact::mcp {

namespace d = delegation;

expected<d::lattice_settings> lattice_settings(const bridge& b) {
  return client::lattice_settings_of(b.cfg, "PACT_MCP_TOKEN");
}

tool_result lattice_answer(const expected<json>& v,
                           const std::string& warning) {
  if (!v)
    return failed(v.err());
  // dump escapes control characters, so the text is safe to show.
  return {warning + v->dump(2, ' ', false, json::error_handler_t::replace)
            + "\n",
          *v, false};
}

namespace {

/// A read: the view of `settings` and the call's arguments.
using lattice_read
  = std::function<expected<json>(const d::lattice_settings&, const json&)>;

tool_call read_call(const bridge& b, lattice_read read) {
  return [&b, read](const json& args, call_context&) -> tool_result {
    auto settings = lattice_settings(b);
    if (!settings)
      return failed(settings.err());
    return lattice_answer(read(*settings, args));
  };
}

std::string arg(const json& args, const char* key) {
  return string_arg(args, key);
}

const std::map<std::string, lattice_read>& reads() {
  static const std::map<std::string, lattice_read> all{
    {"pact_jobs_list",
     [](const d::lattice_settings& s, const json& a) {
       return d::jobs_list(s, arg(a, "node"), arg(a, "vcluster"));
     }},
    {"pact_queue_status",
     [](const d::lattice_settings& s, const json& a) {
       return d::queue_status(s, arg(a, "vcluster"));
     }},
    {"pact_accounting",
     [](const d::lattice_settings& s, const json& a) {
       return d::accounting(
         s, arg(a, "tenant"), arg(a, "user"),
         static_cast<int>(number_arg(a, "days", 1, 3650, 30)));
     }},
    {"pact_dag_list",
     [](const d::lattice_settings& s, const json& a) {
       return d::dag_list(s, arg(a, "tenant"), arg(a, "state"));
     }},
    {"pact_dag_inspect",
     [](const d::lattice_settings& s, const json& a) {
       return d::dag_inspect(s, arg(a, "dag_id"));
     }},
    {"pact_budget",
     [](const d::lattice_settings& s, const json& a) {
       // No days: lattice's own period (the view's 0).
       return d::budget(s, arg(a, "kind"), arg(a, "id"),
                        static_cast<int>(number_arg(a, "days", 1, 3650, 0)));
     }},
    {"pact_backup_verify",
     [](const d::lattice_settings& s, const json& a) {
       return d::backup_verify(s, arg(a, "path"));
     }},
    {"pact_nodes_list",
     [](const d::lattice_settings& s, const json& a) {
       return d::nodes_list(s, arg(a, "state"), arg(a, "vcluster"));
     }},
    {"pact_node_inspect",
     [](const d::lattice_settings& s, const json& a) {
       return d::node_inspect(s, arg(a, "node"));
     }},
  };
  return all;
}

} // namespace

tool_call lattice_tool_call(const bridge& b, const std::string& name) {
  if (name == "pact_cluster_health")
    return cluster_health_call(b);
  if (name == "pact_system_health")
    return system_health_call(b);
  if (name == "pact_undrain")
    return undrain_call(b);
  if (name == "pact_backup_create")
    return backup_create_call(b);
  // A name of lattice_tool_specs() without a call is a programming error.
  return read_call(b, reads().at(name));
}

} // namespace pact::mcp
