// The read tools: pact_status, pact_log, pact_diff (the journal) and
// pact_cap, pact_service_status (the node's agent). pact_query_fleet is in
// fleet_tool.cpp.

#include <tuple>

#include <nlohmann/json.hpp>

#include "actors/client/capability_query.hpp"
#include "actors/client/service_query.hpp"
#include "mcp/tool_specs.hpp"
#include "mcp/tools.hpp"
#include "runtime/common/clock.hpp"
#include "runtime/node/diag_filter.hpp"
#include "runtime/render/capability_render.hpp"
#include "runtime/render/failure.hpp"
#include "runtime/render/service_render.hpp"
#include "runtime/render/status_view.hpp"
#include "runtime/render/time_bound.hpp"

namespace pact::mcp {

tool_call log_call(const bridge& b) {
  return [&b](const json& args, call_context&) -> tool_result {
    bridge_session bs{b};
    if (!bs.s)
      return failed(bs.s.err());
    auto a = decode_log_args(args);
    client::log_query q{a.limit, a.scope, a.verify, false};
    auto now = system_clock{}.now_unix_ms();
    // As the CLI reads them: `until` covers the precision written (a
    // time shown in whole seconds includes that second).
    for (auto [name, text, out, side] :
         {std::tuple{"since", &a.since, &q.since_unix_ms,
                     render::bound_side::start},
          std::tuple{"until", &a.until, &q.until_unix_ms,
                     render::bound_side::end}}) {
      if (text->empty())
        continue;
      auto bound = render::parse_time_bound(name, *text, now, side);
      if (!bound)
        return failed(bound.err());
      *out = *bound;
    }
    auto v = (*bs).log(q);
    if (!v)
      return failed(v.err());
    tool_result r{bs.warning + render::log_text(*v), render::log_json(*v),
                  false};
    if (auto st = render::log_outcome(*v); !st) {
      r.text += render::failure_text(st.err()) + "\n";
      r.structured["error"] = render::failure_json(st.err());
      r.is_error = true;
    }
    return r;
  };
}

tool_call diff_call(const bridge& b) {
  return [&b](const json& args, call_context&) -> tool_result {
    bridge_session bs{b};
    if (!bs.s)
      return failed(bs.s.err());
    auto a = decode_diff_args(args);
    auto d = (*bs).diff(a.node, b.cfg.get_string("vcluster"), a.committed);
    if (!d)
      return failed(d.err());
    return {bs.warning + render::node_diff_text(*d), render::node_diff_json(*d),
            false};
  };
}

tool_call status_call(const bridge& b) {
  return [&b](const json& args, call_context&) -> tool_result {
    bridge_session bs{b};
    if (!bs.s)
      return failed(bs.s.err());
    auto a = decode_status_args(args, b.cfg.get_string("vcluster"));
    auto v = (*bs).status(a.node, a.vcluster);
    if (!v)
      return failed(v.err());
    auto now = system_clock{}.now_unix_ms();
    return {bs.warning + render::status_view_text(*v, now),
            render::status_view_json(*v, now), false};
  };
}

tool_call cap_call(const bridge& b) {
  return [&b](const json& args, call_context&) -> tool_result {
    auto a = decode_node_args(args);
    bridge_session bs{b};
    auto agent = node_agent(b, bs, a.node);
    if (!agent)
      return failed(agent.err());
    auto reply = client::ask_capability(b.cfg, *agent, a.node);
    if (!reply)
      return failed(reply.err());
    auto manifest = json::parse(reply->manifest_json(), nullptr, false);
    if (manifest.is_discarded() || !manifest.is_object())
      return failed(make_error("the agent of " + reply->node()
                               + " sent a capability manifest that is not "
                                 "a JSON object"));
    return {render::render_capability_text(manifest,
                                           system_clock{}.now_unix_ms()),
            manifest, false};
  };
}

tool_call service_status_call(const bridge& b) {
  return [&b](const json& args, call_context&) -> tool_result {
    auto a = decode_node_args(args);
    bridge_session bs{b};
    auto agent = node_agent(b, bs, a.node);
    if (!agent)
      return failed(agent.err());
    if (!a.name.empty())
      if (auto st = node::check_service_name(a.name); !st)
        return failed(make_error("service: " + st.err().message));
    protocol::ServiceRequest q;
    q.set_op(protocol::ServiceRequest::OP_STATUS);
    q.set_node(a.node);
    q.set_name(a.name);
    auto reply = client::ask_service(b.cfg, *agent, q);
    if (!reply)
      return failed(reply.err());
    return {render::service_status_text(*reply),
            render::service_status_json(*reply), false};
  };
}

} // namespace pact::mcp
