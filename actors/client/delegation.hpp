#pragma once

/// A delegated operation as the journal records it (docs/delegation.md),
/// shared by `pact` and `pact-mcp`: the request is recorded first, and
/// authorized there like any write (ops of the node's vCluster or platform
/// admins; a lattice backup: platform admins; two-person vClusters: a
/// second person's grant); only then is the other system called; then the
/// outcome is recorded, closing the request. An operation the journal
/// refuses is never sent.

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "actors/client/journal_session.hpp"
#include "runtime/common/config.hpp"
#include "runtime/common/error.hpp"
#include "runtime/delegation/lattice_client.hpp"
#include "runtime/delegation/node_mgmt.hpp"
#include <pact/protocol/journal.pb.h>

namespace pact::client {

/// What is delegated.
struct delegated_op {
  /// "drain", "undrain", "cordon", "uncordon", "backup.create", "reboot",
  /// "reimage".
  std::string action;
  /// Every action but backup.create.
  std::string node;
  /// backup.create: where lattice writes it.
  std::string path;
  /// drain -r.
  std::string reason;
  /// reboot, reimage --force.
  bool force = false;
  /// "lattice", "ochami" or "csm".
  std::string backend;
  /// As configured (PACT_LATTICE_ENDPOINT, PACT_NODE_MGMT_URL).
  std::string endpoint;
  /// A second person's grant for exactly this operation (two-person
  /// vClusters; approval.hpp asks for it), or empty.
  std::string grant_id;
};

/// lattice's settings for a front end with configuration `cfg`:
/// PACT_LATTICE_ENDPOINT (not configured: exit 1 with the guide's words,
/// before any token is looked for), PACT_LATTICE_TOKEN or else the
/// operator's pact token (access.hpp resolve_token with
/// `own_token_variable`), the CLI's `ca_bundle` (PACT_CA_BUNDLE; the
/// default /etc/pact/ca.crt when absent means the system's roots).
expected<delegation::lattice_settings>
lattice_settings_of(const config::values& cfg,
                    const char* own_token_variable = nullptr);

/// Node management's settings (PACT_NODE_MGMT_*; node_mgmt.hpp) with the
/// CLI's `ca_bundle` as for lattice.
expected<delegation::node_mgmt_settings>
node_mgmt_settings_of(const config::values& cfg);

/// The agent action a grant for `op` approves (what to ask approval for;
/// the journal redeems the grant only for exactly this).
protocol::AgentAction grant_action(const delegated_op& op);

/// How a delegated operation went.
struct delegated_result {
  /// The other system's answer.
  nlohmann::json answer;
  /// The request entry and the outcome entry (0: not recorded).
  uint64_t request_sequence = 0;
  uint64_t outcome_sequence = 0;
  /// The call was made but its outcome could not be recorded (the journal
  /// became unreachable meanwhile): why. The request entry stays open in
  /// the log; the front end warns.
  std::optional<error> outcome_unrecorded;
};

/// Records `op`'s request, performs `call`, records the outcome.
/// Errors: the journal's refusal of the request (nothing is called; for
/// want of a second person's approval exit 3 with `*approval_required`
/// set), or the call's own error after its failure was recorded.
expected<delegated_result>
run_delegated(journal_session& s, const delegated_op& op,
              const std::function<expected<nlohmann::json>()>& call,
              bool* approval_required = nullptr);

} // namespace pact::client
