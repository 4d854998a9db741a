#pragma once

/// Tool arguments against a tool's inputSchema (MCP tools/call: "arguments"
/// must conform to the tool's inputSchema; a mismatch is JSON-RPC -32602).
/// No JSON Schema validator is packaged for C++ in Debian 12, so this checks
/// the subset of JSON Schema 2020-12 that pact's schemas use:
///   type (object, string, integer, number, boolean, array, null),
///   properties, required, additionalProperties (false), minimum, maximum,
///   minLength, maxLength (in characters, i.e. code points).
/// Other keywords (description, title ...) are annotations and ignored. As
/// the specification says, an integer is any number with no fractional part
/// (so 5.0 is an integer).

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace pact::mcp {

/// Nothing when `value` fits `schema`, else a message naming the first
/// problem and where it is, e.g. "argument 'limit' must be at most 10000".
std::optional<std::string> schema_violation(const nlohmann::json& schema,
                                            const nlohmann::json& value);

/// `text` cut to at most `max` bytes (with "..." when cut), so that an
/// echoed client string cannot make a reply large.
std::string clip(const std::string& text, std::size_t max = 64);

} // namespace pact::mcp
