#include "runtime/spec/overlay_spec.hpp"

#include <map>

#include "runtime/common/files.hpp"
#include "runtime/spec/spec_reader.hpp"

namespace pact::spec {

namespace {

using detail::context;
using detail::table_reader;

const char* vcluster_name_rule = "a vCluster name is 1-63 bytes of "
                                 "[A-Za-z0-9._-], not starting with '.' or "
                                 "'-'";

status parse_attributes(const table_reader& r, protocol::OverlaySpec& spec) {
  auto image = r.string("base_image");
  if (!image)
    return image.err();
  auto backend = r.choice("supervisor_backend", {"pact", "systemd"});
  if (!backend)
    return backend.err();
  if (*image) {
    if ((*image)->size() > journal::max_key_bytes)
      return r.fail("base_image", "is longer than "
                                    + std::to_string(journal::max_key_bytes)
                                    + " bytes");
    spec.mutable_attributes()->set_base_image(**image);
  }
  if (*backend)
    spec.mutable_attributes()->set_supervisor_backend(**backend);
  return {};
}

/// One `[vcluster.NAME]` table.
expected<protocol::OverlaySpec>
parse_vcluster(const context& ctx, const toml::table& table,
               const std::string& path, const std::string& name) {
  protocol::OverlaySpec spec;
  spec.set_vcluster(name);
  table_reader r(ctx, table, path);
  if (auto st
      = r.only({"base_image", "supervisor_backend", "sysctl", "mounts", "files",
                "packages", "network", "gpu", "services", "policy"});
      !st)
    return st.err();
  if (auto st = parse_attributes(r, spec); !st)
    return st.err();
  detail::item_sink items;
  for (const auto& [key, node] : detail::in_file_order(table)) {
    auto at = r.path(key);
    status st;
    if (key == "sysctl")
      st = detail::parse_sysctl(ctx, *node, at, items);
    else if (key == "mounts")
      st = detail::parse_mounts(ctx, *node, at, items);
    else if (key == "files")
      st = detail::parse_files(ctx, *node, at, items);
    else if (key == "packages")
      st = detail::parse_json_items(ctx, *node, at, items,
                                    protocol::DELTA_CATEGORY_PACKAGES);
    else if (key == "network")
      st = detail::parse_json_items(ctx, *node, at, items,
                                    protocol::DELTA_CATEGORY_NETWORK);
    else if (key == "gpu")
      st = detail::parse_json_items(ctx, *node, at, items,
                                    protocol::DELTA_CATEGORY_GPU);
    else if (key == "services")
      st = detail::parse_services(ctx, *node, at, items);
    else if (key == "policy") {
      auto policy = detail::parse_policy_table(ctx, *node, at);
      if (!policy)
        return policy.err();
      *spec.mutable_policy() = std::move(*policy);
    }
    if (!st)
      return st.err();
  }
  journal::to_list(items, spec.mutable_items());
  // The journal checks the same on apply; checking here reports it with
  // the file and line before anything is sent.
  protocol::StateDelta delta;
  *delta.mutable_items() = spec.items();
  if (auto why = journal::validate_delta(delta); !why.empty())
    return r.fail_table(why);
  return spec;
}

} // namespace

expected<std::vector<protocol::OverlaySpec>>
parse_spec_text(const std::string& text, const std::string& source_name) {
  auto root = detail::parse_toml(text, source_name);
  if (!root)
    return root.err();
  context ctx{source_name};
  table_reader top(ctx, *root, "");
  if (auto st = top.only({"vcluster"}); !st)
    return st.err();
  const toml::node* vc = root->get("vcluster");
  const char* none = "the spec declares no vCluster (expected [vcluster.NAME] "
                     "tables)";
  if (!vc)
    return ctx.at_line(1, "vcluster", none);
  auto vcs = vc->as_table();
  if (!vcs)
    return ctx.at(*vc, "vcluster",
                  std::string("must be a table of [vcluster.NAME] tables, "
                              "not ")
                    + detail::type_name(*vc));
  if (vcs->empty())
    return ctx.at(*vc, "vcluster", none);
  if (vcs->size() > static_cast<size_t>(journal::max_overlays_per_command))
    return ctx.at(*vc, "vcluster",
                  "more than "
                    + std::to_string(journal::max_overlays_per_command)
                    + " vClusters in one spec");
  std::map<std::string, protocol::OverlaySpec> by_name;
  for (const auto& [name, node] : detail::in_file_order(*vcs)) {
    auto path = join_key("vcluster", name);
    if (!journal::valid_name(name))
      return ctx.at(*node, path,
                    "invalid vCluster name " + toml_string(name) + ": "
                      + vcluster_name_rule);
    auto tbl = node->as_table();
    if (!tbl)
      return ctx.at(*node, path,
                    std::string("must be a table, not ")
                      + detail::type_name(*node));
    auto spec = parse_vcluster(ctx, *tbl, path, name);
    if (!spec)
      return spec.err();
    by_name.emplace(name, std::move(*spec));
  }
  std::vector<protocol::OverlaySpec> out;
  out.reserve(by_name.size());
  for (auto& [name, spec] : by_name)
    out.push_back(std::move(spec));
  return out;
}

expected<std::vector<protocol::OverlaySpec>>
parse_spec_file(const std::string& path) {
  auto text = files::read_all(path);
  if (!text)
    return text.err();
  return parse_spec_text(*text, path);
}

std::string_view category_name(protocol::DeltaCategory category) {
  switch (category) {
    case protocol::DELTA_CATEGORY_MOUNTS:
      return "mounts";
    case protocol::DELTA_CATEGORY_FILES:
      return "files";
    case protocol::DELTA_CATEGORY_NETWORK:
      return "network";
    case protocol::DELTA_CATEGORY_SERVICES:
      return "services";
    case protocol::DELTA_CATEGORY_KERNEL:
      return "kernel";
    case protocol::DELTA_CATEGORY_PACKAGES:
      return "packages";
    case protocol::DELTA_CATEGORY_GPU:
      return "gpu";
    default:
      break;
  }
  return {};
}

std::optional<protocol::DeltaCategory>
category_from_name(std::string_view name) {
  for (int c = protocol::DeltaCategory_MIN; c <= protocol::DeltaCategory_MAX;
       ++c) {
    auto category = static_cast<protocol::DeltaCategory>(c);
    if (protocol::DeltaCategory_IsValid(c) && !name.empty()
        && category_name(category) == name)
      return category;
  }
  return std::nullopt;
}

} // namespace pact::spec
