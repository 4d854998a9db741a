#include "mcp/tools.hpp"

#include <memory>
#include <tuple>

#include "actors/client/journal_session.hpp"
#include "mcp/tool_specs.hpp"
#include "runtime/common/clock.hpp"
#include "runtime/render/failure.hpp"
#include "runtime/render/time_bound.hpp"

namespace pact::mcp {

namespace {

/// A failed call as the CLI reports it: the same line (without "pact: ")
/// and, for programs, the exit code `pact` would give.
tool_result failed(const error& e) {
  return {render::failure_text(e), {{"error", render::failure_json(e)}}, true};
}

/// One tool call's journal session, as the bridge (PACT_MCP_TOKEN first).
/// A possibly stale answer is announced at the top of the text, as the CLI
/// does on stderr.
struct bridge_session {
  expected<std::unique_ptr<client::journal_session>> s;
  std::string warning;

  bridge_session(caf::actor_system& sys, const config::values& cfg)
    : s(client::journal_session::open(cfg, &sys, "PACT_MCP_TOKEN")) {
    if (s)
      (*s)->on_stale([this](const std::string& reason) {
        if (warning.empty())
          warning = "warning: possibly stale answer: " + reason + "\n";
      });
  }
};

tool log_tool(caf::actor_system& sys, const config::values& cfg) {
  tool t = log_tool_spec();
  t.call = [&sys, cfg](const json& args) -> tool_result {
    bridge_session b{sys, cfg};
    if (!b.s)
      return failed(b.s.err());
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
    auto v = (*b.s)->log(q);
    if (!v)
      return failed(v.err());
    tool_result r{b.warning + render::log_text(*v), render::log_json(*v),
                  false};
    if (auto st = render::log_outcome(*v); !st) {
      r.text += render::failure_text(st.err()) + "\n";
      r.structured["error"] = render::failure_json(st.err());
      r.is_error = true;
    }
    return r;
  };
  return t;
}

tool diff_tool(caf::actor_system& sys, const config::values& cfg) {
  tool t = diff_tool_spec();
  t.call = [&sys, cfg](const json& args) -> tool_result {
    bridge_session b{sys, cfg};
    if (!b.s)
      return failed(b.s.err());
    auto a = decode_diff_args(args);
    auto d = (*b.s)->diff(a.node, cfg.get_string("vcluster"), a.committed);
    if (!d)
      return failed(d.err());
    return {b.warning + render::node_diff_text(*d), render::node_diff_json(*d),
            false};
  };
  return t;
}

tool status_tool(caf::actor_system& sys, const config::values& cfg) {
  tool t = status_tool_spec();
  t.call = [&sys, cfg](const json& args) -> tool_result {
    bridge_session b{sys, cfg};
    if (!b.s)
      return failed(b.s.err());
    auto a = decode_status_args(args, cfg.get_string("vcluster"));
    auto v = (*b.s)->status(a.node, a.vcluster);
    if (!v)
      return failed(v.err());
    auto now = system_clock{}.now_unix_ms();
    return {b.warning + render::status_view_text(*v, now),
            render::status_view_json(*v, now), false};
  };
  return t;
}

} // namespace

std::vector<tool> make_tools(caf::actor_system& sys,
                             const config::values& cli_cfg) {
  return {status_tool(sys, cli_cfg), log_tool(sys, cli_cfg),
          diff_tool(sys, cli_cfg)};
}

} // namespace pact::mcp
