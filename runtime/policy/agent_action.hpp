#pragma once

/// The agent's side of two-person approval (issue 14 item 1;
/// docs/agent.md, "Approval"), shared by the agent, which refuses and
/// redeems, and the CLI, which asks the journal for the approval: the
/// action a grant names must be built the same way by both, since the
/// journal redeems a grant only for exactly the action it approved.

#include <string>
#include <string_view>
#include <vector>

#include "runtime/policy/request_auth.hpp"
#include <pact/protocol/journal.pb.h>

namespace pact::policy {

/// `pact exec` of `argv` (as the operator sent it, argv[0] as typed) on
/// `node` (the node's id, never "local").
protocol::AgentAction exec_action(const std::string& node,
                                  const std::vector<std::string>& argv);

/// `pact service restart SERVICE` on `node`.
protocol::AgentAction restart_action(const std::string& node,
                                     const std::string& service);

/// The refusal of an action that needs a grant and came without one:
/// "approval required (two-person policy on vcluster: VC)".
std::string approval_required_text(const std::string& vcluster);

/// The refusal of a request naming something that is not an approval id
/// (approval_id.hpp): "'X' is not an approval id (ap- and 8 letters or
/// digits)", X cut to 40 bytes.
std::string bad_approval_id_text(const std::string& id);

/// Whether `action` ("exec", "service.restart") by `who` on a node of
/// `vcluster` under its `policy` waits for a second person, when the
/// decision point allows it at all (for exec the caller still exempts the
/// policy's read_only_commands).
bool needs_second_person(const authenticated& who, std::string_view action,
                         const std::string& vcluster,
                         const protocol::VClusterPolicy& policy);

/// The APPROVAL_REDEEM command that uses grant `approval_id` for `what`
/// (scope: its node). `client_request_id` must be fresh for every
/// attempt: a retried id returns the journal's remembered result, which
/// the agent must not take for a second use of the grant.
protocol::JournalCommand redeem_command(const std::string& approval_id,
                                        const protocol::AgentAction& what,
                                        const std::string& client_request_id);

/// What a journal answer to redeem_command means for the agent: empty when
/// the grant was used now (the action may run once); otherwise why not
/// (the journal's refusal is passed on by its caller; this covers an OK
/// answer that does not show this use: a remembered duplicate, or an
/// approval not left REDEEMED).
std::string redeem_doubt(const protocol::CommandResult& result,
                         const std::string& approval_id);

/// Whether a journal write's `result` is a hold for a second person's
/// approval (two-person policy) rather than the write applied: OK, its
/// approval pending, nothing changed yet.
bool held_for_approval(const protocol::CommandResult& result);

} // namespace pact::policy
