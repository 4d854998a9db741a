#pragma once

/// Node enrollment rules (issue 16; docs/security.md, docs/journal.md
/// "Enrollment"). CAF-free and deterministic: the state machine applies
/// them to NODE_ENROLL / NODE_ACTIVATE / NODE_REVOKE, and the gateway asks
/// the same questions of its (possibly stale) state before it signs a CSR,
/// so that a refusal is fast; the state machine's answer is authoritative.
///
/// The life of an enrollment record (protocol::Enrollment):
///
///   (none) --enroll--> REGISTERED --first CSR + token--> ACTIVE
///   ACTIVE --CSR without token (renewal)--> ACTIVE
///   any --revoke--> REVOKED --enroll--> REGISTERED
///   REGISTERED/ACTIVE --enroll (again)--> REGISTERED (fresh token)
///
/// Refusals of an activation are authentication failures
/// (STATUS_CODE_UNAUTHORIZED, exit 2) with messages starting
/// "enrollment: " (the troubleshooting guide's "Common Error Messages").

#include <cstddef>
#include <string>

#include <pact/protocol/journal.pb.h>

namespace pact::journal {

/// What every enrollment token starts with (so an operator and a secret
/// scanner can tell what it is).
inline constexpr const char* enroll_token_prefix = "pact-enroll-";

/// Random bytes in a token (256 bits: guessing one is hopeless).
inline constexpr size_t enroll_token_random_bytes = 32;

/// CSR digests remembered per node for replay detection, newest last.
inline constexpr size_t max_csr_history = 16;

/// Longest hardware identity accepted ("uuid:" + 36 or "mac:" + 17 are
/// what the agent reads; an operator's own text gets some room).
inline constexpr size_t max_hardware_id_bytes = 128;

/// A fresh one-time token: enroll_token_prefix + base64url of
/// enroll_token_random_bytes from OpenSSL's RAND_bytes. Only the gateway
/// calls this (the state machine never draws randomness). Aborts if the
/// system's random source fails (nothing safe can be issued then).
std::string new_enroll_token();

/// SHA-256 of a token's text, 32 raw bytes: what is replicated and
/// compared; the token itself never is.
std::string enroll_token_sha256(const std::string& token);

/// "" when `hw` may be a hardware identity: 1 to max_hardware_id_bytes
/// printable ASCII characters without spaces; else why not.
std::string check_hardware_id(const std::string& hw);

/// What a CSR's bearer claims for an activation.
struct activation_claim {
  std::string node;
  /// The hardware identity the agent read.
  std::string hardware_id;
  /// SHA-256 of the presented token (32 raw bytes); empty for a renewal.
  std::string token_sha256;
  /// SHA-256 of the CSR, lower-case hex.
  std::string csr_sha256;
};

/// "" when `claim` may be activated against `rec` (null: the journal knows
/// no such node); else the refusal message. The order of the checks: an
/// unknown or revoked node; for a first enrollment the token (before the
/// binding, so that a caller without the token learns nothing about it);
/// the hardware binding; a CSR already signed (replay); for a renewal an
/// ACTIVE record.
std::string activation_refusal(const protocol::NodeRecord* rec,
                               const activation_claim& claim);

/// Applies an accepted activation `cmd` (NODE_ACTIVATE) to `en`: ACTIVE,
/// the hardware identity bound when it was not, the token consumed, the
/// certificate recorded with the command's time, the CSR remembered
/// (at most max_csr_history, oldest dropped).
void record_activation(protocol::Enrollment& en,
                       const protocol::JournalCommand& cmd);

/// Applies a registration (NODE_ENROLL carrying a token hash) appended as
/// entry `seq`: REGISTERED, the command's hardware identity (empty: the
/// binding is cleared and the next first CSR binds one), the new token,
/// not revoked. The CSR history and the last certificate stay (replay
/// detection; `pact enroll status` shows what was issued last).
void record_registration(protocol::Enrollment& en,
                         const protocol::JournalCommand& cmd, uint64_t seq);

/// Applies a revocation appended as entry `seq`: REVOKED, token cleared.
void record_revocation(protocol::Enrollment& en, uint64_t seq);

} // namespace pact::journal
