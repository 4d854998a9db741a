#include "mcp/schema.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

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

/// "an integer", "a string", but plain "null".
std::string article(const std::string& type) {
  if (type == "null")
    return type;
  bool vowel = !type.empty()
               && std::string("aeiou").find(type[0]) != std::string::npos;
  return (vowel ? "an " : "a ") + type;
}

std::string number_text(double d) {
  json j = d;
  // Integral values print as integers up to 2^53 (the largest a double
  // holds exactly), so a bound reads 9007199254740991, not 9.0e+15.
  if (is_integral(j) && std::fabs(d) <= 9007199254740992.0)
    return std::to_string(static_cast<long long>(d));
  return j.dump();
}

/// JSON Schema compares numbers by value: 1 and 1.0 are equal.
bool same_value(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_number_float() || b.is_number_float())
      return a.get<double>() == b.get<double>();
    return a == b;
  }
  if (a.type() != b.type() || a.size() != b.size())
    return false;
  if (a.is_array()) {
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!same_value(a[i], b[i]))
        return false;
    return true;
  }
  if (a.is_object()) {
    for (auto& [k, v] : a.items())
      if (!b.contains(k) || !same_value(v, b[k]))
        return false;
    return true;
  }
  return a == b;
}

/// JSON Schema counts a string's length in characters (code points); the
/// parser has already checked that the text is valid UTF-8.
std::size_t code_points(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    n += (c & 0xC0) != 0x80;
  return n;
}

std::optional<std::size_t> count_bound(const json& schema, const char* key) {
  if (!schema.contains(key) || !schema[key].is_number_integer()
      || schema[key].get<int64_t>() < 0)
    return std::nullopt;
  return schema[key].get<std::size_t>();
}

/// The words of the messages: tool arguments speak of "argument 'x'",
/// structured results of "'x'" and "member".
struct checker {
  bool output;

  std::string name(const std::string& where) const {
    if (where.empty())
      return output ? "structuredContent" : "arguments";
    return (output ? "'" : "argument '") + clip(where) + "'";
  }

  std::string member() const {
    return output ? "member" : "argument";
  }

  std::optional<std::string> check(const json& schema, const json& v,
                                   const std::string& where) const;
  std::optional<std::string> check_type(const json& schema, const json& v,
                                        const std::string& where) const;
  std::optional<std::string> check_values(const json& schema, const json& v,
                                          const std::string& where) const;
  std::optional<std::string> check_choice(const json& schema, const json& v,
                                          const std::string& where) const;
  std::optional<std::string> check_bounds(const json& schema, const json& v,
                                          const std::string& where) const;
  std::optional<std::string> check_array(const json& schema, const json& v,
                                         const std::string& where) const;
  std::optional<std::string> check_object(const json& schema, const json& v,
                                          const std::string& where) const;
};

std::optional<std::string> checker::check_type(const json& schema,
                                               const json& v,
                                               const std::string& where) const {
  if (!schema.contains("type"))
    return std::nullopt;
  const json& type = schema["type"];
  std::vector<std::string> names;
  if (type.is_string())
    names.push_back(type.get<std::string>());
  else if (type.is_array())
    for (auto& t : type)
      if (t.is_string())
        names.push_back(t.get<std::string>());
  if (names.empty())
    return std::nullopt;
  std::string wanted;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (has_type(v, names[i]))
      return std::nullopt;
    wanted += (i == 0                  ? ""
               : i + 1 == names.size() ? " or "
                                       : ", ")
              + article(names[i]);
  }
  return name(where) + " must be " + wanted + " (got "
         + std::string(v.type_name()) + ")";
}

std::optional<std::string>
checker::check_values(const json& schema, const json& v,
                      const std::string& where) const {
  if (schema.contains("const") && !same_value(schema["const"], v))
    return name(where) + " must be " + clip(schema["const"].dump(), 128);
  if (schema.contains("enum") && schema["enum"].is_array()) {
    std::string list;
    for (auto& e : schema["enum"]) {
      if (same_value(e, v))
        return std::nullopt;
      list += (list.empty() ? "" : ", ") + e.dump();
    }
    return name(where) + " must be one of " + clip(list, 256);
  }
  return std::nullopt;
}

std::optional<std::string>
checker::check_choice(const json& schema, const json& v,
                      const std::string& where) const {
  if (schema.contains("anyOf") && schema["anyOf"].is_array()
      && !schema["anyOf"].empty()) {
    bool any = false;
    for (auto& s : schema["anyOf"])
      if (!check(s, v, where)) {
        any = true;
        break;
      }
    if (!any)
      return name(where) + " fits none of the schemas its anyOf allows";
  }
  if (schema.contains("oneOf") && schema["oneOf"].is_array()
      && !schema["oneOf"].empty()) {
    std::size_t fits = 0;
    for (auto& s : schema["oneOf"])
      fits += !check(s, v, where);
    if (fits == 0)
      return name(where) + " fits none of the schemas its oneOf allows";
    if (fits > 1)
      return name(where)
             + " fits more than one of the schemas its oneOf "
               "allows";
  }
  return std::nullopt;
}

std::optional<std::string>
checker::check_bounds(const json& schema, const json& v,
                      const std::string& where) const {
  if (v.is_number()) {
    double d = v.get<double>();
    if (schema.contains("minimum") && schema["minimum"].is_number()
        && d < schema["minimum"].get<double>())
      return name(where) + " must be at least "
             + number_text(schema["minimum"].get<double>());
    if (schema.contains("maximum") && schema["maximum"].is_number()
        && d > schema["maximum"].get<double>())
      return name(where) + " must be at most "
             + number_text(schema["maximum"].get<double>());
  }
  if (v.is_string()) {
    auto n = code_points(v.get_ref<const std::string&>());
    if (auto min = count_bound(schema, "minLength"); min && n < *min)
      return *min == 1 ? name(where) + " must not be empty"
                       : name(where) + " must have at least "
                           + std::to_string(*min) + " characters";
    if (auto max = count_bound(schema, "maxLength"); max && n > *max)
      return name(where) + " must have at most " + std::to_string(*max)
             + " characters";
  }
  return std::nullopt;
}

std::optional<std::string>
checker::check_array(const json& schema, const json& v,
                     const std::string& where) const {
  if (auto min = count_bound(schema, "minItems"); min && v.size() < *min)
    return *min == 1 ? name(where) + " must not be empty"
                     : name(where) + " must have at least "
                         + std::to_string(*min) + " items";
  if (auto max = count_bound(schema, "maxItems"); max && v.size() > *max)
    return name(where) + " must have at most " + std::to_string(*max)
           + " items";
  if (!schema.contains("items") || !schema["items"].is_object())
    return std::nullopt;
  for (std::size_t i = 0; i < v.size(); ++i)
    if (auto bad = check(schema["items"], v[i],
                         where + "[" + std::to_string(i) + "]"))
      return bad;
  return std::nullopt;
}

std::optional<std::string>
checker::check_object(const json& schema, const json& v,
                      const std::string& where) const {
  auto prefix = where.empty() ? std::string() : where + ".";
  const json empty = json::object();
  const json& props = schema.contains("properties")
                          && schema["properties"].is_object()
                        ? schema["properties"]
                        : empty;
  if (schema.contains("required") && schema["required"].is_array())
    for (auto& r : schema["required"])
      if (r.is_string() && !v.contains(r.get<std::string>()))
        return "missing required " + member() + " '" + prefix
               + r.get<std::string>() + "'";
  const json* extra = nullptr;
  bool closed = false;
  if (schema.contains("additionalProperties")) {
    const json& a = schema["additionalProperties"];
    closed = a == false;
    if (a.is_object())
      extra = &a;
  }
  for (auto& [key, value] : v.items()) {
    if (props.contains(key)) {
      if (auto bad = check(props[key], value, prefix + key))
        return bad;
      continue;
    }
    if (closed)
      return "unknown " + member() + " '" + clip(prefix + key) + "'";
    if (extra)
      if (auto bad = check(*extra, value, prefix + key))
        return bad;
  }
  return std::nullopt;
}

std::optional<std::string> checker::check(const json& schema, const json& v,
                                          const std::string& where) const {
  if (!schema.is_object())
    return std::nullopt;
  if (auto bad = check_type(schema, v, where))
    return bad;
  if (auto bad = check_values(schema, v, where))
    return bad;
  if (auto bad = check_choice(schema, v, where))
    return bad;
  if (auto bad = check_bounds(schema, v, where))
    return bad;
  if (v.is_array())
    return check_array(schema, v, where);
  if (v.is_object())
    return check_object(schema, v, where);
  return std::nullopt;
}

} // namespace

std::optional<std::string> schema_violation(const json& schema,
                                            const json& value) {
  return checker{false}.check(schema, value, "");
}

std::optional<std::string> output_violation(const json& schema,
                                            const json& value) {
  return checker{true}.check(schema, value, "");
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
