#pragma once

/// pact's one typed error category across actor and process boundaries
/// (issue 8 item 3, issue 9 item 2). Failures of the journal itself are
/// `caf::error`s of category "pact" whose code is a protocol::ErrorReason and
/// whose context is one string, the operator-readable message. The gateway
/// turns them into a Response status (code + reason + message) with
/// status_code_of(); clients map (code, reason) to an exit code and decide
/// whether to try another replica with retryable(). CAF's own error codes
/// never reach an operator as CAF renders them: message_of() gives a
/// sentence for each one a client path can meet.

#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>

#include <pact/protocol/common.pb.h>

namespace pact::protocol {

/// Category atom of pact errors inside caf::error.
inline constexpr caf::atom_value error_category = caf::atom("pact");

/// A pact error: `reason` with the message an operator reads.
caf::error make_error(ErrorReason reason, std::string message);

/// The reason of `err`: its own for pact errors, TIMEOUT for CAF's request
/// timeout, REPLICA_DOWN for a receiver that terminated, INTERNAL for the
/// rest.
ErrorReason reason_of(const caf::error& err);

/// Operator-readable text of `err`: the message of a pact error (or of a
/// CAF runtime_error carrying one string), a fixed sentence for CAF's own
/// codes. Never CAF's rendering ("system_error(...)").
std::string message_of(const caf::error& err);

/// The response status code of a reason (exit code via render::exit_code_of,
/// runtime/render/failure.hpp): availability problems are UNAVAILABLE (exit 5),
/// a full or failed store and internal faults ERROR (exit 1), malformed
/// requests INVALID_ARGUMENT.
StatusCode status_code_of(ErrorReason reason);

/// True when a client may send the same request to another replica: the
/// request was not executed (no leader, replica down, overloaded, read
/// unavailable) or, for writes, is deduplicated by its client request id
/// (outcome unknown, timeout). Store failures and bad requests are not.
bool retryable(ErrorReason reason);

/// Short name of a reason for logs ("no-leader").
const char* to_string(ErrorReason reason);

} // namespace pact::protocol
