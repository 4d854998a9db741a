#pragma once

/// What `pact exec` and `pact service restart` do when the node's agent
/// refuses for want of a second person's grant (two-person vCluster; issue
/// 14 item 1; docs/agent.md, "Approval"): ask the journal for approval of
/// exactly that action, wait for the decision in the guide's words
/// (approval_wait.hpp: Ctrl-C leaves it pending, exit 0), and hand back the
/// grant's id for the request to be sent again. `--approval ID` sends a
/// grant approved after its requester left, without waiting.

#include <functional>
#include <string>

#include "cli/commands.hpp"
#include <pact/protocol/journal.pb.h>

namespace pact::cli {

/// The id `--approval` gave (empty when none), checked: anything that is
/// not an approval id is an error (exit 1) before anything is sent.
expected<std::string> approval_flag(const context& ctx);

/// The command that uses grant `id` on node `served` later, for the
/// backgrounded message ("pact exec --approval ID NODE -- CMD").
using redeem_text = std::function<std::string(const std::string& served,
                                              const std::string& id)>;

/// The action to approve, on node `served`.
using action_of
  = std::function<protocol::AgentAction(const std::string& served)>;

/// Asks the journal to approve the action `what` makes of the node the
/// agent at `agent` serves (`node`, or for this host's agent, `node`
/// empty, the name it answers with: a grant names the node by its id),
/// waits for the decision and returns the approved grant's id. Errors:
/// denied (exit 3), expired (exit 5), backgrounded by Ctrl-C (exit 0,
/// saying how to use it later), the journal's own refusal.
expected<std::string>
obtain_grant(const context& ctx, const endpoint& agent, const std::string& node,
             const action_of& what, const redeem_text& redeem_hint);

/// The same for an action already built, on an open session: asks the
/// journal to approve `what`, waits, and returns the grant's id; `redeem`
/// gives the command that uses grant ID later (the backgrounded message).
expected<std::string>
await_grant(client::journal_session& s, const protocol::AgentAction& what,
            const std::function<std::string(const std::string&)>& redeem);

} // namespace pact::cli
