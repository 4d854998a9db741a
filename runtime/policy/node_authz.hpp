#pragma once

/// What a node credential may do (DESIGN.md §5; issue 11 item 1): a token
/// whose groups hold `pact-node` acts for the node named in its `sub`, and
/// for that node only, until enrollment gives the agent a certificate. It
/// may
///
///   * boot: stream the node's overlay and node delta (the vCluster it is
///     enrolled in, or, before enrollment, the one it asks for);
///   * report: send the node's NodeReport (liveness and actor tree);
///   * write the node's own events: DRIFT_DETECTED, AUTO_CONVERGE, and
///     RECORD of capability-change, boot-config, window-expired,
///     drift-resolved and the audit types of the node's admin operations
///     (exec-log, shell-session, service-lifecycle).
///
/// Everything else (commits, rollbacks, other nodes, vCluster or global
/// scope, every read but its boot stream) is refused with the usual
/// "policy: denied: …" authorization error (exit 2). Pure: the gateway and
/// the state machine (decide_at_apply) ask the same functions.

#include <string>
#include <vector>

#include <pact/protocol/api.pb.h>

#include "runtime/policy/read_authz.hpp"
#include "runtime/policy/request_auth.hpp"
#include "runtime/policy/roles.hpp"

namespace pact::policy {

/// Whether `roles` hold the node credential role.
bool holds_node_role(const std::vector<role>& roles);

/// Whether the node credential is all `roles` carry that could authorize a
/// write or a read (no admin, ops, viewer, regulated or AI role beside it).
bool node_role_only(const std::vector<role>& roles);

/// Whether `cmd`'s kind (and record type) is one a node writes about
/// itself; says nothing about which node.
bool is_node_event(const protocol::JournalCommand& cmd);

/// "" when `who`'s node credential allows `cmd`: node-scoped, naming the
/// node of `who`'s subject, and a node event. Otherwise the refusal
/// ("policy: denied: node-1 may not write to node node-2 (a node
/// credential writes for its own node only)"). Callers without the node
/// role get a refusal too.
std::string node_command_denial(const authenticated& who,
                                const protocol::JournalCommand& cmd);

/// A boot-config request for `node` before the journal answers it: "" when
/// `who` may ask (a node credential for its own node; else the vCluster read
/// rule of read_authz on `vcluster`).
std::string boot_request_denial(const authenticated& who,
                                const std::string& node,
                                const std::string& vcluster);

/// A boot-config answer for `node`: for a node credential asking for its
/// own node, "" when the vCluster of every completion marker is the one
/// `of(node)` gives (its enrollment, else its agent's report) or the node
/// belongs to none yet; for anyone else read_authz's boot_denial.
std::string boot_answer_denial(
  const authenticated& who, const std::string& node,
  const google::protobuf::RepeatedPtrField<protocol::BootChunk>& chunks,
  const vcluster_of& of);

/// A NodeReport from an agent: "" when its token verifies against `cfg` at
/// `now_unix_seconds` and is the node credential of `report.node_id()` or a
/// platform admin's; else why the gateway drops it. With `cache`, a token
/// verified before (by a request or an earlier report) is not checked again
/// (request_auth.hpp: agents report every few seconds).
std::string report_denial(const protocol::NodeReport& report,
                          const verifier_config& cfg, int64_t now_unix_seconds,
                          token_cache* cache = nullptr);

} // namespace pact::policy
