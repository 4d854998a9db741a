#pragma once

/// JSON-RPC 2.0 and MCP message helpers of the server core (server.cpp):
/// replies, id rules, version comparisons, parsing with a depth bound, and
/// how a tool is listed at each protocol version. Internal to mcp/.

#include <cstddef>
#include <optional>
#include <string>

#include "mcp/server.hpp"

namespace pact::mcp::rpc {

/// Newest first: initialize falls back to the first.
inline constexpr const char* newest_version = "2025-11-25";
/// From this revision on: structuredContent, outputSchema, top-level tool
/// titles, elicitation (MCP 2025-06-18 changelog).
inline constexpr const char* structured_version = "2025-06-18";
/// From this revision on: tool annotations (MCP 2025-03-26 changelog).
inline constexpr const char* annotations_version = "2025-03-26";
/// Elicitation requests name their mode from this revision on.
inline constexpr const char* elicit_mode_version = "2025-11-25";

json error_reply(const json& id, int code, const std::string& message);

json result_reply(const json& id, json result);

/// MCP (basic/index, "Requests"): an id is a string or an integer, never
/// null; JSON-RPC discourages fractions, MCP forbids them.
bool valid_id(const json& id);

/// The key of a request id among the calls in flight: 1 and "1" differ.
std::string id_key(const json& id);

/// A message the client sends in answer to a request of ours: no method,
/// a result or an error (JSON-RPC 2.0 §5).
bool is_response(const json& msg);

/// MCP names notifications "notifications/..." and they carry no id.
bool is_notification_method(const std::string& method);

/// Protocol versions are dates, so they compare as strings.
bool at_least(const std::string& version, const char* since);

std::optional<std::string> check_initialize(const json& params);

/// Whether the client can answer form-mode elicitations (MCP client/
/// elicitation, "Capabilities"): any `elicitation` object before
/// 2025-11-25; from then on `{}` (form, for compatibility) or one naming
/// "form" ("url" alone is another mode).
bool elicits_forms(const json& params, const std::string& version);

/// Parses one message. The parser itself is iterative, but copying and
/// printing JSON recurse, so values nested deeper than max_nesting are cut
/// while parsing and `too_deep` tells the caller to refuse the message.
json parse_bounded(const std::string& line, bool& too_deep);

/// A tool as tools/list shows it at `version`: title, outputSchema and
/// annotations came with later revisions and are left out before them.
json describe(const tool& t, const std::string& version);

/// Cursors are "p:OFFSET" with OFFSET a page boundary inside the list
/// (at most 19 digits, so it cannot overflow); anything else was not made
/// by this server.
std::optional<std::size_t> page_offset(const std::string& cursor,
                                       std::size_t page, std::size_t total);

} // namespace pact::mcp::rpc
