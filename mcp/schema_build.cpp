#include "mcp/schema_build.hpp"

namespace pact::mcp::schema {

json str(const std::string& description) {
  return {{"type", "string"}, {"description", description}};
}

json str_enum(const std::vector<std::string>& values,
              const std::string& description) {
  return {{"type", "string"}, {"enum", values}, {"description", description}};
}

json integer(const std::string& description, int64_t min, int64_t max) {
  return {{"type", "integer"},
          {"minimum", min},
          {"maximum", max},
          {"description", description}};
}

json boolean(const std::string& description) {
  return {{"type", "boolean"}, {"description", description}};
}

json strings(const std::string& description, int min_items) {
  json s{{"type", "array"},
         {"items", {{"type", "string"}}},
         {"description", description}};
  if (min_items > 0)
    s["minItems"] = min_items;
  return s;
}

json objects(const std::string& description) {
  return {{"type", "array"},
          {"items", {{"type", "object"}}},
          {"description", description}};
}

json any_object(const std::string& description) {
  return {{"type", "object"}, {"description", description}};
}

json arguments(json properties, std::vector<std::string> required) {
  // `{}` in C++ makes a JSON null; a tool without arguments still lists
  // an empty properties object (MCP clients require one).
  if (properties.is_null())
    properties = json::object();
  json s{{"type", "object"},
         {"properties", std::move(properties)},
         {"additionalProperties", false}};
  if (!required.empty())
    s["required"] = required;
  return s;
}

json error_object() {
  return {{"type", "object"},
          {"description", "Why the call failed, as `pact` reports it"},
          {"properties",
           {{"message", {{"type", "string"}}},
            {"exit_code",
             {{"type", "integer"},
              {"description", "The exit code `pact` gives (docs/cli.md)"}}},
            {"meaning", {{"type", "string"}}}}},
          {"required", {"message", "exit_code"}}};
}

json pending_object() {
  return {{"type", "object"},
          {"description",
           "The write is held for a second person's approval (two-person "
           "vCluster); nothing is applied until a human accepts it"},
          {"properties",
           {{"id", {{"type", "string"}}},
            {"scope", {{"type", "string"}}},
            {"action", {{"type", "string"}}},
            {"requester", {{"type", "string"}}},
            {"expires", {{"type", "string"}}}}},
          {"required", {"id"}}};
}

json output(json properties, std::vector<std::string> required,
            bool can_be_held) {
  return output_of(std::move(properties), {std::move(required)}, can_be_held);
}

json output_of(json properties,
               const std::vector<std::vector<std::string>>& successes,
               bool can_be_held) {
  properties["error"] = error_object();
  json branches = json::array();
  for (auto& required : successes)
    branches.push_back({{"required", required}});
  branches.push_back({{"required", {"error"}}});
  if (can_be_held) {
    properties["pending_approval"] = pending_object();
    branches.push_back({{"required", {"pending_approval"}}});
  }
  return {{"type", "object"},
          {"properties", std::move(properties)},
          {"anyOf", std::move(branches)}};
}

} // namespace pact::mcp::schema
