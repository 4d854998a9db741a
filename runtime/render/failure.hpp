#pragma once

/// The one table from a failed response to what an operator reads and the
/// exit code (DESIGN.md §6; docs/cli.md "Exit codes" is the interface):
/// `pact` prints failure_text() as "pact: TEXT" on stderr and exits with
/// the code, pact-mcp returns the same text as an `isError` result with the
/// code in its structured content (docs/mcp.md). Nothing here looks at the
/// words of a message: the status code and the typed reason
/// (protocol/common.proto ErrorReason) decide.

#include <string>

#include <nlohmann/json.hpp>

#include "runtime/common/error.hpp"
#include <pact/protocol/common.pb.h>

namespace pact::render {

/// The exit code of a response status code (STATUS_CODE_OK is success;
/// codes this build does not know are general errors).
exit_code exit_code_of(protocol::StatusCode code);

/// The error a failed response status amounts to. A failure of the
/// journal itself — a typed reason, or UNAVAILABLE — names the endpoint
/// (`where`, e.g. "journal at http://j1:9443: MESSAGE"); a refusal of the
/// request's content (policy, conflict, validation) is the server's
/// message alone, as the operator guide prints it.
error failure_of(const protocol::Status& st, const std::string& where);

/// The operator's line for `e`: its message on one line, control
/// characters shown as escapes (runtime/common/terminal_text.hpp).
std::string failure_text(const error& e);

/// `e` for programs: {"message": failure_text, "exit_code": N,
/// "meaning": "timeout / unreachable"} (describe(exit_code)).
nlohmann::json failure_json(const error& e);

} // namespace pact::render
