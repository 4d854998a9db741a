#include "mcp/server.hpp"

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

bool valid_id(const json& id) {
  return id.is_string() || id.is_number_integer();
}

} // namespace

const std::vector<std::string>& supported_protocol_versions() {
  static const std::vector<std::string> versions{"2025-06-18", "2025-03-26",
                                                 "2024-11-05"};
  return versions;
}

server::server(std::string name, std::string version, std::vector<tool> tools)
  : name_(std::move(name)),
    version_(std::move(version)),
    tools_(std::move(tools)) {
  // Nothing else to set up.
}

json server::initialize(const json& params) {
  // Answer with the client's version when we speak it, else our newest
  // (MCP lifecycle: version negotiation).
  auto& versions = supported_protocol_versions();
  std::string chosen = versions.front();
  if (params.is_object() && params.contains("protocolVersion")
      && params["protocolVersion"].is_string()) {
    auto asked = params["protocolVersion"].get<std::string>();
    for (auto& v : versions)
      if (v == asked)
        chosen = asked;
  }
  initialized_ = true;
  return {{"protocolVersion", chosen},
          {"capabilities", {{"tools", {{"listChanged", false}}}}},
          {"serverInfo", {{"name", name_}, {"version", version_}}},
          {"instructions",
           "pact: configuration management and admin operations for HPC "
           "clusters. Every call is authenticated and recorded in the "
           "journal."}};
}

json server::list_tools() const {
  json list = json::array();
  for (auto& t : tools_)
    list.push_back({{"name", t.name},
                    {"title", t.title},
                    {"description", t.description},
                    {"inputSchema", t.input_schema}});
  return {{"tools", list}};
}

json server::call_tool(const json& params, const json& id,
                       bool& protocol_error) {
  protocol_error = false;
  if (!params.is_object() || !params.contains("name")
      || !params["name"].is_string()) {
    protocol_error = true;
    return error_reply(id, invalid_params, "tools/call needs a tool name");
  }
  auto name = params["name"].get<std::string>();
  json args = params.value("arguments", json::object());
  if (!args.is_object()) {
    protocol_error = true;
    return error_reply(id, invalid_params, "arguments must be an object");
  }
  for (auto& t : tools_) {
    if (t.name != name)
      continue;
    auto r = t.call(args);
    json result{{"content", json::array({{{"type", "text"}, {"text", r.text}}})},
                {"isError", r.is_error}};
    if (!r.structured.is_null())
      result["structuredContent"] = r.structured;
    return result;
  }
  protocol_error = true;
  return error_reply(id, invalid_params, "unknown tool: " + name);
}

std::optional<json> server::handle(const json& msg) {
  if (!msg.is_object() || msg.value("jsonrpc", "") != "2.0"
      || !msg.contains("method") || !msg["method"].is_string()) {
    if (msg.is_object() && !msg.contains("method")
        && (msg.contains("result") || msg.contains("error")))
      return std::nullopt; // a response to us; we send no requests
    json id = msg.is_object() && msg.contains("id") ? msg["id"] : json();
    return error_reply(id, invalid_request, "not a JSON-RPC 2.0 request");
  }
  auto method = msg["method"].get<std::string>();
  if (!msg.contains("id"))
    return std::nullopt; // notification (e.g. notifications/initialized)
  const json& id = msg["id"];
  if (!valid_id(id))
    return error_reply(json(), invalid_request,
                       "request id must be a string or an integer");
  json params = msg.value("params", json::object());
  if (method == "initialize")
    return result_reply(id, initialize(params));
  if (method == "ping")
    return result_reply(id, json::object());
  if (method == "tools/list")
    return result_reply(id, list_tools());
  if (method == "tools/call") {
    bool protocol_error = false;
    auto r = call_tool(params, id, protocol_error);
    return protocol_error ? r : result_reply(id, std::move(r));
  }
  return error_reply(id, method_not_found, "method not found: " + method);
}

std::optional<std::string> server::handle_line(const std::string& line) {
  if (line.find_first_not_of(" \t\r") == std::string::npos)
    return std::nullopt;
  json msg = json::parse(line, nullptr, false);
  if (msg.is_discarded())
    return error_reply(json(), parse_error, "parse error: invalid JSON")
      .dump();
  auto reply = handle(msg);
  if (!reply)
    return std::nullopt;
  return reply->dump();
}

} // namespace pact::mcp
