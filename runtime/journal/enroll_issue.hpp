#pragma once

/// What the gateway does with a node's certificate request (issue 16,
/// docs/security.md), as a pure function so that it is tested without
/// actors: check the request, sign the CSR with the node CA, and build the
/// NODE_ACTIVATE command to propose. The certificate goes to the node only
/// after that command commits; if the state machine refuses it, the
/// certificate is discarded (it was never sent).
///
/// Every refusal is STATUS_CODE_UNAUTHORIZED (the agent exits 2) with a
/// message starting "enrollment: ", except a failure of the CA itself
/// (STATUS_CODE_ERROR).

#include <cstdint>
#include <optional>
#include <string>

#include "runtime/journal/node_ca.hpp"
#include <pact/protocol/api.pb.h>
#include <pact/protocol/journal.pb.h>

namespace pact::journal {

/// Largest CSR accepted, in bytes (a P-256 CSR is under 1 KiB; an RSA-4096
/// one about 2).
inline constexpr size_t max_csr_bytes = 16 * 1024;

struct issue_refusal {
  protocol::StatusCode code = protocol::STATUS_CODE_UNAUTHORIZED;
  std::string message;
};

struct issued_cert {
  std::string cert_pem;
  int64_t not_after_unix_ms = 0;
  /// NODE_ACTIVATE for the node, authored by the node (principal = node,
  /// type service, role pact-node), without stamped roles (the gateway's
  /// own command); the leader stamps its time.
  protocol::JournalCommand activate;
};

struct issue_outcome {
  std::optional<issued_cert> issued;
  /// Set when `issued` is not.
  issue_refusal refusal;
};

/// Checks `req` (node name, hardware id, CSR well formed and naming the
/// node in its subject CN), pre-checks it against `known` when the caller
/// read the node's record (`state_read`: `known` null then means the
/// journal knows no such node; the state machine decides again), then
/// signs it with `ca` for `validity_seconds` from `now_unix_ms`.
issue_outcome
issue_node_cert(const protocol::EnrollRequest& req, const node_ca_material& ca,
                int64_t validity_seconds, int64_t now_unix_ms, bool state_read,
                const protocol::NodeRecord* known);

} // namespace pact::journal
