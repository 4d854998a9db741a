#pragma once

/// What `pact` does with a write the journal held for a second person's
/// approval (issue 14 item 1; operator guide, "Two-Person Approval
/// Workflow"): it says so in the guide's words, waits for the decision,
/// and finishes with the operation's own result. Ctrl-C leaves the request
/// pending (exit 0, saying so); a denial exits 3, an expiry 5.

#include "actors/client/journal_session.hpp"

namespace pact::cli {

/// The pending handler of a CLI journal session (journal_session::
/// on_pending). Messages go to stderr, so that stdout stays the result.
expected<protocol::CommandReply>
await_approval(client::journal_session& s, const protocol::CommandReply& held);

/// The same wait for an approval obtained otherwise (an agent action's
/// request): the approval as decided, or an error (denied, expired, or
/// left pending by Ctrl-C: exit 0 then).
expected<protocol::Approval> await_decision(client::journal_session& s,
                                            const protocol::Approval& pending);

} // namespace pact::cli
