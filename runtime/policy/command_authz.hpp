#pragma once

/// Who may run which journal command (DESIGN.md §5, built-in RBAC). The
/// gateway calls this after authentication and before proposing; the state
/// machine then applies the vCluster-policy rules (AI principals and
/// emergencies, blacklists, exec permissions) deterministically.

#include <string>
#include <vector>

#include <pact/protocol/journal.pb.h>

#include "runtime/policy/request_auth.hpp"
#include "runtime/policy/roles.hpp"

namespace pact::policy {

/// The vClusters a command writes to; "" for cluster-wide commands (global
/// scope). Enrolling a node writes to the vCluster it joins and to the one
/// it leaves. `node_vcluster` is the vCluster the command's node
/// belongs to, when its scope is a node ("" when not enrolled).
std::vector<std::string> written_vclusters(const protocol::JournalCommand& cmd,
                                           const std::string& node_vcluster);

/// Empty when `roles` may run `cmd`; otherwise the reason, phrased for the
/// operator ("policy: denied: …").
std::string command_denial(const authenticated& who,
                           const protocol::JournalCommand& cmd,
                           const std::string& node_vcluster);

/// The author recorded in the journal: the token's subject, its principal
/// type (the token's `pact_principal_type` claim; always an agent for the
/// AI service role) and the role that
/// authorizes writing to `vcluster` (or the first role held).
protocol::Identity author_of(const authenticated& who,
                             const std::string& vcluster);

/// The group name of a role ("pact-ops-ml").
std::string role_name(const role& r);

} // namespace pact::policy
