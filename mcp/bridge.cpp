#include "mcp/bridge.hpp"

#include "actors/client/agent_drift.hpp"
#include "actors/client/changes.hpp"
#include "runtime/common/terminal_text.hpp"
#include "runtime/render/failure.hpp"
#include "runtime/render/journal_render.hpp"

namespace pact::mcp {

expected<options> bridge_options(const config::env_lookup& env) {
  options o;
  if (auto v = env("PACT_MCP_ALLOW_DESTRUCTIVE"); v && !v->empty()) {
    if (*v == "1" || *v == "true")
      o.allow_destructive = true;
    else if (*v != "0" && *v != "false")
      return make_error("PACT_MCP_ALLOW_DESTRUCTIVE='" + terminal_safe(*v)
                        + "' is not 1, true, 0 or false");
  }
  if (auto v = env("PACT_MCP_PAGE_SIZE"); v && !v->empty()) {
    // Digits only: stoul would also take " 5" and "+5".
    bool digits = v->size() <= 4
                  && v->find_first_not_of("0123456789") == std::string::npos;
    unsigned long n = digits ? std::stoul(*v) : 0;
    if (n < 1 || n > 1000)
      return make_error("PACT_MCP_PAGE_SIZE='" + terminal_safe(*v)
                        + "' is not a number of tools from 1 to 1000");
    o.page_size = n;
  }
  return o;
}

tool_result failed(const error& e) {
  return {render::failure_text(e), {{"error", render::failure_json(e)}}, true};
}

tool_result held(const protocol::Approval& a, const std::string& then) {
  auto scope = render::scope_text(a.scope());
  std::string text = "approval required: " + a.action() + " on " + scope
                     + " is held as " + a.id() + " until "
                     + render::time_text(a.expires_unix_ms())
                     + "; nothing is applied until a second human accepts "
                       "it (pact approve accept "
                     + a.id() + ")";
  if (!then.empty())
    text += ", then " + then;
  return {terminal_safe(text) + "\n",
          {{"pending_approval",
            {{"id", a.id()},
             {"scope", scope},
             {"action", a.action()},
             {"requester", a.requester().principal()},
             {"expires", render::time_text(a.expires_unix_ms())}}}},
          false};
}

bridge_session::bridge_session(const bridge& b)
  : s(client::journal_session::open(b.cfg, &b.sys, "PACT_MCP_TOKEN")) {
  if (s)
    (*s)->on_stale([this](const std::string& reason) {
      if (warning.empty())
        warning = "warning: possibly stale answer: " + reason + "\n";
    });
}

expected<endpoint> node_agent(const bridge& b, bridge_session& s,
                              const std::string& node) {
  if (!node.empty())
    if (auto st = client::check_node_name(node); !st)
      return st.err();
  return client::node_agent(
    b.cfg,
    [&]() -> expected<client::journal_session*> {
      if (!s.s)
        return s.s.err();
      return s.s->get();
    },
    node);
}

} // namespace pact::mcp
