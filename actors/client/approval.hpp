#pragma once

/// Two-person approval from the client side (issue 14; docs/approval.md),
/// shared by `pact` and `pact-mcp`: reading approvals, deciding one,
/// asking approval for an agent action, and waiting for a decision.

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "actors/client/journal_session.hpp"
#include "runtime/common/error.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::client {

/// The approval `id` as the journal holds it now; exit 1 when it holds
/// none by that id (or the caller may not read its vCluster).
expected<protocol::Approval> find_approval(journal_session& s,
                                           const std::string& id);

/// The approvals the caller may read (of `vcluster` when not empty), by
/// id: pending, granted and those decided in the last week.
expected<std::vector<protocol::Approval>>
list_approvals(journal_session& s, const std::string& vcluster);

/// Accepts (`approve`) or denies (with `reason`) the pending approval
/// `id`. The reply's result carries the approval as decided and, for an
/// accepted journal write, what applying it returned.
expected<protocol::CommandReply>
decide_approval(journal_session& s, const std::string& id, bool approve,
                const std::string& reason);

/// Asks approval for an agent action an agent refused for want of one
/// (Status.approval_required). The reply's approval is pending, or already
/// approved when the caller owns the node's active emergency.
expected<protocol::CommandReply>
request_agent_approval(journal_session& s, const protocol::AgentAction& what);

/// How a wait for a decision ended.
struct wait_outcome {
  /// The approval as last read (no longer pending unless `interrupted`).
  protocol::Approval approval;
  /// The caller's `interrupted()` said stop (Ctrl-C): still pending.
  bool interrupted = false;
};

/// Reads `pending` every `poll` until a decision (or its expiry) is
/// recorded, or `interrupted()` returns true. A read that fails is retried
/// until the approval's deadline plus a minute has passed (then exit 5);
/// the first failure is handed to `on_unreachable` (a warning to print).
expected<wait_outcome>
wait_for_decision(journal_session& s, const protocol::Approval& pending,
                  const std::function<bool()>& interrupted,
                  const std::function<void(const error&)>& on_unreachable = {},
                  std::chrono::milliseconds poll = std::chrono::seconds(1));

/// The error a decided approval's requester sees when it did not go
/// through: denied (exit 3, naming who and why), expired (exit 5: nobody
/// decided in time; discarded), a grant already used (exit 4). None for an
/// approved one.
std::optional<error> not_granted(const protocol::Approval& a);

/// "30 min", "1 h 30 min", "45 s": a deadline `ms` from now, for people.
std::string duration_text(int64_t ms);

} // namespace pact::client
