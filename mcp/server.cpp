#include "mcp/server.hpp"

#include <exception>

#include "mcp/schema.hpp"

namespace pact::mcp {

namespace {

json error_reply(const json& id, int code, const std::string& message) {
  return {{"jsonrpc", "2.0"},
          {"id", id},
          {"error", {{"code", code}, {"message", message}}}};
}

json result_reply(const json& id, json result) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

/// MCP (basic/index, "Requests"): an id is a string or an integer, never
/// null; JSON-RPC discourages fractions, MCP forbids them.
bool valid_id(const json& id) {
  return id.is_string() || id.is_number_integer();
}

/// A message the client sends in answer to a request of ours: no method,
/// a result or an error (JSON-RPC 2.0 §5).
bool is_response(const json& msg) {
  return !msg.contains("method")
         && (msg.contains("result") || msg.contains("error"));
}

/// MCP names notifications "notifications/..." and they carry no id.
bool is_notification_method(const std::string& method) {
  return method.rfind("notifications/", 0) == 0;
}

std::optional<std::string> check_initialize(const json& params) {
  if (!params.contains("protocolVersion"))
    return "initialize needs params.protocolVersion";
  if (!params["protocolVersion"].is_string())
    return "params.protocolVersion must be a string";
  for (auto key : {"capabilities", "clientInfo"})
    if (params.contains(key) && !params[key].is_object())
      return std::string("params.") + key + " must be an object";
  return std::nullopt;
}

/// Parses one message. The parser itself is iterative, but copying and
/// printing JSON recurse, so values nested deeper than max_nesting are cut
/// while parsing and `too_deep` tells the caller to refuse the message.
json parse_bounded(const std::string& line, bool& too_deep) {
  json::parser_callback_t limit_depth
    = [&too_deep](int depth, json::parse_event_t ev, json&) {
        bool opens = ev == json::parse_event_t::object_start
                     || ev == json::parse_event_t::array_start;
        if (opens && depth >= max_nesting) {
          too_deep = true;
          return false;
        }
        return true;
      };
  return json::parse(line, limit_depth, false);
}

} // namespace

const std::vector<std::string>& supported_protocol_versions() {
  static const std::vector<std::string> versions{"2025-06-18", "2025-03-26",
                                                 "2024-11-05"};
  return versions;
}

server::server(std::string name, std::string version, std::vector<tool> tools)
  : name_(std::move(name)), version_(std::move(version)),
    tools_(std::move(tools)) {
  // Nothing else to set up.
}

std::string to_line(const json& reply) {
  return reply.dump(-1, ' ', false, json::error_handler_t::replace);
}

json server::initialize(const json& id, const json& params) {
  if (auto bad = check_initialize(params))
    return error_reply(id, invalid_params, *bad);
  // Answer with the client's version when we speak it, else our newest
  // (MCP lifecycle: version negotiation).
  auto& versions = supported_protocol_versions();
  const auto& asked = params["protocolVersion"].get_ref<const std::string&>();
  std::string chosen = versions.front();
  for (auto& v : versions)
    if (v == asked)
      chosen = asked;
  protocol_version_ = chosen;
  return result_reply(
    id, {{"protocolVersion", chosen},
         {"capabilities", {{"tools", {{"listChanged", false}}}}},
         {"serverInfo", {{"name", name_}, {"version", version_}}},
         {"instructions",
          "pact: configuration management and admin operations for HPC "
          "clusters. Every call is authenticated and recorded in the "
          "journal."}});
}

json server::list_tools(const json& id, const json& params) const {
  // One page holds every tool; a cursor, when sent, must still be a string.
  if (params.contains("cursor") && !params["cursor"].is_string())
    return error_reply(id, invalid_params, "params.cursor must be a string");
  json list = json::array();
  for (auto& t : tools_)
    list.push_back({{"name", t.name},
                    {"title", t.title},
                    {"description", t.description},
                    {"inputSchema", t.input_schema}});
  return result_reply(id, {{"tools", list}});
}

json server::call_tool(const json& id, const json& params) {
  if (!params.contains("name") || !params["name"].is_string())
    return error_reply(id, invalid_params,
                       "tools/call needs params.name, a string");
  const auto& name = params["name"].get_ref<const std::string&>();
  json args = params.contains("arguments") ? params["arguments"]
                                           : json::object();
  if (!args.is_object())
    return error_reply(id, invalid_params,
                       "params.arguments must be an object");
  for (auto& t : tools_) {
    if (t.name != name)
      continue;
    if (auto bad = schema_violation(t.input_schema, args))
      return error_reply(id, invalid_params,
                         "invalid arguments for " + name + ": " + *bad);
    tool_result r;
    try {
      r = t.call(args);
    } catch (const std::exception&) {
      // The library's own text stays inside; the client learns which tool.
      return error_reply(id, internal_error,
                         "tool " + name + " failed unexpectedly");
    }
    json result{{"content",
                 json::array({{{"type", "text"}, {"text", r.text}}})},
                {"isError", r.is_error}};
    if (!r.structured.is_null())
      result["structuredContent"] = r.structured;
    return result_reply(id, std::move(result));
  }
  return error_reply(id, invalid_params, "unknown tool: " + clip(name));
}

json server::dispatch(const std::string& method, const json& id,
                      const json& params) {
  bool known = method == "initialize" || method == "ping"
               || method == "tools/list" || method == "tools/call";
  if (!known)
    return error_reply(id, method_not_found,
                       "method not found: " + clip(method));
  // MCP passes parameters by name; an array (positional) does not fit.
  if (!params.is_object())
    return error_reply(id, invalid_params, "params must be an object");
  if (method == "initialize")
    return initialize(id, params);
  if (method == "ping")
    return result_reply(id, json::object());
  if (method == "tools/list")
    return list_tools(id, params);
  return call_tool(id, params);
}

std::optional<json> server::handle_one(const json& msg, bool in_batch) {
  if (!msg.is_object())
    return error_reply(nullptr, invalid_request,
                       "a JSON-RPC message must be an object");
  if (is_response(msg))
    return std::nullopt; // we send no requests, so nothing awaits it
  bool has_id = msg.contains("id");
  json id = has_id && valid_id(msg["id"]) ? msg["id"] : json();
  if (!msg.contains("jsonrpc") || msg["jsonrpc"] != "2.0")
    return error_reply(id, invalid_request,
                       "jsonrpc must be the string \"2.0\"");
  if (!msg.contains("method") || !msg["method"].is_string())
    return error_reply(id, invalid_request, "method must be a string");
  if (has_id && !valid_id(msg["id"]))
    return error_reply(id, invalid_request,
                       "id must be a string or an integer");
  const json empty = json::object();
  const json& params = msg.contains("params") ? msg["params"] : empty;
  // JSON-RPC 2.0 §4.2: params, when present, is an object or an array.
  if (!params.is_structured())
    return error_reply(id, invalid_request,
                       "params must be an object or an array");
  const auto& method = msg["method"].get_ref<const std::string&>();
  if (!has_id)
    return std::nullopt; // a notification (e.g. notifications/initialized)
  if (is_notification_method(method))
    return error_reply(id, invalid_request,
                       clip(method) + " is a notification; it has no id");
  // MCP 2025-03-26 (lifecycle): "The initialize request MUST NOT be part
  // of a JSON-RPC batch".
  if (in_batch && method == "initialize")
    return error_reply(id, invalid_request,
                       "initialize must not be part of a batch");
  return dispatch(method, id, params);
}

std::optional<json> server::handle_batch(const json& batch) {
  if (protocol_version_ != batch_protocol_version)
    return error_reply(
      nullptr, invalid_request,
      protocol_version_.empty()
        ? std::string("a batch needs a session initialized with protocol ")
            + batch_protocol_version
        : "protocol " + protocol_version_ + " has no batches (only "
            + batch_protocol_version + " does)");
  // JSON-RPC 2.0 §6: an empty array is an invalid request (one reply).
  if (batch.empty())
    return error_reply(nullptr, invalid_request, "empty batch");
  if (batch.size() > max_batch_size)
    return error_reply(nullptr, invalid_request,
                       "a batch holds at most " + std::to_string(max_batch_size)
                         + " messages");
  json replies = json::array();
  for (auto& m : batch)
    if (auto r = handle_one(m, true))
      replies.push_back(std::move(*r));
  // §6: a batch of notifications (and responses) gets no reply at all.
  if (replies.empty())
    return std::nullopt;
  return replies;
}

std::optional<json> server::handle(const json& message) {
  if (message.is_array())
    return handle_batch(message);
  return handle_one(message, false);
}

std::optional<std::string> server::handle_line(const std::string& line) {
  if (line.find_first_not_of(" \t\r") == std::string::npos)
    return std::nullopt;
  // nlohmann stops at a NUL byte as at the end of input; JSON text never
  // holds a raw one, so the line is not JSON.
  if (line.find('\0') != std::string::npos)
    return to_line(
      error_reply(nullptr, parse_error, "parse error: NUL byte in message"));
  bool too_deep = false;
  json msg = parse_bounded(line, too_deep);
  auto depth_text = "nested deeper than " + std::to_string(max_nesting)
                    + " levels";
  if (msg.is_discarded())
    return to_line(error_reply(nullptr, parse_error,
                               too_deep ? "parse error: " + depth_text
                                        : "parse error: invalid JSON"));
  if (too_deep) {
    json id = msg.is_object() && msg.contains("id") && valid_id(msg["id"])
                ? msg["id"]
                : json();
    return to_line(error_reply(id, invalid_request, "message " + depth_text));
  }
  auto reply = handle(msg);
  if (!reply)
    return std::nullopt;
  return to_line(*reply);
}

std::string server::oversized_reply() {
  return to_line(error_reply(nullptr, invalid_request,
                             "message longer than "
                               + std::to_string(max_message_bytes)
                               + " bytes (4 MiB); it was discarded"));
}

} // namespace pact::mcp
