// The two lattice writes, pact_undrain and pact_backup_create. Each is a
// delegated operation (actors/client/delegation.hpp): the journal records
// and authorizes the request first (an AI principal writes only where
// the node's vCluster has ai_write_allowed; a backup is for platform
// admins only), only then is lattice called, and the outcome is recorded.
// A two-person vCluster's refusal comes back at once as a pending
// approval of exactly this operation, as pact_exec's does: once a human
// accepts it, the tool is called again with approval_id.

#include "actors/client/approval.hpp"
#include "actors/client/changes.hpp"
#include "actors/client/delegation.hpp"
#include "mcp/tool_specs.hpp"
#include "mcp/tools.hpp"
#include "runtime/delegation/lattice_views.hpp"
#include "runtime/policy/agent_action.hpp"
#include "runtime/policy/approval_id.hpp"
#include "runtime/render/failure.hpp"

namespace pact::mcp {

namespace d = delegation;

namespace {

/// Runs `op` through the journal; `tool` names the tool to call again
/// with a grant.
tool_result delegate(const bridge& b, client::delegated_op op,
                     const std::function<expected<json>()>& call,
                     const std::string& tool) {
  if (!op.grant_id.empty() && !policy::is_approval_id(op.grant_id))
    return failed(
      make_error("approval_id: " + policy::bad_approval_id_text(op.grant_id)));
  bridge_session bs{b};
  if (!bs.s)
    return failed(bs.s.err());
  bool approval_required = false;
  auto r = client::run_delegated(*bs, op, call, &approval_required);
  if (!r && approval_required && op.grant_id.empty()) {
    auto asked = client::request_agent_approval(*bs, client::grant_action(op));
    if (!asked)
      return failed(asked.err());
    const auto& a = asked->result().approval();
    return held(a, "call " + tool + " again with approval_id " + a.id());
  }
  if (!r)
    return failed(r.err());
  json answer = r->answer;
  std::string warning = bs.warning;
  if (r->outcome_unrecorded) {
    // lattice did it; only the journal's record of the outcome is missing.
    auto why = "the outcome could not be recorded in pact's journal ("
               + render::failure_text(*r->outcome_unrecorded)
               + "); its request entry " + std::to_string(r->request_sequence)
               + " stays open";
    answer["warning"] = why;
    warning += "warning: " + why + "\n";
  }
  return lattice_answer(answer, warning);
}

} // namespace

tool_call undrain_call(const bridge& b) {
  return [&b](const json& args, call_context&) -> tool_result {
    auto settings = lattice_settings(b);
    if (!settings)
      return failed(settings.err());
    client::delegated_op op;
    op.action = "undrain";
    op.node = string_arg(args, "node");
    op.backend = "lattice";
    op.endpoint = settings->endpoint;
    op.grant_id = string_arg(args, "approval_id");
    if (auto st = client::check_node_name(op.node); !st)
      return failed(st.err());
    const auto& s = *settings;
    return delegate(
      b, op, [&] { return d::undrain_node(s, op.node); }, "pact_undrain");
  };
}

tool_call backup_create_call(const bridge& b) {
  return [&b](const json& args, call_context&) -> tool_result {
    auto settings = lattice_settings(b);
    if (!settings)
      return failed(settings.err());
    client::delegated_op op;
    op.action = "backup.create";
    op.path = string_arg(args, "path");
    if (auto st = d::check_backup_path(op.path); !st)
      return failed(st.err());
    op.backend = "lattice";
    op.endpoint = settings->endpoint;
    const auto& s = *settings;
    return delegate(
      b, op, [&] { return d::backup_create(s, op.path); },
      "pact_backup_create");
  };
}

} // namespace pact::mcp
