#include "runtime/node/scanners.hpp"

#include <sstream>

#include <nlohmann/json.hpp>

#include "runtime/common/files.hpp"
#include "runtime/journal/journal_items.hpp"

namespace pact::node {

namespace {

/// Decodes the octal escapes the kernel writes for space, tab, newline and
/// backslash in /proc/mounts fields.
std::string unescape_octal(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      auto digits = s.substr(i + 1, 3);
      bool octal = digits.size() == 3;
      for (char c : digits)
        octal = octal && c >= '0' && c <= '7';
      if (octal) {
        out += static_cast<char>(std::stoi(digits, nullptr, 8));
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

bool has_option(const std::string& options, const std::string& o) {
  std::istringstream in(options);
  std::string item;
  while (std::getline(in, item, ','))
    if (item == o)
      return true;
  return false;
}

} // namespace

expected<std::string> sysctl_path(const std::string& root,
                                  const std::string& key) {
  // The rule declarations are checked by (journal_items.hpp).
  if (auto why = journal::key_shape_error(protocol::DELTA_CATEGORY_KERNEL, key);
      !why.empty())
    return make_error(why);
  char sep = key.find('/') != std::string::npos ? '/' : '.';
  std::string rel;
  std::istringstream in(key);
  std::string part;
  while (std::getline(in, part, sep))
    rel += "/" + part;
  return (root == "/" ? std::string() : root) + "/proc/sys" + rel;
}

observed_items scan_sysctl(const std::string& root,
                           const std::vector<std::string>& keys) {
  observed_items out;
  for (const auto& key : keys) {
    auto path = sysctl_path(root, key);
    if (!path || !files::exists(*path))
      continue;
    auto text = files::read_all(*path);
    if (!text)
      continue;
    std::string v = *text;
    while (!v.empty() && (v.back() == '\n' || v.back() == ' '))
      v.pop_back();
    out[{protocol::DELTA_CATEGORY_KERNEL, key}] = item_value::of(v);
  }
  return out;
}

observed_items parse_mounts(const std::string& text) {
  observed_items out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string source, point, type, options;
    if (!(fields >> source >> point >> type >> options))
      continue;
    point = unescape_octal(point);
    if (point.empty() || point[0] != '/')
      continue;
    nlohmann::json j = {{"options", options},
                        {"read_only", has_option(options, "ro")},
                        {"source", unescape_octal(source)},
                        {"type", type}};
    out[{protocol::DELTA_CATEGORY_MOUNTS, point}] = item_value::of(
      j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  return out;
}

expected<observed_items> scan_mounts(const std::string& root) {
  std::string base = root == "/" ? std::string() : root;
  for (const char* p : {"/proc/self/mounts", "/proc/mounts"}) {
    if (!files::exists(base + p))
      continue;
    auto text = files::read_all(base + p);
    if (text)
      return parse_mounts(*text);
  }
  return make_error("cannot read the mount table (" + base
                    + "/proc/self/mounts or " + base + "/proc/mounts)");
}

observed_items parse_modules(const std::string& text) {
  observed_items out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string name;
    if (fields >> name)
      out[{protocol::DELTA_CATEGORY_KERNEL, module_prefix + name}]
        = item_value::of("loaded");
  }
  return out;
}

expected<observed_items> scan_modules(const std::string& root) {
  std::string path = (root == "/" ? std::string() : root) + "/proc/modules";
  auto text = files::read_all(path);
  if (!text)
    return make_error("cannot read the module list (" + path + ")");
  return parse_modules(*text);
}

} // namespace pact::node
