#include "runtime/node/capability_manifest.hpp"

#include <filesystem>

#include "runtime/common/files.hpp"
#include "runtime/node/capability_probe.hpp"
#include "runtime/node/root_fs.hpp"

namespace pact::node {

nlohmann::json gpus_json(const gpu_poll& poll, int64_t polled_unix_ms) {
  auto devices = nlohmann::json::array();
  for (const auto& d : poll.report.devices)
    devices.push_back(to_json(d));
  return {{"tool", poll.tool},
          {"status", poll.status},
          {"polled_unix_ms", polled_unix_ms},
          {"count", poll.report.devices.size()},
          {"devices", std::move(devices)},
          {"problems", poll.report.problems}};
}

nlohmann::json make_manifest(const std::string& node, int64_t generated_unix_ms,
                             const nlohmann::json& host,
                             const nlohmann::json& gpus) {
  nlohmann::json m{{"schema", manifest_schema},
                   {"node", node},
                   {"generated_unix_ms", generated_unix_ms}};
  for (const char* k :
       {"cpu", "memory", "network", "storage", "modules", "probe_errors"})
    m[k] = host.contains(k) ? host[k] : nlohmann::json(nullptr);
  m["gpus"] = gpus;
  return m;
}

status write_manifest(const std::string& root, const nlohmann::json& manifest) {
  // The manifest goes under the root, never makes the root itself:
  // recreating a --root that was removed or moved away would pass for the
  // node's tree coming back (the drift watcher would read every file as
  // removed).
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec))
    return make_error(root
                      + " is gone (was it removed or moved?); the "
                        "capability manifest is not written");
  // Never through a symlink out of --root (root_fs.hpp).
  return write_in_root(root, manifest_path,
                       manifest.dump(2, ' ', false,
                                     nlohmann::json::error_handler_t::replace)
                         + "\n",
                       0644);
}

expected<nlohmann::json> parse_manifest(std::string_view text,
                                        const std::string& where) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return make_error(where + ": not a JSON object");
  auto s = j.find("schema");
  if (s == j.end() || !s->is_string() || *s != manifest_schema)
    return make_error(where + ": not a " + std::string(manifest_schema)
                      + " manifest");
  return j;
}

expected<std::string> read_manifest(const std::string& root) {
  auto path = host_path(root, manifest_path);
  if (!files::exists(path))
    return make_error("no capability manifest at " + path
                      + " yet (the agent writes it after its first probe)");
  auto text = files::read_all(path);
  if (!text)
    return text.err();
  if (auto j = parse_manifest(*text, path); !j)
    return j.err();
  return text;
}

expected<gpu_poll> gpu_poll_of(const nlohmann::json& manifest) {
  auto g = manifest.find("gpus");
  if (g == manifest.end() || !g->is_object())
    return make_error("manifest has no \"gpus\" object");
  gpu_poll p;
  auto str = [&](const char* k, std::string& out) {
    auto it = g->find(k);
    if (it != g->end() && it->is_string())
      out = it->get<std::string>();
  };
  str("tool", p.tool);
  str("status", p.status);
  if (auto d = g->find("devices"); d != g->end() && d->is_array())
    for (const auto& item : *d) {
      auto dev = gpu_from_json(item);
      if (!dev)
        return dev.err();
      p.report.devices.push_back(std::move(*dev));
    }
  if (auto pr = g->find("problems"); pr != g->end() && pr->is_array())
    for (const auto& item : *pr)
      if (item.is_string())
        p.report.problems.push_back(item.get<std::string>());
  return p;
}

} // namespace pact::node
