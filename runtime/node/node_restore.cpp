#include "runtime/node/node_restore.hpp"

#include <dirent.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include <nlohmann/json.hpp>

#include "runtime/journal/journal_items.hpp"
#include "runtime/node/drift_commit.hpp"

namespace pact::node {

namespace {

constexpr int files_dim = protocol::DELTA_CATEGORY_FILES;

std::string describe(const item_id& id) {
  return journal::describe(journal::item_key{id.first, id.second});
}

bool is_under(const std::string& path, const std::string& dir) {
  if (dir == "/")
    return true;
  return path == dir
         || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0
             && path[dir.size()] == '/');
}

std::string read_link(const std::string& path) {
  std::string buf(4096, '\0');
  auto n = ::readlink(path.c_str(), buf.data(), buf.size());
  if (n <= 0)
    return {};
  buf.resize(static_cast<size_t>(n));
  return buf;
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr)
    return out;
  while (auto* e = ::readdir(d))
    if (e->d_name[0] != '.')
      out.emplace_back(e->d_name);
  ::closedir(d);
  return out;
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

/// Names of the services a declared service value depends on.
std::vector<std::string> depends_on(const std::string& value) {
  auto j = nlohmann::json::parse(value, nullptr, false);
  std::vector<std::string> out;
  if (j.is_object() && j.contains("depends_on") && j["depends_on"].is_array())
    for (const auto& n : j["depends_on"])
      if (n.is_string())
        out.push_back(n.get<std::string>());
  return out;
}

/// "would stop a service others depend on" refusals.
void check_services(const declared_state& current, const declared_state& next,
                    std::vector<std::string>& out) {
  constexpr int services = protocol::DELTA_CATEGORY_SERVICES;
  for (const auto& [id, v] : current.items) {
    if (id.first != services || !v.present)
      continue;
    auto after = next.find(id);
    if (after && after->present)
      continue; // still declared: not stopped
    for (const auto& [other, ov] : next.items)
      if (other.first == services && ov.present)
        for (const auto& dep : depends_on(ov.value))
          if (dep == id.second)
            out.push_back("service " + id.second + " would be stopped but "
                          + other.second + " depends on it");
  }
}

void check_mounts(const std::vector<restore_step>& plan, const consumers& c,
                  std::vector<std::string>& out) {
  for (const auto& step : plan) {
    if (step.id.first != protocol::DELTA_CATEGORY_MOUNTS || step.target.present
        || !step.actual.present)
      continue;
    const auto& point = step.id.second;
    for (const auto& m : c.mounted)
      if (m != point && is_under(m, point))
        out.push_back(point + " would be unmounted but " + m
                      + " is mounted below it");
    for (const auto& [path, who] : c.held)
      if (is_under(path, point)) {
        out.push_back(point + " would be unmounted but " + who + " uses "
                      + path);
        break; // one holder names the mount; the list could be long
      }
  }
}

protocol::RestoredItem outcome(const restore_step& step, apply_outcome o) {
  protocol::RestoredItem r;
  r.set_category(static_cast<category>(step.id.first));
  r.set_key(step.id.second);
  r.set_outcome(to_string(o.k));
  r.set_detail(o.detail);
  return r;
}

apply_outcome restore_file(const restore_step& step, const host_settings& host,
                           item_backend& files) {
  auto path = under_root(host.root, step.id.second);
  if (!step.target.present) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      return {apply_outcome::kind::failed, path + ": " + std::strerror(errno)};
    return {apply_outcome::kind::applied, path + " removed"};
  }
  if (!step.target_raw.empty())
    return files.apply(step.id.second, step.target_raw);
  if (step.target.value.rfind(sha256_prefix, 0) == 0)
    return {apply_outcome::kind::failed,
            path + ": known only by its hash, cannot be written back"};
  // A baseline target: the content the agent kept, with the mode the file
  // has now (0644 when it is gone).
  auto meta = host_file_meta(host.root)(step.id.second).value_or(file_meta{});
  return files.apply(step.id.second, file_item_value(step.target.value, meta));
}

apply_outcome restore_mount(const restore_step& step, const host_settings& host,
                            item_backend& mounts) {
  if (step.target.present)
    return mounts.apply(step.id.second, step.target_raw.empty()
                                          ? step.target.value
                                          : step.target_raw);
  auto what = "unmount " + step.id.second;
  if (!acts_on_host(host))
    return {apply_outcome::kind::recorded, "would " + what};
  if (auto st = host.run({"umount", under_root(host.root, step.id.second)});
      !st)
    return {apply_outcome::kind::failed, what + ": " + st.err().message};
  return {apply_outcome::kind::applied, what};
}

} // namespace

std::vector<restore_step> plan_restore(const drift_state& s,
                                       const declared_state& next) {
  std::set<item_id> ids;
  for (const auto& d : s.items())
    ids.insert(d.id);
  // Keys whose declaration the rollback changes (added, dropped, other
  // value): they may hold the old declared value without drifting now.
  auto differs = [](const std::optional<item_value>& a, const item_value& b) {
    return !a || !(*a == b);
  };
  for (const auto& [id, v] : s.declared().items)
    if (differs(next.find(id), v))
      ids.insert(id);
  for (const auto& [id, v] : next.items)
    if (differs(s.declared().find(id), v))
      ids.insert(id);
  std::vector<restore_step> plan;
  for (const auto& id : ids) {
    restore_step step{id, s.actual(id), {}, {}};
    if (auto d = next.find(id)) {
      step.target = *d;
      if (auto raw = next.raw.find(id); raw != next.raw.end())
        step.target_raw = raw->second;
    } else {
      step.target = s.baseline(id).value_or(item_value::absent());
    }
    if (!same_value(static_cast<category>(id.first), step.target, step.actual))
      plan.push_back(std::move(step));
  }
  return plan;
}

consumers read_consumers(const std::string& root,
                         const observed_items& mounts) {
  consumers c;
  for (const auto& [id, v] : mounts)
    c.mounted.push_back(id.second);
  auto proc = under_root(root, "/proc");
  for (const auto& pid : list_dir(proc)) {
    if (!all_digits(pid))
      continue;
    auto base = proc + "/" + pid;
    auto who = "process " + pid;
    for (const char* link : {"/cwd", "/root"})
      if (auto t = read_link(base + link); !t.empty() && t != "/")
        c.held.emplace_back(t, who);
    for (const auto& fd : list_dir(base + "/fd"))
      if (auto t = read_link(base + "/fd/" + fd); !t.empty() && t[0] == '/')
        c.held.emplace_back(t, who);
  }
  return c;
}

status check_restore(const std::vector<restore_step>& plan,
                     const declared_state& current, const declared_state& next,
                     const consumers& c, bool force) {
  std::string hashed;
  for (const auto& step : plan)
    if (step.id.first == files_dim && step.target.present
        && step.target.value.rfind(sha256_prefix, 0) == 0)
      hashed += (hashed.empty() ? "" : ", ") + step.id.second;
  if (!hashed.empty())
    return make_error(
      "rollback refused: cannot restore " + hashed
      + " (the agent knows the content to put back only by its hash: the "
        "file was over agent.drift.baseline_max_file_bytes); nothing was "
        "written");
  if (force)
    return {};
  std::vector<std::string> blocked;
  check_mounts(plan, c, blocked);
  check_services(current, next, blocked);
  if (blocked.empty())
    return {};
  std::string text;
  for (const auto& b : blocked)
    text += (text.empty() ? "" : "; ") + b;
  return make_error("rollback blocked by active consumers: " + text
                      + "; nothing was written (--force restores anyway)",
                    exit_code::rollback_blocked);
}

std::vector<protocol::RestoredItem> execute_restore(
  const std::vector<restore_step>& plan, const host_settings& host,
  std::map<protocol::DeltaCategory, std::unique_ptr<item_backend>>& backends) {
  std::vector<protocol::RestoredItem> out;
  for (const auto& step : plan) {
    auto cat = static_cast<category>(step.id.first);
    auto backend = backends.find(cat);
    apply_outcome o{apply_outcome::kind::failed,
                    "pact does not restore " + describe(step.id)};
    if (cat == protocol::DELTA_CATEGORY_FILES && backend != backends.end())
      o = restore_file(step, host, *backend->second);
    else if (cat == protocol::DELTA_CATEGORY_MOUNTS
             && backend != backends.end())
      o = restore_mount(step, host, *backend->second);
    else if (cat == protocol::DELTA_CATEGORY_KERNEL
             && step.id.second.rfind(module_prefix, 0) == 0)
      o.detail = "pact does not load or unload kernel modules ("
                 + step.id.second + ")";
    else if (cat == protocol::DELTA_CATEGORY_KERNEL && !step.target.present)
      o.detail = "a sysctl key cannot be made absent (" + step.id.second + ")";
    else if (backend != backends.end())
      o = backend->second->apply(step.id.second, step.target_raw.empty()
                                                   ? step.target.value
                                                   : step.target_raw);
    out.push_back(outcome(step, std::move(o)));
  }
  return out;
}

} // namespace pact::node
