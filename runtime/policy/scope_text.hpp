#pragma once

/// The text form of a journal scope that operators read and type:
/// "global", "vc:NAME", "node:NAME" (docs/cli.md "Scopes"). It lives in the
/// policy layer because refusals name scopes and the journal's state
/// machine, which authorizes at apply time, sits above policy.

#include <string>

#include <pact/protocol/journal.pb.h>

namespace pact::policy {

/// "global", "vc:NAME" or "node:NAME"; empty for a scope without a target.
std::string scope_key(const protocol::Scope& scope);

} // namespace pact::policy
