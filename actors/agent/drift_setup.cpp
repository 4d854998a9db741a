#include "actors/agent/drift_setup.hpp"

#include <climits>
#include <cstdlib>

#include <unistd.h>

#include "runtime/node/scanners.hpp"

namespace pact::agent {

namespace {

/// The canonical absolute form of an existing path (symlinks resolved, so
/// the state directory is recognised under the root however it is named).
expected<std::string> real_path(const std::string& path,
                                const std::string& what) {
  char buf[PATH_MAX];
  if (!::realpath(path.c_str(), buf))
    return make_error(what + ": cannot resolve '" + path + "'");
  return std::string(buf);
}

/// `host` as a node path when it lies under `root` ("/" included).
std::optional<std::string> node_path_of(const std::string& host,
                                        const std::string& root) {
  if (root == "/")
    return host;
  if (host == root)
    return std::string("/");
  if (host.compare(0, root.size() + 1, root + "/") == 0)
    return host.substr(root.size());
  return std::nullopt;
}

std::string at(const config::values& v, const std::string& key) {
  const auto& where = v.origin_of(key).where;
  return (where.empty() ? "" : where + ": ") + key;
}

} // namespace

expected<drift_watcher_config>
drift_config(const config::values& v, const std::string& node_id,
             const std::string& root, const std::string& state_dir) {
  auto r = real_path(root, "--root");
  if (!r)
    return r.err();
  auto state = real_path(state_dir, "--state-dir");
  if (!state)
    return state.err();
  drift_watcher_config c;
  c.node_id = node_id;
  c.patterns = v.get_list("agent.blacklist.patterns");
  c.always_excluded = {"/run/pact"};
  if (auto p = node_path_of(*state, *r))
    c.always_excluded.push_back(*p);
  if (auto b = drift_blacklist(c.patterns, {}, c.always_excluded); !b)
    return make_error(at(v, "agent.blacklist.patterns") + ": "
                      + b.err().message);
  c.watch_roots = v.get_list("agent.drift.watch_roots");
  if (c.watch_roots.empty()) // watching nothing is never what was meant
    return make_error(at(v, "agent.drift.watch_roots")
                      + ": the list is empty, so no file would be watched; "
                        "leave the key out to watch the whole root, or name "
                        "the subtrees to watch");
  for (const auto& w : c.watch_roots)
    if (w.empty() || w[0] != '/' || w.find("/..") != std::string::npos)
      return make_error(at(v, "agent.drift.watch_roots") + ": '" + w
                        + "' is not an absolute node path");
  c.max_watches = static_cast<size_t>(v.get_int("agent.drift.max_watches"));
  c.poll_interval
    = std::chrono::milliseconds(v.get_int("agent.drift.poll_interval_ms"));
  c.scan_interval
    = std::chrono::seconds(v.get_int("agent.drift.scan_interval_seconds"));
  c.wake_on_events = true; // the agent process; tests drive the timer
  node::drift_settings s;
  s.root = *r;
  s.sysctl_keys = v.get_list("agent.drift.sysctl_keys");
  for (const auto& key : s.sysctl_keys)
    if (auto p = node::sysctl_path(s.root, key); !p)
      return make_error(at(v, "agent.drift.sysctl_keys") + ": "
                        + p.err().message);
  s.limits.max_file_bytes
    = static_cast<size_t>(v.get_int("agent.drift.baseline_max_file_bytes"));
  s.limits.max_total_bytes
    = static_cast<size_t>(v.get_int("agent.drift.baseline_max_total_bytes"));
  s.diff_max_bytes = s.limits.max_file_bytes;
  auto contents = node::file_content_store(*state + "/baseline.contents");
  if (!contents)
    return make_error(at(v, "agent.state_dir") + ": " + contents.err().message);
  s.contents = std::move(*contents);
  s.test_window_divisor
    = static_cast<uint32_t>(v.get_int("agent.drift.test_window_divisor"));
  c.host.root = *r;
  c.host.privileged = ::geteuid() == 0;
  c.host.run = node::spawn_runner();
  c.shared = std::make_shared<drift_shared>(std::move(s));
  return c;
}

supervision::child_spec drift_child(drift_watcher_config cfg) {
  return {"agent/drift-watcher", "drift-watcher",
          [cfg](caf::event_based_actor* sup,
                const supervision::health_handle& h) {
            auto c = cfg;
            c.supervisor = caf::actor_cast<caf::actor>(sup);
            return sup->spawn(drift_watcher, h, std::move(c));
          }};
}

} // namespace pact::agent
