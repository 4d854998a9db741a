// `[vcluster.X.policy]` tables and policy files (`pact group set-policy`).

#include <cmath>
#include <limits>

#include "runtime/common/files.hpp"
#include "runtime/journal/journal_policy.hpp"
#include "runtime/spec/overlay_spec.hpp"
#include "runtime/spec/spec_reader.hpp"

namespace pact::spec {

namespace detail {

namespace {

using protocol::VClusterPolicy;

const std::vector<std::string_view> policy_keys = {"drift_sensitivity",
                                                   "base_commit_window_seconds",
                                                   "emergency_window_seconds",
                                                   "enforcement_mode",
                                                   "auto_converge_categories",
                                                   "require_ack_categories",
                                                   "regulated",
                                                   "two_person_approval",
                                                   "approval_timeout_seconds",
                                                   "emergency_allowed",
                                                   "ai_exec_allowed",
                                                   "ai_write_allowed",
                                                   "audit_retention_days",
                                                   "exec_whitelist",
                                                   "shell_whitelist",
                                                   "blacklist",
                                                   "read_only_commands"};

status read_drift_sensitivity(const table_reader& r, VClusterPolicy& p) {
  const toml::node* n = r.find("drift_sensitivity");
  if (!n)
    return {};
  double v = 0;
  if (auto f = n->as_floating_point())
    v = f->get();
  else if (auto i = n->as_integer())
    v = static_cast<double>(i->get());
  else
    return r.fail("drift_sensitivity",
                  std::string("must be a number, not ") + type_name(*n));
  if (!std::isfinite(v))
    return r.fail("drift_sensitivity", "must be a finite number");
  if (v < 0)
    return r.fail("drift_sensitivity",
                  "must not be negative (got " + toml_float(v) + ")");
  p.set_drift_sensitivity(v);
  return {};
}

status read_numbers(const table_reader& r, VClusterPolicy& p) {
  using setter = void (VClusterPolicy::*)(uint32_t);
  const std::pair<const char*, setter> fields[] = {
    {"base_commit_window_seconds",
     &VClusterPolicy::set_base_commit_window_seconds},
    {"emergency_window_seconds", &VClusterPolicy::set_emergency_window_seconds},
    {"approval_timeout_seconds", &VClusterPolicy::set_approval_timeout_seconds},
    {"audit_retention_days", &VClusterPolicy::set_audit_retention_days},
  };
  for (auto [key, set] : fields) {
    auto v = r.integer(key, 0, std::numeric_limits<uint32_t>::max());
    if (!v)
      return v.err();
    if (*v)
      (p.*set)(static_cast<uint32_t>(**v));
  }
  return {};
}

status read_booleans(const table_reader& r, VClusterPolicy& p) {
  using setter = void (VClusterPolicy::*)(bool);
  const std::pair<const char*, setter> fields[] = {
    {"regulated", &VClusterPolicy::set_regulated},
    {"two_person_approval", &VClusterPolicy::set_two_person_approval},
    {"emergency_allowed", &VClusterPolicy::set_emergency_allowed},
    {"ai_exec_allowed", &VClusterPolicy::set_ai_exec_allowed},
    {"ai_write_allowed", &VClusterPolicy::set_ai_write_allowed},
  };
  for (auto [key, set] : fields) {
    auto v = r.boolean(key);
    if (!v)
      return v.err();
    if (*v)
      (p.*set)(**v);
  }
  return {};
}

status read_mode(const table_reader& r, VClusterPolicy& p) {
  auto mode = r.choice("enforcement_mode", {"observe", "warn", "enforce"});
  if (!mode)
    return mode.err();
  if (!*mode)
    return {};
  if (**mode == "observe")
    p.set_enforcement_mode(protocol::ENFORCEMENT_MODE_OBSERVE);
  else if (**mode == "warn")
    p.set_enforcement_mode(protocol::ENFORCEMENT_MODE_WARN);
  else
    p.set_enforcement_mode(protocol::ENFORCEMENT_MODE_ENFORCE);
  return {};
}

status read_lists(const context& ctx, const table_reader& r,
                  VClusterPolicy& p) {
  using categories = google::protobuf::RepeatedField<int>;
  const std::pair<const char*, categories*> category_lists[] = {
    {"auto_converge_categories", p.mutable_auto_converge_categories()},
    {"require_ack_categories", p.mutable_require_ack_categories()},
  };
  for (auto [key, out] : category_lists) {
    auto names = r.strings(key);
    if (!names)
      return names.err();
    if (!*names)
      continue;
    for (size_t i = 0; i < (*names)->size(); ++i) {
      const auto& name = (**names)[i];
      auto c = category_from_name(name);
      if (!c)
        return ctx.at(*r.find(key)->as_array()->get(i),
                      r.path(key) + "[" + std::to_string(i) + "]",
                      "unknown category " + toml_string(name)
                        + " (allowed: mounts, files, network, services, "
                          "kernel, packages, gpu)");
      out->Add(*c);
    }
  }
  using strings = google::protobuf::RepeatedPtrField<std::string>;
  const std::pair<const char*, strings*> string_lists[] = {
    {"exec_whitelist", p.mutable_exec_whitelist()},
    {"shell_whitelist", p.mutable_shell_whitelist()},
    {"blacklist", p.mutable_blacklist()},
    {"read_only_commands", p.mutable_read_only_commands()},
  };
  for (auto [key, out] : string_lists) {
    auto list = r.strings(key);
    if (!list)
      return list.err();
    if (*list)
      for (auto& s : **list)
        *out->Add() = std::move(s);
  }
  return {};
}

/// Turns resolve_policy's message ("KEY why") into a located error.
error resolve_error(const table_reader& r, const std::string& message) {
  auto space = message.find(' ');
  auto key = message.substr(0, space);
  for (std::string_view k : policy_keys)
    if (k == key && space != std::string::npos)
      return r.fail(key, message.substr(space + 1));
  return r.fail_table(message);
}

} // namespace

expected<protocol::VClusterPolicy> parse_policy_table(const context& ctx,
                                                      const toml::node& node,
                                                      const std::string& path) {
  auto tbl = node.as_table();
  if (!tbl)
    return ctx.at(node, path,
                  std::string("must be a table, not ") + type_name(node));
  table_reader r(ctx, *tbl, path);
  if (auto st = r.only(policy_keys); !st)
    return st.err();
  VClusterPolicy raw;
  for (auto read :
       {read_drift_sensitivity, read_numbers, read_booleans, read_mode})
    if (auto st = read(r, raw); !st)
      return st.err();
  if (auto st = read_lists(ctx, r, raw); !st)
    return st.err();
  VClusterPolicy resolved;
  if (auto why = journal::resolve_policy(raw, &resolved); !why.empty())
    return resolve_error(r, why);
  return resolved;
}

} // namespace detail

expected<protocol::VClusterPolicy>
parse_policy_text(const std::string& text, const std::string& source_name,
                  const std::string& vcluster) {
  auto root = detail::parse_toml(text, source_name);
  if (!root)
    return root.err();
  detail::context ctx{source_name};
  if (root->empty())
    return ctx.at_line(1, "policy",
                       "the file sets no policy (expected policy keys, a "
                       "[policy] table or a [vcluster."
                         + toml_key(vcluster) + ".policy] table)");
  if (auto vc = root->get("vcluster")) {
    detail::table_reader top(ctx, *root, "");
    if (auto st = top.only({"vcluster"}); !st)
      return st.err();
    auto vcs = vc->as_table();
    if (!vcs || vcs->empty())
      return ctx.at(*vc, "vcluster",
                    "must hold one [vcluster." + toml_key(vcluster)
                      + ".policy] table");
    for (const auto& [name, node] : detail::in_file_order(*vcs))
      if (name != vcluster)
        return ctx.at(*node, join_key("vcluster", name),
                      "the file is for vCluster " + toml_string(name) + ", not "
                        + toml_string(vcluster));
    auto path = join_key("vcluster", vcluster);
    const toml::node& node = *vcs->get(vcluster);
    if (!node.is_table())
      return ctx.at(node, path, "must be a table");
    detail::table_reader one(ctx, *node.as_table(), path);
    if (auto st = one.only({"policy"}); !st)
      return st.err();
    if (!one.find("policy"))
      return one.fail("policy", "the table is missing");
    return detail::parse_policy_table(ctx, *one.find("policy"),
                                      join_key(path, "policy"));
  }
  if (auto p = root->get("policy"); p && p->is_table()) {
    detail::table_reader top(ctx, *root, "");
    if (auto st = top.only({"policy"}); !st)
      return st.err();
    return detail::parse_policy_table(ctx, *p, "policy");
  }
  return detail::parse_policy_table(ctx, *root, "");
}

expected<protocol::VClusterPolicy>
parse_policy_file(const std::string& path, const std::string& vcluster) {
  auto text = files::read_all(path);
  if (!text)
    return text.err();
  return parse_policy_text(*text, path, vcluster);
}

} // namespace pact::spec
