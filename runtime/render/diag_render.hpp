#pragma once

/// What `pact diag` prints (docs/cli.md, docs/agent.md "Diag"): one
/// `--- SOURCE ---` block per source with its lines, oldest first; JSON for
/// `--output json`. Every line from the node goes through terminal_safe.

#include <string>

#include <nlohmann/json.hpp>

#include <pact/protocol/api.pb.h>

namespace pact::render {

/// Per block: "--- SOURCE ---", then "(truncated)" when older matching
/// lines were left out, "(NOTE)" when the source could not be read, then
/// its lines. Every output line starts with `prefix` ("[node-042] " in a
/// fleet diag, else empty).
std::string diag_text(const protocol::DiagReply& r,
                      const std::string& prefix = {});

/// {"node", "lines", "blocks": [{"source", "lines", "truncated", "note"}]}.
nlohmann::json diag_json(const protocol::DiagReply& r);

} // namespace pact::render
