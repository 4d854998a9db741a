#include "runtime/spec/spec_reader.hpp"

#include <algorithm>
#include <cmath>

#include "runtime/common/toml_syntax.hpp"

namespace pact::spec::detail {

uint32_t line_of(const toml::node& node) {
  auto line = node.source().begin.line;
  return line == 0 ? 1 : line;
}

const char* type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::none:
      break;
  }
  return "a value";
}

std::vector<std::pair<std::string, const toml::node*>>
in_file_order(const toml::table& table) {
  std::vector<std::pair<std::string, const toml::node*>> out;
  for (const auto& [key, node] : table)
    out.emplace_back(std::string(key.str()), &node);
  auto pos = [](const toml::node* n) {
    const auto& b = n->source().begin;
    return std::pair{b.line, b.column};
  };
  std::stable_sort(out.begin(), out.end(), [&](const auto& a, const auto& b) {
    return pos(a.second) < pos(b.second);
  });
  return out;
}

// -- context ------------------------------------------------------------------

error context::at(const toml::node& node, const std::string& path,
                  const std::string& why) const {
  return at_line(line_of(node), path, why);
}

error context::at_line(uint32_t line, const std::string& path,
                       const std::string& why) const {
  return make_error(file + ":" + std::to_string(line) + ": key '" + path
                    + "': " + why);
}

error context::unknown(const toml::node& node, const std::string& path,
                       const std::vector<std::string_view>& allowed) const {
  std::string list;
  for (auto a : allowed)
    list += (list.empty() ? "" : ", ") + std::string(a);
  return make_error(file + ":" + std::to_string(line_of(node))
                    + ": unknown key '" + path + "' (allowed: " + list + ")");
}

// -- table_reader -------------------------------------------------------------

std::string table_reader::join(std::string_view key) const {
  return join_key(path_, key);
}

status table_reader::only(const std::vector<std::string_view>& allowed) const {
  for (const auto& [key, node] : in_file_order(table_))
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      return ctx_.unknown(*node, join(key), allowed);
  return {};
}

error table_reader::fail(std::string_view key, const std::string& why) const {
  if (auto n = find(key))
    return ctx_.at(*n, join(key), why);
  return ctx_.at(table_, join(key), why);
}

error table_reader::fail_table(const std::string& why) const {
  return ctx_.at(table_, path_, why);
}

expected<std::optional<std::string>>
table_reader::string(std::string_view key) const {
  auto n = find(key);
  if (!n)
    return std::optional<std::string>{};
  if (auto s = n->as_string())
    return std::optional<std::string>{s->get()};
  return fail(key, std::string("must be a string, not ") + type_name(*n));
}

expected<std::string>
table_reader::required_string(std::string_view key) const {
  if (!find(key))
    return fail(key, "required string is missing");
  auto s = nonempty_string(key);
  if (!s)
    return s.err();
  return std::move(**s);
}

expected<std::optional<std::string>>
table_reader::nonempty_string(std::string_view key) const {
  auto s = string(key);
  if (s && *s && (*s)->empty())
    return fail(key, "must not be empty");
  return s;
}

expected<std::optional<std::string>>
table_reader::choice(std::string_view key,
                     std::initializer_list<std::string_view> choices) const {
  auto s = string(key);
  if (!s || !*s)
    return s;
  if (std::find(choices.begin(), choices.end(), **s) != choices.end())
    return s;
  std::string list;
  for (auto c : choices)
    list += (list.empty() ? "" : ", ") + std::string(c);
  return fail(key,
              "invalid value " + toml_string(**s) + " (allowed: " + list + ")");
}

expected<std::optional<bool>>
table_reader::boolean(std::string_view key) const {
  auto n = find(key);
  if (!n)
    return std::optional<bool>{};
  if (auto b = n->as_boolean())
    return std::optional<bool>{b->get()};
  return fail(key, std::string("must be a boolean, not ") + type_name(*n));
}

expected<std::optional<int64_t>>
table_reader::integer(std::string_view key, int64_t min, int64_t max) const {
  auto n = find(key);
  if (!n)
    return std::optional<int64_t>{};
  auto i = n->as_integer();
  if (!i)
    return fail(key, std::string("must be an integer, not ") + type_name(*n));
  int64_t v = i->get();
  if (v < 0 && min >= 0)
    return fail(key, "must not be negative (got " + std::to_string(v) + ")");
  if (v < min)
    return fail(key, "must be >= " + std::to_string(min) + " (got "
                       + std::to_string(v) + ")");
  if (v > max)
    return fail(key, "must be <= " + std::to_string(max) + " (got "
                       + std::to_string(v) + ")");
  return std::optional<int64_t>{v};
}

expected<std::optional<std::vector<std::string>>>
table_reader::strings(std::string_view key) const {
  using result = std::optional<std::vector<std::string>>;
  auto n = find(key);
  if (!n)
    return result{};
  auto arr = n->as_array();
  if (!arr)
    return fail(key, std::string("must be an array of strings, not ")
                       + type_name(*n));
  std::vector<std::string> out;
  for (size_t i = 0; i < arr->size(); ++i) {
    const auto& e = *arr->get(i);
    auto s = e.as_string();
    if (!s)
      return ctx_.at(e, join(key) + "[" + std::to_string(i) + "]",
                     std::string("must be a string, not ") + type_name(e));
    out.push_back(s->get());
  }
  return result{std::move(out)};
}

// -- values -------------------------------------------------------------------

expected<nlohmann::json> to_json(const context& ctx, const toml::node& node,
                                 const std::string& path) {
  if (auto s = node.as_string())
    return nlohmann::json(s->get());
  if (auto i = node.as_integer())
    return nlohmann::json(i->get());
  if (auto b = node.as_boolean())
    return nlohmann::json(b->get());
  if (auto f = node.as_floating_point()) {
    if (!std::isfinite(f->get()))
      return ctx.at(node, path, "NaN and infinities are not allowed");
    return nlohmann::json(f->get());
  }
  if (auto arr = node.as_array()) {
    auto out = nlohmann::json::array();
    for (size_t i = 0; i < arr->size(); ++i) {
      auto v = to_json(ctx, *arr->get(i), path + "[" + std::to_string(i) + "]");
      if (!v)
        return v;
      out.push_back(std::move(*v));
    }
    return out;
  }
  if (auto tbl = node.as_table()) {
    auto out = nlohmann::json::object();
    for (const auto& [key, child] : in_file_order(*tbl)) {
      auto v = to_json(ctx, *child, join_key(path, key));
      if (!v)
        return v;
      out[key] = std::move(*v);
    }
    return out;
  }
  return ctx.at(node, path,
                std::string(type_name(node)) + " is not supported here");
}

std::string canonical(const nlohmann::json& value) {
  // TOML strings are valid UTF-8 (toml++ checks), so `replace` never
  // applies; it only rules out an exception.
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

status add_item(const context& ctx, const toml::node& node,
                const std::string& path, item_sink& items,
                protocol::DeltaCategory category, const std::string& key,
                std::string value) {
  if (key.empty())
    return ctx.at(node, path, "the key must not be empty");
  if (auto why = journal::key_shape_error(category, key); !why.empty())
    return ctx.at(node, path, why);
  if (key.size() > journal::max_key_bytes)
    return ctx.at(node, path,
                  "the key is longer than "
                    + std::to_string(journal::max_key_bytes) + " bytes");
  if (value.size() > journal::max_value_bytes)
    return ctx.at(node, path,
                  "the value is longer than "
                    + std::to_string(journal::max_value_bytes) + " bytes");
  protocol::DeltaItem item;
  item.set_category(category);
  item.set_action(protocol::DELTA_ACTION_ADD);
  item.set_key(key);
  item.set_value(std::move(value));
  items[journal::key_of(item)] = std::move(item);
  return {};
}

expected<toml::table> parse_toml(const std::string& text,
                                 const std::string& source_name) {
  try {
    return toml::parse(std::string_view(text), std::string_view(source_name));
  } catch (const toml::parse_error& e) {
    return make_error(
      toml_syntax_message(source_name, text, e.source().begin.line,
                          e.source().begin.column, e.description()));
  }
}

} // namespace pact::spec::detail
