// The item tables of `[vcluster.X]` other than services: sysctl, mounts,
// files, packages, network and gpu (docs/spec.md, "Item encoding").

#include "runtime/spec/spec_reader.hpp"

namespace pact::spec::detail {

namespace {

using protocol::DeltaCategory;

/// The table of an item category, or an error naming the key.
expected<const toml::table*> as_items_table(const context& ctx,
                                            const toml::node& node,
                                            const std::string& path) {
  if (auto t = node.as_table())
    return t;
  return ctx.at(node, path,
                std::string("must be a table, not ") + type_name(node));
}

/// "0644" from "644" or "0644"; nullopt unless 3-4 octal digits.
std::optional<std::string> normalize_mode(const std::string& mode) {
  if (mode.size() < 3 || mode.size() > 4)
    return std::nullopt;
  for (char c : mode)
    if (c < '0' || c > '7')
      return std::nullopt;
  return mode.size() == 3 ? "0" + mode : mode;
}

/// Keys of mounts and files are absolute paths.
status check_absolute(const context& ctx, const toml::node& node,
                      const std::string& path, const std::string& key) {
  if (key.empty() || key[0] != '/')
    return ctx.at(node, path, "must be an absolute path (starting with '/')");
  return {};
}

/// The walk mounts and files share: a table keyed by absolute paths whose
/// values are tables with only the `allowed` keys. `shape` completes "a
/// mount is a table { … }" for the error. `build` reads one entry and
/// returns its canonical JSON value.
template <class Build>
status parse_path_tables(const context& ctx, const toml::node& node,
                         const std::string& path, item_sink& items,
                         DeltaCategory category, const std::string& shape,
                         const std::vector<std::string_view>& allowed,
                         Build build) {
  auto table = as_items_table(ctx, node, path);
  if (!table)
    return table.err();
  for (const auto& [key, value] : in_file_order(**table)) {
    auto at = join_key(path, key);
    if (auto st = check_absolute(ctx, *value, at, key); !st)
      return st;
    auto entry = value->as_table();
    if (!entry)
      return ctx.at(*value, at, shape + ", not " + type_name(*value));
    table_reader r(ctx, *entry, at);
    if (auto st = r.only(allowed); !st)
      return st;
    auto j = build(r);
    if (!j)
      return j.err();
    if (auto st = add_item(ctx, *value, at, items, category, key,
                           canonical(*j));
        !st)
      return st;
  }
  return {};
}

} // namespace

status parse_sysctl(const context& ctx, const toml::node& node,
                    const std::string& path, item_sink& items) {
  auto table = as_items_table(ctx, node, path);
  if (!table)
    return table.err();
  for (const auto& [key, value] : in_file_order(**table)) {
    auto at = join_key(path, key);
    std::string text;
    if (auto s = value->as_string())
      text = s->get();
    else if (auto i = value->as_integer())
      text = std::to_string(i->get());
    else
      return ctx.at(*value, at,
                    std::string("sysctl values are strings (integers are "
                                "converted), not ")
                      + type_name(*value));
    if (auto st = add_item(ctx, *value, at, items,
                           protocol::DELTA_CATEGORY_KERNEL, key,
                           std::move(text));
        !st)
      return st;
  }
  return {};
}

status parse_mounts(const context& ctx, const toml::node& node,
                    const std::string& path, item_sink& items) {
  return parse_path_tables(
    ctx, node, path, items, protocol::DELTA_CATEGORY_MOUNTS,
    "a mount is a table { type, source, read_only, options }",
    {"type", "source", "read_only", "options"},
    [](table_reader& r) -> expected<nlohmann::json> {
      auto type = r.required_string("type");
      if (!type)
        return type.err();
      auto source = r.required_string("source");
      if (!source)
        return source.err();
      auto read_only = r.boolean("read_only");
      if (!read_only)
        return read_only.err();
      auto options = r.nonempty_string("options");
      if (!options)
        return options.err();
      nlohmann::json j = {{"type", *type},
                          {"source", *source},
                          {"read_only", read_only->value_or(false)}};
      if (*options)
        j["options"] = **options;
      return j;
    });
}

status parse_files(const context& ctx, const toml::node& node,
                   const std::string& path, item_sink& items) {
  return parse_path_tables(
    ctx, node, path, items, protocol::DELTA_CATEGORY_FILES,
    "a file is a table { content, mode, owner, group }",
    {"content", "mode", "owner", "group"},
    [](table_reader& r) -> expected<nlohmann::json> {
      if (!r.find("content"))
        return r.fail("content", "required string is missing");
      auto content = r.string("content");
      if (!content)
        return content.err();
      auto mode = r.string("mode");
      if (!mode)
        return mode.err();
      std::string canonical_mode = "0644";
      if (*mode) {
        auto m = normalize_mode(**mode);
        if (!m)
          return r.fail("mode", "must be 3 or 4 octal digits such as "
                                "\"0644\" (got "
                                  + toml_string(**mode) + ")");
        canonical_mode = *m;
      }
      auto owner = r.nonempty_string("owner");
      if (!owner)
        return owner.err();
      auto group = r.nonempty_string("group");
      if (!group)
        return group.err();
      return nlohmann::json{{"content", **content},
                            {"mode", canonical_mode},
                            {"owner", owner->value_or("root")},
                            {"group", group->value_or("root")}};
    });
}

status parse_json_items(const context& ctx, const toml::node& node,
                        const std::string& path, item_sink& items,
                        DeltaCategory category) {
  auto table = as_items_table(ctx, node, path);
  if (!table)
    return table.err();
  for (const auto& [key, value] : in_file_order(**table)) {
    auto at = join_key(path, key);
    auto j = to_json(ctx, *value, at);
    if (!j)
      return j.err();
    if (auto st = add_item(ctx, *value, at, items, category, key,
                           canonical(*j));
        !st)
      return st;
  }
  return {};
}

} // namespace pact::spec::detail
