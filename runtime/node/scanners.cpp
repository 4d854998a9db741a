#include "runtime/node/scanners.hpp"

#include <sstream>

#include <nlohmann/json.hpp>

#include "runtime/common/files.hpp"

namespace pact::node {

namespace {

bool key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'
         || c == '/' || c == ':';
}

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
  auto bad = [&](const std::string& why) {
    return make_error("sysctl key '" + key + "' " + why);
  };
  if (key.empty())
    return make_error("sysctl key is empty");
  for (char c : key)
    if (!key_char(c))
      return bad("has a character other than letters, digits and _-.:/");
  // With '/' present, '.' is part of a component (net/ipv4/conf/eth0.100).
  char sep = key.find('/') != std::string::npos ? '/' : '.';
  std::string rel;
  std::istringstream in(key);
  std::string part;
  while (std::getline(in, part, sep)) {
    if (part.empty() || part == "..")
      return bad("has an empty or '..' component");
    rel += "/" + part;
  }
  if (key.back() == sep)
    return bad("has an empty or '..' component");
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
