#pragma once

/// The human's go-ahead for a destructive tool (pact_rollback, pact_apply,
/// pact_exec of a command that is not read-only; issue 15 item 3). When the
/// client can ask its user (MCP elicitation), the bridge always asks and
/// does nothing unless the user accepts. When it cannot, the call is
/// refused unless the operator started the bridge with
/// PACT_MCP_ALLOW_DESTRUCTIVE=1. Annotations (destructiveHint) are only
/// hints a client may ignore, so the bridge does not rely on them.

#include <optional>
#include <string>

#include "mcp/server.hpp"

namespace pact::mcp {

/// Nothing when `what` (an imperative phrase: "roll vc:ml back to entry
/// 12") may go ahead; else why not, for a tool error (nothing was done).
std::optional<std::string> confirm_destructive(call_context& ctx,
                                               bool allow_without_asking,
                                               const std::string& what);

/// The form asked: one required boolean, `confirm`.
json confirmation_schema();

} // namespace pact::mcp
