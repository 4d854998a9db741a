// pact_exec (the node's agent) and pact_emergency (the journal). The
// agent and the journal decide who may: an AI principal runs only
// read-only commands where ai_exec_allowed, and never starts an
// emergency; the bridge only asks the human before a command that is not
// read-only (confirm.hpp).

#include <filesystem>

#include "actors/client/agent_drift.hpp"
#include "actors/client/agent_exec.hpp"
#include "actors/client/approval.hpp"
#include "actors/client/changes.hpp"
#include "actors/client/write_ops.hpp"
#include "mcp/confirm.hpp"
#include "mcp/tool_specs.hpp"
#include "mcp/tools.hpp"
#include "runtime/common/terminal_text.hpp"
#include "runtime/policy/agent_action.hpp"
#include "runtime/policy/approval_id.hpp"
#include "runtime/render/journal_render.hpp"
#include "runtime/render/write_render.hpp"

namespace pact::mcp {

namespace {

std::string base_name(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

/// Whether `program` is one of the read_only_commands of the policy that
/// governs `node` (its vCluster's), matched by name as the client sees it:
/// the agent resolves and decides for real, this only spares the human a
/// question. Unknown (no journal answer, no vCluster) counts as not
/// read-only, so the human is asked.
bool read_only_on(bridge_session& bs, const std::string& node,
                  const std::string& program) {
  if (!bs.s || node.empty())
    return false;
  auto st = (*bs).state("", node);
  if (!st || st->nodes_size() != 1 || st->nodes(0).vcluster().empty())
    return false;
  auto overlay = (*bs).overlay(st->nodes(0).vcluster());
  if (!overlay)
    return false;
  for (const auto& c : overlay->policy().read_only_commands())
    if (c == program || base_name(c) == base_name(program))
      return true;
  return false;
}

std::string exec_text(const protocol::ExecReply& r, const std::string& out,
                      const std::string& err, const std::string& program) {
  std::string text = utf8_safe(out);
  if (!err.empty())
    text += (text.empty() || text.back() == '\n' ? "" : "\n")
            + std::string("stderr:\n") + utf8_safe(err);
  if (r.timed_out())
    text += "pact: " + terminal_safe(program) + " was killed after its "
            + "timeout of " + std::to_string(r.timeout_seconds()) + " s\n";
  if (r.truncated())
    text += "pact: output truncated (the agent's "
            "agent.exec.max_output_bytes)\n";
  return text + "exit status " + std::to_string(r.exit_code()) + "\n";
}

} // namespace

tool_call exec_call(const bridge& b) {
  return [&b](const json& args, call_context& ctx) -> tool_result {
    auto a = decode_exec_args(args);
    const auto& node = a.node;
    if (a.command.empty() || a.command.front().empty())
      return failed(make_error("exec: no command given"));
    // Checked before the human is asked: nothing with a NUL can run.
    for (std::size_t i = 0; i < a.command.size(); ++i)
      if (a.command[i].find('\0') != std::string::npos)
        return failed(make_error("exec: command[" + std::to_string(i)
                                 + "] holds a NUL byte"));
    if (!a.approval_id.empty() && !policy::is_approval_id(a.approval_id))
      return failed(make_error("approval_id: "
                               + policy::bad_approval_id_text(a.approval_id)));
    bridge_session bs{b};
    auto agent = node_agent(b, bs, node);
    if (!agent)
      return failed(agent.err());
    const auto& program = a.command.front();
    // The agent at PACT_AGENT_ENDPOINT ("local"): its node's policy counts.
    auto named = node.empty() ? client::served_node(b.cfg, *agent, node)
                              : expected<std::string>(node);
    if (!read_only_on(bs, named ? *named : node, program))
      if (auto no = confirm_destructive(
            ctx, b.allow_destructive,
            "run `" + terminal_safe(program) + "` (not a read-only command) on "
              + (node.empty() ? std::string("the local node") : node)))
        return failed(make_error(*no, exit_code::policy_rejection));
    std::string out, err;
    bool needs_grant = false;
    auto reply = client::agent_exec(
      b.cfg, *agent, node, a.command, a.timeout_seconds,
      [&](const protocol::ExecChunk& c) {
        (c.stream() == 2 ? err : out) += c.data();
      },
      a.approval_id, &needs_grant, [&ctx] { return ctx.cancelled(); });
    if (!reply && needs_grant && a.approval_id.empty()) {
      // Two-person vCluster: ask for a grant of exactly this command and
      // hand its id back at once; the agent uses it when called again.
      auto served = client::served_node(b.cfg, *agent, node);
      if (!served)
        return failed(served.err());
      if (!bs.s)
        return failed(bs.s.err());
      auto asked = client::request_agent_approval(
        *bs, policy::exec_action(*served, a.command));
      if (!asked)
        return failed(asked.err());
      return held(asked->result().approval(),
                  "call pact_exec again with approval_id "
                    + asked->result().approval().id());
    }
    if (!reply)
      return failed(reply.err());
    return {exec_text(*reply, out, err, program),
            {{"exit_code", reply->exit_code()},
             {"stdout", utf8_safe(out)},
             {"stderr", utf8_safe(err)},
             {"truncated", reply->truncated()},
             {"timed_out", reply->timed_out()}},
            false};
  };
}

tool_call emergency_call(const bridge& b) {
  return [&b](const json& args, call_context&) -> tool_result {
    auto a = decode_emergency_args(args);
    if (a.action != "end" && a.force)
      return failed(
        make_error("emergency " + a.action + ": force applies to end only"));
    bridge_session bs{b};
    if (!bs.s)
      return failed(bs.s.err());
    if (a.action == "status") {
      if (!a.node.empty())
        return failed(make_error("emergency status takes no node (use "
                                 "vcluster to narrow it)"));
      auto st = (*bs).state(a.vcluster, "");
      if (!st)
        return failed(st.err());
      return {bs.warning + render::emergencies_text(*st),
              {{"emergencies", render::emergencies_json(*st)}},
              false};
    }
    protocol::Scope scope;
    if (!a.node.empty() && !a.vcluster.empty())
      return failed(make_error("emergency " + a.action
                               + ": give node or vcluster, not both"));
    if (!a.node.empty()) {
      if (auto st = client::check_node_name(a.node); !st)
        return failed(st.err());
      scope.set_node(a.node);
    } else if (!a.vcluster.empty()) {
      scope.set_vcluster(a.vcluster);
    } else {
      return failed(make_error("emergency " + a.action
                               + ": name the node or the vcluster"));
    }
    protocol::JournalCommand cmd;
    *cmd.mutable_scope() = scope;
    if (a.action == "start") {
      if (a.reason.empty())
        return failed(make_error("emergency start: give the reason (it is "
                                 "recorded for the audit)"));
      cmd.set_kind(protocol::COMMAND_KIND_EMERGENCY_START);
      cmd.set_emergency_reason(a.reason);
      cmd.set_message(a.reason);
    } else {
      cmd.set_kind(protocol::COMMAND_KIND_EMERGENCY_END);
      cmd.set_force(a.force);
      cmd.set_message(a.reason);
    }
    auto r = (*bs).command(cmd);
    if (!r)
      return failed(r.err());
    if (policy::held_for_approval(r->result()))
      return held(r->result().approval());
    if (a.action == "end")
      return {render::emergency_ended_text(scope, *r),
              render::emergency_ended_json(scope, *r), false};
    auto em = client::active_emergency(*bs, scope);
    const protocol::Emergency* shown = em ? &*em : nullptr;
    return {render::emergency_started_text(scope, *r, shown),
            render::emergency_started_json(scope, *r, shown), false};
  };
}

} // namespace pact::mcp
