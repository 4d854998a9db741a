// The journal writes: pact_commit, pact_rollback, pact_apply. Each does
// what `pact` does (actors/client/write_ops.hpp) and answers with what it
// prints (runtime/render/write_render.hpp). A write the journal holds for
// a second person comes back at once as the pending approval; rollback
// and apply ask the human first (confirm.hpp).

#include "actors/client/agent_drift.hpp"
#include "actors/client/changes.hpp"
#include "actors/client/write_ops.hpp"
#include "mcp/confirm.hpp"
#include "mcp/tool_specs.hpp"
#include "mcp/tools.hpp"
#include "runtime/policy/agent_action.hpp"
#include "runtime/render/drift_view.hpp"
#include "runtime/render/journal_render.hpp"
#include "runtime/render/write_render.hpp"
#include "runtime/spec/overlay_spec.hpp"

namespace pact::mcp {

namespace {

/// The journal's reply to a write: held for approval, or done.
bool is_held(const protocol::CommandReply& r) {
  return policy::held_for_approval(r.result());
}

/// The CLI's messages name its flags; the tool's caller knows arguments.
tool_result failed_commit(error e) {
  for (auto [flag, arg] :
       {std::pair{"--if-previous", "if_previous"},
        std::pair{"--unset", "unset"}, std::pair{"--set", "set"},
        std::pair{"--ttl", "ttl_seconds"}})
    for (auto at = e.message.find(flag); at != std::string::npos;
         at = e.message.find(flag, at))
      e.message.replace(at, std::string(flag).size(), arg);
  return failed(e);
}

tool_result refused(const std::string& why) {
  return failed(make_error(why, exit_code::policy_rejection));
}

tool_result commit_node_drift(const bridge& b, bridge_session& bs,
                              const protocol::Scope& target,
                              const commit_args& a) {
  if (target.target_case() != protocol::Scope::kNode)
    return failed(make_error("commit: " + render::scope_text(target)
                             + " has no drift to commit; give the changes "
                               "with set/unset"));
  auto r = client::commit_drift(b.cfg, *bs, target.node(), a.message,
                                a.ttl_seconds.value_or(86400));
  if (!r)
    return failed(r.err());
  if (!*r)
    return {render::no_drift_text(target.node()), render::no_drift_json(target),
            false};
  if (is_held(**r))
    return held((*r)->result().approval());
  const auto& d = (*r)->result().state_delta();
  return {render::commit_text(target, **r, d),
          render::commit_json(target, **r, d), false};
}

} // namespace

tool_call commit_call(const bridge& b) {
  return [&b](const json& args, call_context&) -> tool_result {
    auto a = decode_commit_args(args);
    auto target = client::parse_target(a.target);
    if (!target)
      return failed_commit(target.err());
    if (auto st = client::check_ttl_flag(*target, a.ttl_seconds.value_or(86400),
                                         a.ttl_seconds.has_value());
        !st)
      return failed_commit(st.err());
    bridge_session bs{b};
    if (!bs.s)
      return failed(bs.s.err());
    if (a.set.empty() && a.unset.empty()) {
      if (!a.if_previous.empty())
        return failed(make_error("commit: if_previous conditions a commit "
                                 "given with set/unset"));
      return commit_node_drift(b, bs, *target, a);
    }
    auto delta = client::build_delta(a.set, a.unset);
    if (!delta)
      return failed_commit(delta.err());
    auto expect = client::parse_expectations(a.if_previous);
    if (!expect)
      return failed_commit(expect.err());
    protocol::JournalCommand cmd;
    cmd.set_kind(protocol::COMMAND_KIND_COMMIT);
    *cmd.mutable_scope() = *target;
    *cmd.mutable_state_delta() = *delta;
    for (auto& x : *expect)
      *cmd.add_expect_previous() = x;
    cmd.set_message(a.message);
    if (target->target_case() == protocol::Scope::kNode)
      cmd.set_ttl_seconds(a.ttl_seconds.value_or(86400));
    auto r = (*bs).command(cmd);
    if (!r)
      return failed(r.err());
    if (is_held(*r))
      return held(r->result().approval());
    auto recorded = client::recorded_delta(*bs, *r, *delta);
    return {render::commit_text(*target, *r, recorded),
            render::commit_json(*target, *r, recorded), false};
  };
}

tool_call rollback_call(const bridge& b) {
  return [&b](const json& args, call_context& ctx) -> tool_result {
    auto a = decode_rollback_args(args);
    bridge_session bs{b};
    if (!bs.s)
      return failed(bs.s.err());
    auto entry = client::entry_at(*bs, a.sequence);
    if (!entry)
      return failed(entry.err());
    protocol::Scope scope = entry->scope();
    if (!a.scope.empty()) {
      auto t = client::parse_target(a.scope);
      if (!t)
        return failed(t.err());
      scope = *t;
    }
    auto seq = std::to_string(a.sequence);
    if (auto no = confirm_destructive(ctx, b.allow_destructive,
                                      "roll " + render::scope_text(scope)
                                        + " back to entry " + seq))
      return refused(*no);
    auto message = a.message.empty() ? "rollback to " + seq : a.message;
    if (scope.target_case() == protocol::Scope::kNode) {
      auto agent = client::find_agent(b.cfg, *bs, scope.node());
      if (!agent)
        return failed(agent.err());
      if (*agent) {
        auto r = client::rollback_node(b.cfg, *bs, **agent, scope.node(),
                                       a.sequence, entry->timestamp_unix_ms(),
                                       a.force, message);
        if (!r)
          return failed(r.err());
        tool_result out{render::restored_text(*r, scope, a.sequence),
                        render::restored_json(*r, scope, a.sequence), false};
        for (const auto& i : r->restored())
          out.is_error = out.is_error || i.outcome() == "failed";
        return out;
      }
    }
    protocol::JournalCommand cmd;
    cmd.set_kind(protocol::COMMAND_KIND_ROLLBACK);
    *cmd.mutable_scope() = scope;
    cmd.set_rollback_to(a.sequence);
    cmd.set_message(message);
    auto r = (*bs).command(cmd);
    if (!r)
      return failed(r.err());
    if (is_held(*r))
      return held(r->result().approval());
    return {render::rollback_text(scope, a.sequence, *r),
            render::rollback_json(scope, a.sequence, *r), false};
  };
}

tool_call apply_call(const bridge& b) {
  return [&b](const json& args, call_context& ctx) -> tool_result {
    auto a = decode_apply_args(args);
    // The name errors carry: line and key come from the parser.
    auto specs = spec::parse_spec_text(a.spec, "spec");
    if (!specs)
      return failed(specs.err());
    bridge_session bs{b};
    if (!bs.s)
      return failed(bs.s.err());
    if (a.dry_run) {
      auto st = (*bs).state("", "");
      if (!st)
        return failed(st.err());
      return {bs.warning + render::apply_plan_text(*specs, *st),
              render::apply_plan_json(*specs, *st), false};
    }
    std::string names;
    for (auto& s : *specs)
      names += (names.empty() ? "" : ", ") + s.vcluster();
    if (auto no = confirm_destructive(
          ctx, b.allow_destructive,
          "replace the overlay" + std::string(specs->size() == 1 ? "" : "s")
            + " of vCluster " + names + " with the given spec"))
      return refused(*no);
    protocol::JournalCommand cmd;
    cmd.set_kind(protocol::COMMAND_KIND_OVERLAY_APPLY);
    for (auto& o : *specs)
      *cmd.add_overlays() = o;
    cmd.set_message(a.message.empty() ? "apply spec" : a.message);
    auto r = (*bs).command(cmd);
    if (!r)
      return failed(r.err());
    if (is_held(*r))
      return held(r->result().approval());
    return {render::apply_text(*specs, *r), render::apply_json(*specs, *r),
            false};
  };
}

} // namespace pact::mcp
