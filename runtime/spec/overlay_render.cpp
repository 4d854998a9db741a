#include "runtime/spec/overlay_render.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "runtime/journal/journal_policy.hpp"
#include "runtime/spec/overlay_spec.hpp"
#include "runtime/spec/toml_text.hpp"

namespace pact::spec {

namespace {

using nlohmann::json;
using protocol::DeltaCategory;
using protocol::DeltaItem;

/// The TOML spelling of a JSON value as an inline value, or nullopt when
/// TOML has none (null, integers beyond int64, non-finite numbers).
std::optional<std::string> inline_value(const json& j) {
  switch (j.type()) {
    case json::value_t::string:
      return toml_string(j.get_ref<const std::string&>());
    case json::value_t::boolean:
      return j.get<bool>() ? "true" : "false";
    case json::value_t::number_integer:
      return std::to_string(j.get<int64_t>());
    case json::value_t::number_unsigned: {
      auto u = j.get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        return std::nullopt;
      return std::to_string(u);
    }
    case json::value_t::number_float: {
      auto d = j.get<double>();
      if (!std::isfinite(d))
        return std::nullopt;
      return toml_float(d);
    }
    case json::value_t::array: {
      std::string out = "[";
      for (const auto& e : j) {
        auto v = inline_value(e);
        if (!v)
          return std::nullopt;
        out += (out.size() > 1 ? ", " : "") + *v;
      }
      return out + "]";
    }
    case json::value_t::object: {
      if (j.empty())
        return "{}";
      std::string out = "{ ";
      bool first = true;
      for (const auto& [k, e] : j.items()) {
        auto v = inline_value(e);
        if (!v)
          return std::nullopt;
        out += (first ? "" : ", ") + toml_key(k) + " = " + *v;
        first = false;
      }
      return out + " }";
    }
    default:
      break;
  }
  return std::nullopt;
}

/// A JSON object, or nullopt.
std::optional<json> parse_object(const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return std::nullopt;
  return j;
}

void note(std::ostream& out, const DeltaItem& item, const char* what) {
  out << "# pact: " << category_name(item.category()) << " item "
      << toml_string(item.key()) << " " << what << ": "
      << toml_string(item.value().substr(0, 200)) << "\n";
}

/// `[vcluster.X.sysctl]`-style tables of `key = value` lines.
void render_flat(std::ostream& out, const std::string& header,
                 const std::vector<const DeltaItem*>& items) {
  if (items.empty())
    return;
  out << "\n[" << header << "]\n";
  for (const auto* item : items) {
    const auto& key = item->key();
    if (item->category() == protocol::DELTA_CATEGORY_KERNEL) {
      out << toml_key(key) << " = " << toml_string(item->value()) << "\n";
      continue;
    }
    auto j = json::parse(item->value(), nullptr, false);
    std::optional<std::string> v;
    if (!j.is_discarded())
      v = inline_value(j);
    bool object_needed = item->category() == protocol::DELTA_CATEGORY_MOUNTS;
    if (v && (!object_needed || j.is_object())) {
      out << toml_key(key) << " = " << *v << "\n";
    } else if (object_needed) {
      note(out, *item, "is not a JSON object and was left out");
    } else {
      note(out, *item, "is not canonical JSON; written as a string");
      out << toml_key(key) << " = " << toml_string(item->value()) << "\n";
    }
  }
}

/// One `[header]` table per item, its fields one per line (files and
/// services); `content` strings with newlines are multi-line.
void render_tables(std::ostream& out, const std::string& prefix,
                   const std::vector<const DeltaItem*>& items) {
  for (const auto* item : items) {
    auto j = parse_object(item->value());
    std::map<std::string, std::string> fields;
    bool ok = j.has_value();
    if (ok) {
      for (const auto& [k, e] : j->items()) {
        std::optional<std::string> v;
        if (k == "content" && e.is_string()
            && e.get_ref<const std::string&>().find('\n') != std::string::npos)
          v = toml_multiline_string(e.get_ref<const std::string&>());
        else
          v = inline_value(e);
        if (!v) {
          ok = false;
          break;
        }
        fields[k] = *v;
      }
    }
    if (!ok) {
      out << "\n";
      note(out, *item, "is not a JSON object and was left out");
      continue;
    }
    out << "\n[" << join_key(prefix, item->key()) << "]\n";
    for (const auto& [k, v] : fields)
      out << toml_key(k) << " = " << v << "\n";
  }
}

std::string
string_list(const google::protobuf::RepeatedPtrField<std::string>& list) {
  std::string out = "[";
  for (const auto& s : list)
    out += (out.size() > 1 ? ", " : "") + toml_string(s);
  return out + "]";
}

std::string
category_list(const google::protobuf::RepeatedField<int>& categories) {
  std::string out = "[";
  for (int c : categories)
    out += (out.size() > 1 ? ", " : "")
           + toml_string(category_name(static_cast<DeltaCategory>(c)));
  return out + "]";
}

const char* mode_name(protocol::EnforcementMode mode) {
  switch (mode) {
    case protocol::ENFORCEMENT_MODE_WARN:
      return "warn";
    case protocol::ENFORCEMENT_MODE_ENFORCE:
      return "enforce";
    default:
      return "observe";
  }
}

void render_policy(std::ostream& out, const std::string& prefix,
                   const protocol::VClusterPolicy& stored) {
  // The stored policy is resolved already; resolving again fills the
  // fields of an overlay built by hand and keeps lists canonical.
  protocol::VClusterPolicy p;
  if (!journal::resolve_policy(stored, &p).empty())
    p = stored;
  auto flag = [](bool b) { return b ? "true" : "false"; };
  out << "\n[" << prefix << ".policy]\n"
      << "drift_sensitivity = " << toml_float(p.drift_sensitivity()) << "\n"
      << "base_commit_window_seconds = " << p.base_commit_window_seconds()
      << "\n"
      << "emergency_window_seconds = " << p.emergency_window_seconds() << "\n"
      << "enforcement_mode = " << toml_string(mode_name(p.enforcement_mode()))
      << "\n"
      << "auto_converge_categories = "
      << category_list(p.auto_converge_categories()) << "\n"
      << "require_ack_categories = "
      << category_list(p.require_ack_categories()) << "\n"
      << "regulated = " << flag(p.regulated()) << "\n"
      << "two_person_approval = " << flag(p.two_person_approval()) << "\n"
      << "approval_timeout_seconds = " << p.approval_timeout_seconds() << "\n"
      << "emergency_allowed = " << flag(p.emergency_allowed()) << "\n"
      << "ai_exec_allowed = " << flag(p.ai_exec_allowed()) << "\n"
      << "ai_write_allowed = " << flag(p.ai_write_allowed()) << "\n"
      << "audit_retention_days = " << p.audit_retention_days() << "\n"
      << "exec_whitelist = " << string_list(p.exec_whitelist()) << "\n"
      << "shell_whitelist = " << string_list(p.shell_whitelist()) << "\n"
      << "blacklist = " << string_list(p.blacklist()) << "\n"
      << "read_only_commands = " << string_list(p.read_only_commands()) << "\n";
}

void render_one(std::ostream& out, const protocol::VClusterOverlay& overlay) {
  auto prefix = join_key("vcluster", overlay.vcluster());
  out << "[" << prefix << "]\n";
  const auto& attrs = overlay.attributes();
  if (!attrs.base_image().empty())
    out << "base_image = " << toml_string(attrs.base_image()) << "\n";
  if (!attrs.supervisor_backend().empty())
    out << "supervisor_backend = " << toml_string(attrs.supervisor_backend())
        << "\n";
  std::map<int, std::vector<const DeltaItem*>> by_category;
  for (const auto& item : overlay.items()) {
    if (category_name(item.category()).empty())
      note(out, item, "has no known category and was left out");
    else
      by_category[item.category()].push_back(&item);
  }
  auto items = [&](DeltaCategory c) { return by_category[c]; };
  render_flat(out, prefix + ".sysctl", items(protocol::DELTA_CATEGORY_KERNEL));
  render_flat(out, prefix + ".mounts", items(protocol::DELTA_CATEGORY_MOUNTS));
  render_tables(out, prefix + ".files", items(protocol::DELTA_CATEGORY_FILES));
  render_flat(out, prefix + ".packages",
              items(protocol::DELTA_CATEGORY_PACKAGES));
  render_flat(out, prefix + ".network",
              items(protocol::DELTA_CATEGORY_NETWORK));
  render_flat(out, prefix + ".gpu", items(protocol::DELTA_CATEGORY_GPU));
  render_tables(out, prefix + ".services",
                items(protocol::DELTA_CATEGORY_SERVICES));
  render_policy(out, prefix, overlay.policy());
}

void render_comment(std::ostream& out, const std::string& comment) {
  if (comment.empty())
    return;
  std::istringstream lines(comment);
  std::string line;
  while (std::getline(lines, line)) {
    // TOML comments may hold no control character but tab.
    for (auto& c : line)
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
        c = '?';
    out << (line.empty() ? "#" : "# " + line) << "\n";
  }
  out << "\n";
}

} // namespace

std::string render_overlay_toml(const protocol::VClusterOverlay& overlay,
                                const std::string& comment) {
  return render_overlays_toml({overlay}, comment);
}

std::string
render_overlays_toml(const std::vector<protocol::VClusterOverlay>& overlays,
                     const std::string& comment) {
  std::ostringstream out;
  render_comment(out, comment);
  for (size_t i = 0; i < overlays.size(); ++i) {
    if (i > 0)
      out << "\n";
    render_one(out, overlays[i]);
  }
  return out.str();
}

} // namespace pact::spec
