#pragma once

/// The MCP server core: JSON-RPC 2.0 message handling for the Model Context
/// Protocol (initialize, ping, tools/list, tools/call). Transport-free and
/// CAF-free so that it is unit-tested directly; main.cpp wires it to stdio
/// (one JSON message per line) and tools.cpp supplies the tools.

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
  /// JSON Schema of the arguments object.
  json input_schema;
  std::function<tool_result(const json& arguments)> call;
};

/// Protocol versions this server speaks, newest first.
const std::vector<std::string>& supported_protocol_versions();

class server {
public:
  server(std::string name, std::string version, std::vector<tool> tools);

  /// Handles one parsed JSON-RPC message; returns the response, or nothing
  /// for notifications.
  std::optional<json> handle(const json& message);

  /// Handles one line of input; malformed JSON yields a parse error.
  std::optional<std::string> handle_line(const std::string& line);

  bool initialized() const {
    return initialized_;
  }

private:
  json initialize(const json& params);
  json list_tools() const;
  json call_tool(const json& params, const json& id, bool& protocol_error);

  std::string name_;
  std::string version_;
  std::vector<tool> tools_;
  bool initialized_ = false;
};

/// JSON-RPC error codes.
inline constexpr int parse_error = -32700;
inline constexpr int invalid_request = -32600;
inline constexpr int method_not_found = -32601;
inline constexpr int invalid_params = -32602;

} // namespace pact::mcp
