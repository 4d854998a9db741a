// Services of `[vcluster.X]`, in either form:
//   [vcluster.X.services.NAME]            (a table of tables)
//   [[vcluster.X.services]] name = "NAME" (an array of tables)
// Both give the same canonical item (docs/spec.md, "Services").

#include <map>

#include "runtime/spec/spec_reader.hpp"

namespace pact::spec::detail {

namespace {

constexpr int64_t max_delay_seconds = 86'400;
constexpr int64_t max_interval_seconds = 86'400;
constexpr int64_t max_order = 1'000'000;
constexpr size_t max_service_name_bytes = 255;

/// A service name: 1..255 bytes of [A-Za-z0-9._@:+-], not starting with
/// '.' or '-' (systemd unit names fit; '/' and spaces do not).
bool valid_service_name(const std::string& name) {
  if (name.empty() || name.size() > max_service_name_bytes || name[0] == '.'
      || name[0] == '-')
    return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'
              || c == '@' || c == ':' || c == '+';
    if (!ok)
      return false;
  }
  return true;
}

const char* name_rule = "a service name is 1-255 bytes of [A-Za-z0-9._@:+-], "
                        "not starting with '.' or '-'";

expected<nlohmann::json> read_health_check(const context& ctx,
                                           const table_reader& svc) {
  const toml::node* node = svc.find("health_check");
  auto at = svc.path("health_check");
  auto tbl = node->as_table();
  if (!tbl)
    return ctx.at(*node, at,
                  std::string("must be a table { type, url, port, "
                              "interval_seconds }, not ")
                    + type_name(*node));
  table_reader r(ctx, *tbl, at);
  if (auto st = r.only({"type", "url", "port", "interval_seconds"}); !st)
    return st.err();
  if (!r.find("type"))
    return r.fail("type", "required string is missing");
  auto type = r.choice("type", {"process", "http", "tcp"});
  if (!type)
    return type.err();
  auto url = r.nonempty_string("url");
  if (!url)
    return url.err();
  auto port = r.integer("port", 1, 65535);
  if (!port)
    return port.err();
  auto interval = r.integer("interval_seconds", 1, max_interval_seconds);
  if (!interval)
    return interval.err();
  const std::string& kind = **type;
  if (kind == "http" && !*url)
    return r.fail("url", "an http health check needs a url");
  if (kind != "http" && *url)
    return r.fail("url", "only an http health check has a url");
  if (kind == "tcp" && !*port)
    return r.fail("port", "a tcp health check needs a port");
  if (kind != "tcp" && *port)
    return r.fail("port", "only a tcp health check has a port");
  nlohmann::json j = {{"type", kind},
                      {"interval_seconds", interval->value_or(10)}};
  if (*url)
    j["url"] = **url;
  if (*port)
    j["port"] = **port;
  return j;
}

/// The canonical JSON of one service's table. `name_key` says whether a
/// `name` field is expected (array form) or tolerated when equal to the
/// table key (table form).
expected<std::string> read_service(const context& ctx, const toml::table& tbl,
                                   const std::string& at,
                                   const std::string& name) {
  table_reader r(ctx, tbl, at);
  if (auto st = r.only({"name", "binary", "args", "restart",
                        "restart_delay_seconds", "depends_on", "order",
                        "health_check", "cgroup_slice", "cgroup_memory_max"});
      !st)
    return st.err();
  auto binary = r.required_string("binary");
  if (!binary)
    return binary.err();
  auto args = r.strings("args");
  if (!args)
    return args.err();
  auto restart = r.choice("restart", {"always", "on-failure", "never"});
  if (!restart)
    return restart.err();
  auto delay = r.integer("restart_delay_seconds", 0, max_delay_seconds);
  if (!delay)
    return delay.err();
  auto depends = r.strings("depends_on");
  if (!depends)
    return depends.err();
  auto order = r.integer("order", -max_order, max_order);
  if (!order)
    return order.err();
  auto slice = r.nonempty_string("cgroup_slice");
  if (!slice)
    return slice.err();
  auto memory = r.nonempty_string("cgroup_memory_max");
  if (!memory)
    return memory.err();
  std::vector<std::string> deps = depends->value_or(std::vector<std::string>{});
  for (size_t i = 0; i < deps.size(); ++i) {
    auto dep_at = r.path("depends_on") + "[" + std::to_string(i) + "]";
    const auto& dep_node = *r.find("depends_on")->as_array()->get(i);
    if (!valid_service_name(deps[i]))
      return ctx.at(dep_node, dep_at,
                    "invalid service name " + toml_string(deps[i]) + ": "
                      + name_rule);
    if (deps[i] == name)
      return ctx.at(dep_node, dep_at, "a service cannot depend on itself");
    for (size_t k = 0; k < i; ++k)
      if (deps[k] == deps[i])
        return ctx.at(dep_node, dep_at,
                      "names " + toml_string(deps[i]) + " twice");
  }
  nlohmann::json j = {
    {"binary", *binary},
    {"args", args->value_or(std::vector<std::string>{})},
    {"restart", restart->value_or("always")},
    {"restart_delay_seconds", delay->value_or(5)},
    {"depends_on", deps},
    {"order", order->value_or(0)},
  };
  if (r.find("health_check")) {
    auto hc = read_health_check(ctx, r);
    if (!hc)
      return hc.err();
    j["health_check"] = std::move(*hc);
  }
  if (*slice)
    j["cgroup_slice"] = **slice;
  if (*memory)
    j["cgroup_memory_max"] = **memory;
  return canonical(j);
}

/// `[vcluster.X.services.NAME]` tables.
status parse_table_form(const context& ctx, const toml::table& services,
                        const std::string& path, item_sink& items) {
  for (const auto& [name, node] : in_file_order(services)) {
    auto at = join_key(path, name);
    if (!valid_service_name(name))
      return ctx.at(*node, at,
                    "invalid service name " + toml_string(name) + ": "
                      + name_rule);
    auto tbl = node->as_table();
    if (!tbl)
      return ctx.at(*node, at,
                    std::string("a service is a table, not ")
                      + type_name(*node));
    if (auto n = tbl->get("name")) {
      auto s = n->as_string();
      if (!s || s->get() != name)
        return ctx.at(*n, join_key(at, "name"),
                      "must equal the table key " + toml_string(name)
                        + " when given");
    }
    auto value = read_service(ctx, *tbl, at, name);
    if (!value)
      return value.err();
    if (auto st = add_item(ctx, *node, at, items,
                           protocol::DELTA_CATEGORY_SERVICES, name,
                           std::move(*value));
        !st)
      return st;
  }
  return {};
}

/// `[[vcluster.X.services]]` entries with `name`.
status parse_array_form(const context& ctx, const toml::array& services,
                        const std::string& path, item_sink& items) {
  // First pass: every entry is a table with a valid, unique name.
  std::map<std::string, uint32_t> first_line;
  std::vector<std::string> names;
  for (size_t i = 0; i < services.size(); ++i) {
    const auto& node = *services.get(i);
    auto at = path + "[" + std::to_string(i) + "]";
    auto tbl = node.as_table();
    if (!tbl)
      return ctx.at(
        node, at, std::string("a service is a table, not ") + type_name(node));
    table_reader r(ctx, *tbl, at);
    auto name = r.required_string("name");
    if (!name)
      return name.err();
    auto named = join_key(path, *name);
    if (!valid_service_name(*name))
      return r.fail("name", "invalid service name " + toml_string(*name) + ": "
                              + name_rule);
    auto [it, fresh] = first_line.emplace(*name, line_of(node));
    if (!fresh)
      return ctx.at(node, named,
                    "service " + toml_string(*name) + " is defined twice (line "
                      + std::to_string(it->second) + " and line "
                      + std::to_string(line_of(node)) + ")");
    names.push_back(*name);
  }
  // Second pass: a `[vcluster.X.services.NAME]` table after the array is,
  // in TOML, a sub-table of the last entry. Say so instead of reporting an
  // unknown key.
  for (size_t i = 0; i < services.size(); ++i) {
    const auto& tbl = *services.get(i)->as_table();
    for (const auto& [key, node] : in_file_order(tbl)) {
      if (key == "health_check" || !node->is_table()
          || node->as_table()->is_inline())
        continue;
      auto named = join_key(path, key);
      auto other = first_line.find(key);
      if (other != first_line.end())
        return ctx.at(*node, named,
                      "service " + toml_string(key) + " is defined twice (line "
                        + std::to_string(other->second) + " and line "
                        + std::to_string(line_of(*node)) + ")");
      return ctx.at(*node, named,
                    "a [" + named + "] table after [[" + path
                      + "]] is read by TOML as part of the entry at line "
                      + std::to_string(line_of(*services.get(i)))
                      + "; use one services form per vCluster");
    }
  }
  for (size_t i = 0; i < services.size(); ++i) {
    const auto& node = *services.get(i);
    auto at = join_key(path, names[i]);
    auto value = read_service(ctx, *node.as_table(), at, names[i]);
    if (!value)
      return value.err();
    if (auto st = add_item(ctx, node, at, items,
                           protocol::DELTA_CATEGORY_SERVICES, names[i],
                           std::move(*value));
        !st)
      return st;
  }
  return {};
}

} // namespace

status parse_services(const context& ctx, const toml::node& node,
                      const std::string& path, item_sink& items) {
  if (auto tbl = node.as_table())
    return parse_table_form(ctx, *tbl, path, items);
  if (auto arr = node.as_array())
    return parse_array_form(ctx, *arr, path, items);
  return ctx.at(node, path,
                std::string("must be [") + path + ".NAME] tables or [[" + path
                  + "]] entries, not " + type_name(node));
}

} // namespace pact::spec::detail
