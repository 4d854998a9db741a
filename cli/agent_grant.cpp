#include "cli/agent_grant.hpp"

#include <iostream>

#include "actors/client/agent_drift.hpp"
#include "actors/client/approval.hpp"
#include "cli/approval_wait.hpp"
#include "runtime/policy/agent_action.hpp"
#include "runtime/policy/approval_id.hpp"

namespace pact::cli {

expected<std::string> approval_flag(const context& ctx) {
  if (!ctx.vm.count("approval"))
    return std::string();
  auto id = ctx.vm["approval"].as<std::string>();
  if (!policy::is_approval_id(id))
    return make_error("--approval: " + policy::bad_approval_id_text(id));
  return id;
}

expected<std::string>
obtain_grant(const context& ctx, const endpoint& agent, const std::string& node,
             const action_of& what, const redeem_text& redeem_hint) {
  auto served = client::served_node(ctx.cfg, agent, node);
  if (!served)
    return served.err();
  auto s = open_session(ctx);
  if (!s)
    return s.err();
  return await_grant(**s, what(*served), [&](const std::string& id) {
    return redeem_hint(*served, id);
  });
}

expected<std::string>
await_grant(client::journal_session& s, const protocol::AgentAction& what,
            const std::function<std::string(const std::string&)>& redeem) {
  auto asked = client::request_agent_approval(s, what);
  if (!asked)
    return asked.err();
  const auto& pending = asked->result().approval();
  auto decided = await_decision(s, pending);
  if (!decided) {
    auto e = decided.err();
    // Backgrounded: an agent action is not applied by the journal on
    // approval; it becomes a grant its requester uses later.
    if (e.code == exit_code::success)
      e.message = "backgrounded: " + pending.id()
                  + " stays pending; once a second admin accepts it (`pact "
                    "approve accept "
                  + pending.id() + "`), run `" + redeem(pending.id())
                  + "` before the grant expires";
    return e;
  }
  if (auto why = client::not_granted(*decided))
    return *why;
  std::cerr << "Approved by " << decided->decided_by().principal() << " ("
            << decided->id() << ")" << std::endl;
  return decided->id();
}

} // namespace pact::cli
