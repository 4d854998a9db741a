#include "actors/client/agent_shell.hpp"

#include "actors/client/enroll_client.hpp"

#include <caf/send.hpp>

#include "actors/client/access.hpp"
#include "actors/client/journal_session.hpp"
#include "protocol/caf_types.hpp"

namespace pact::client {

expected<protocol::ShellReply>
agent_shell(const config::values& cfg, const endpoint& agent,
            const std::string& node, const shell_terminal& terminal,
            const std::function<void(const std::string&)>& on_output,
            const std::function<void(const shell_handle&)>& on_attach) {
  auto token = resolve_token(cfg);
  if (!token)
    return token.err();
  protocol::Request req;
  req.set_request_id("shell");
  auto* sh = req.mutable_shell();
  sh->set_node(node);
  sh->set_term(terminal.term);
  sh->set_rows(terminal.rows);
  sh->set_cols(terminal.cols);
  // The answer comes when the session has closed, which the operator
  // decides (the agent closes idle ones): no deadline of pact's own beyond
  // a week; a lost connection still ends the wait at once.
  auto extra = std::chrono::hours(24 * 7);
  auto opts = agent_options(cfg, agent, node_of(req), std::move(*token),
                            timeout_of(cfg));
  if (!opts)
    return opts.err();
  journal_session s(nullptr, std::move(*opts));
  auto resp = s.conn().call_streaming(
    std::move(req), extra,
    [&](const std::string& bytes) {
      protocol::ExecChunk c;
      if (c.ParseFromString(bytes))
        on_output(c.data());
    },
    [&](const caf::actor& session, const std::string& secret) {
      on_attach(shell_handle{session, secret});
    });
  if (!resp)
    return resp.err();
  if (!resp->has_shell_reply())
    return make_error("the agent at " + agent.url()
                      + " does not serve shell (an older pact-agent?)");
  return resp->shell_reply();
}

void send_shell_input(const shell_handle& h, std::string bytes) {
  caf::anon_send(h.session, protocol::shell_input_atom::value, h.secret,
                 std::move(bytes));
}

void send_shell_resize(const shell_handle& h, unsigned rows, unsigned cols) {
  caf::anon_send(h.session, protocol::shell_resize_atom::value, h.secret,
                 static_cast<uint32_t>(rows), static_cast<uint32_t>(cols));
}

} // namespace pact::client
