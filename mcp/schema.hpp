#pragma once

/// Tool arguments against a tool's inputSchema (MCP tools/call: "arguments"
/// must conform to the tool's inputSchema; a mismatch is JSON-RPC -32602),
/// and a tool's structuredContent against its outputSchema (MCP 2025-06-18
/// "Output Schema": servers MUST provide structured results that conform).
/// No JSON Schema validator is packaged for C++ in Debian 12, so this checks
/// the subset of JSON Schema 2020-12 that pact's schemas use:
///
/// | keyword | meaning here |
/// |---|---|
/// | type | a name (object, string, integer, number, boolean, array, null) or
/// an array of names, any of which fits | | properties, required | members of
/// an object and those that must be present | | additionalProperties | false
/// (no other members) or a schema every other member must fit | | items | one
/// schema that every element of an array must fit | | minItems, maxItems |
/// bounds of an array's length | | minimum, maximum | inclusive bounds of a
/// number | | minLength, maxLength | bounds of a string's length in characters
/// (code points) | | enum | the value equals one of the listed values | | const
/// | the value equals this one | | anyOf | the value fits at least one of the
/// listed schemas | | oneOf | the value fits exactly one of the listed schemas
/// |
///
/// Other keywords (description, title, $schema ...) are annotations and
/// ignored, as is a keyword whose own value is malformed (e.g. a string
/// `minimum`): the schemas are ours, not the client's. As the specification
/// says, an integer is any number with no fractional part (so 5.0 is an
/// integer), and equality (enum, const) compares numbers by value (1 and
/// 1.0 are equal).

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace pact::mcp {

/// Nothing when the tool arguments `value` fit `schema`, else a message
/// naming the first problem and where it is, e.g. "argument 'limit' must be
/// at most 10000", "missing required argument 'node'", "unknown argument
/// 'x'"; the whole value is "arguments", an element "argument 'a[2].b'".
std::optional<std::string> schema_violation(const nlohmann::json& schema,
                                            const nlohmann::json& value);

/// As schema_violation for a tool's structuredContent: the whole value is
/// "structuredContent", a part of it "'nodes[3].state'" (e.g. "'nodes[3].
/// state' must be one of \"up\", \"down\""), "missing required member 'x'",
/// "unknown member 'x'". For the operator's log: a mismatch is a bug.
std::optional<std::string> output_violation(const nlohmann::json& schema,
                                            const nlohmann::json& value);

/// `text` cut to at most `max` bytes (with "..." when cut), so that an
/// echoed client string cannot make a reply large.
std::string clip(const std::string& text, std::size_t max = 64);

} // namespace pact::mcp
