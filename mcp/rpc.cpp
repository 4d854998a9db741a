#include "mcp/rpc.hpp"

namespace pact::mcp::rpc {

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

std::string id_key(const json& id) {
  return id.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool is_response(const json& msg) {
  return !msg.contains("method")
         && (msg.contains("result") || msg.contains("error"));
}

bool is_notification_method(const std::string& method) {
  return method.rfind("notifications/", 0) == 0;
}

bool at_least(const std::string& version, const char* since) {
  return version >= since;
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

bool elicits_forms(const json& params, const std::string& version) {
  if (!params.contains("capabilities"))
    return false;
  const json& caps = params["capabilities"];
  if (!caps.contains("elicitation") || !caps["elicitation"].is_object())
    return false;
  const json& e = caps["elicitation"];
  return !at_least(version, elicit_mode_version) || e.empty()
         || e.contains("form");
}

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

json describe(const tool& t, const std::string& version) {
  json d{{"name", t.name}};
  bool structured = at_least(version, structured_version);
  if (structured)
    d["title"] = t.title;
  d["description"] = t.description;
  d["inputSchema"] = t.input_schema;
  if (structured && t.output_schema.is_object() && !t.output_schema.empty())
    d["outputSchema"] = t.output_schema;
  if (at_least(version, annotations_version)) {
    json a{{"readOnlyHint", t.annotations.read_only},
           {"destructiveHint", t.annotations.destructive},
           {"idempotentHint", t.annotations.idempotent},
           {"openWorldHint", t.annotations.open_world}};
    // 2025-03-26 has no top-level title; ToolAnnotations carries it.
    if (!structured)
      a["title"] = t.title;
    d["annotations"] = std::move(a);
  }
  return d;
}

std::optional<std::size_t> page_offset(const std::string& cursor,
                                       std::size_t page, std::size_t total) {
  if (cursor.size() < 3 || cursor.size() > 21 || cursor.rfind("p:", 0) != 0)
    return std::nullopt;
  std::size_t offset = 0;
  for (std::size_t i = 2; i < cursor.size(); ++i) {
    if (cursor[i] < '0' || cursor[i] > '9' || (i == 2 && cursor[i] == '0'))
      return std::nullopt;
    offset = offset * 10 + static_cast<std::size_t>(cursor[i] - '0');
  }
  if (offset >= total || offset % page != 0)
    return std::nullopt;
  return offset;
}

} // namespace pact::mcp::rpc
