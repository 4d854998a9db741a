#include "mcp/schema.hpp"

#include <cmath>
#include <cstdint>

namespace pact::mcp {

namespace {

using json = nlohmann::json;

bool is_integral(const json& v) {
  if (v.is_number_integer())
    return true;
  if (!v.is_number_float())
    return false;
  double d = v.get<double>();
  return std::isfinite(d) && std::floor(d) == d;
}

bool has_type(const json& v, const std::string& type) {
  if (type == "object")
    return v.is_object();
  if (type == "array")
    return v.is_array();
  if (type == "string")
    return v.is_string();
  if (type == "integer")
    return is_integral(v);
  if (type == "number")
    return v.is_number();
  if (type == "boolean")
    return v.is_boolean();
  return type == "null" && v.is_null();
}

std::string article(const std::string& type) {
  bool vowel = !type.empty()
               && std::string("aeiou").find(type[0]) != std::string::npos;
  return (vowel ? "an " : "a ") + type;
}

std::string number_text(double d) {
  json j = d;
  if (is_integral(j) && std::fabs(d) < 1e15)
    return std::to_string(static_cast<long long>(d));
  return j.dump();
}

std::optional<std::string> check(const json& schema, const json& v,
                                 const std::string& where);

/// JSON Schema counts a string's length in characters (code points); the
/// parser has already checked that the text is valid UTF-8.
std::size_t code_points(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    n += (c & 0xC0) != 0x80;
  return n;
}

std::optional<std::size_t> length_bound(const json& schema, const char* key) {
  if (!schema.contains(key) || !schema[key].is_number_integer()
      || schema[key].get<int64_t>() < 0)
    return std::nullopt;
  return schema[key].get<std::size_t>();
}

std::optional<std::string> check_object(const json& schema, const json& v,
                                        const std::string& where) {
  auto prefix = where.empty() ? std::string() : where + ".";
  const json empty = json::object();
  const json& props = schema.contains("properties")
                          && schema["properties"].is_object()
                        ? schema["properties"]
                        : empty;
  if (schema.contains("required") && schema["required"].is_array())
    for (auto& r : schema["required"])
      if (r.is_string() && !v.contains(r.get<std::string>()))
        return "missing required argument '" + prefix + r.get<std::string>()
               + "'";
  bool closed = schema.contains("additionalProperties")
                && schema["additionalProperties"] == false;
  for (auto& [key, value] : v.items()) {
    if (!props.contains(key)) {
      if (closed)
        return "unknown argument '" + clip(prefix + key) + "'";
      continue;
    }
    if (auto bad = check(props[key], value, prefix + key))
      return bad;
  }
  return std::nullopt;
}

std::optional<std::string> check_bounds(const json& schema, const json& v,
                                        const std::string& name) {
  if (v.is_number()) {
    double d = v.get<double>();
    if (schema.contains("minimum") && schema["minimum"].is_number()
        && d < schema["minimum"].get<double>())
      return name + " must be at least "
             + number_text(schema["minimum"].get<double>());
    if (schema.contains("maximum") && schema["maximum"].is_number()
        && d > schema["maximum"].get<double>())
      return name + " must be at most "
             + number_text(schema["maximum"].get<double>());
  }
  if (v.is_string()) {
    auto n = code_points(v.get_ref<const std::string&>());
    if (auto min = length_bound(schema, "minLength"); min && n < *min)
      return name + " must have at least " + std::to_string(*min)
             + " characters";
    if (auto max = length_bound(schema, "maxLength"); max && n > *max)
      return name + " must have at most " + std::to_string(*max)
             + " characters";
  }
  return std::nullopt;
}

std::optional<std::string> check(const json& schema, const json& v,
                                 const std::string& where) {
  if (!schema.is_object())
    return std::nullopt;
  auto name = where.empty() ? std::string("arguments")
                            : "argument '" + clip(where) + "'";
  if (schema.contains("type") && schema["type"].is_string()) {
    auto type = schema["type"].get<std::string>();
    if (!has_type(v, type))
      return name + " must be " + article(type) + " (got "
             + std::string(v.type_name()) + ")";
  }
  if (auto bad = check_bounds(schema, v, name))
    return bad;
  if (v.is_object())
    return check_object(schema, v, where);
  return std::nullopt;
}

} // namespace

std::optional<std::string> schema_violation(const json& schema,
                                            const json& value) {
  return check(schema, value, "");
}

std::string clip(const std::string& text, std::size_t max) {
  if (text.size() <= max)
    return text;
  // Cut before a UTF-8 continuation byte (10xxxxxx), never inside a
  // character, so that the clipped text stays valid UTF-8.
  auto cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
    --cut;
  return text.substr(0, cut) + "...";
}

} // namespace pact::mcp
