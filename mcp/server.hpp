#pragma once

/// The MCP server core: JSON-RPC 2.0 message handling for the Model Context
/// Protocol (initialize, ping, tools/list, tools/call). Transport-free and
/// CAF-free so that it is unit-tested and fuzzed directly (tests/fuzz);
/// main.cpp wires it to stdio (one JSON message per line, read by
/// line_reader) and tools.cpp supplies the tools.
///
/// Every input gets the answer JSON-RPC 2.0 §5.1 gives it, never an
/// exception: -32700 for text that is not JSON (or nests deeper than
/// max_nesting), -32600 for a message that is not a valid request (wrong
/// `jsonrpc`, `method` not a string, an id that is not a string or an
/// integer, scalar `params`, a notification method sent with an id, a batch
/// where the session has none), -32601 for an unknown method, -32602 for
/// parameters or tool arguments that do not fit (tool arguments are checked
/// against the tool's inputSchema before the tool runs), -32603 when a tool
/// throws. The reply carries the request's id when it is a valid id, else
/// null. Responses sent by the client are ignored (the server sends no
/// requests).

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pact::mcp {

using json = nlohmann::json;

/// Outcome of one tool call: MCP "content" text plus optional structured
/// content; `is_error` marks a tool-level failure (not a protocol error).
struct tool_result {
  std::string text;
  json structured;
  bool is_error = false;
};

struct tool {
  std::string name;
  std::string title;
  std::string description;
  /// JSON Schema of the arguments object (the subset schema.hpp checks).
  json input_schema;
  /// Runs with arguments that passed input_schema.
  std::function<tool_result(const json& arguments)> call;
};

/// Protocol versions this server speaks, newest first.
const std::vector<std::string>& supported_protocol_versions();

/// The one protocol version with JSON-RPC batches (MCP 2025-03-26, "JSON-RPC
/// Batching"; added in that revision and removed in 2025-06-18).
inline constexpr const char* batch_protocol_version = "2025-03-26";

/// Largest message (one line, without its newline) the bridge reads: the
/// gateway's bound (runtime/policy/request_auth.hpp max_request_bytes).
inline constexpr std::size_t max_message_bytes = 4 * 1024 * 1024;

/// Deepest nesting of arrays/objects accepted in one message (a message at
/// top level is depth 1). Bounds the recursion of copying and printing JSON.
inline constexpr int max_nesting = 64;

/// Most messages in one batch; a larger batch is refused as a whole.
inline constexpr std::size_t max_batch_size = 1000;

class server {
public:
  server(std::string name, std::string version, std::vector<tool> tools);

  /// Handles one parsed JSON-RPC message or batch; returns the response
  /// (an array for a batch), or nothing when no answer is due
  /// (notifications, client responses, a batch of only those).
  std::optional<json> handle(const json& message);

  /// Handles one line of input (UTF-8 JSON); returns the serialized reply.
  std::optional<std::string> handle_line(const std::string& line);

  /// The serialized reply to a line longer than max_message_bytes, which
  /// the reader discarded.
  static std::string oversized_reply();

  bool initialized() const {
    return !protocol_version_.empty();
  }

  /// The version agreed by the last initialize; empty before it.
  const std::string& protocol_version() const {
    return protocol_version_;
  }

private:
  std::optional<json> handle_one(const json& msg, bool in_batch);
  std::optional<json> handle_batch(const json& batch);
  json dispatch(const std::string& method, const json& id, const json& params);
  json initialize(const json& id, const json& params);
  json list_tools(const json& id, const json& params) const;
  json call_tool(const json& id, const json& params);

  std::string name_;
  std::string version_;
  std::vector<tool> tools_;
  std::string protocol_version_;
};

/// Serializes a reply; invalid UTF-8 (from a tool's text) becomes U+FFFD
/// instead of throwing.
std::string to_line(const json& reply);

/// JSON-RPC error codes (JSON-RPC 2.0 §5.1).
inline constexpr int parse_error = -32700;
inline constexpr int invalid_request = -32600;
inline constexpr int method_not_found = -32601;
inline constexpr int invalid_params = -32602;
inline constexpr int internal_error = -32603;

} // namespace pact::mcp
