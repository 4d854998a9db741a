#include "runtime/node/node_restore.hpp"

#include <dirent.h>
#include <unistd.h>

#include <set>

#include <nlohmann/json.hpp>

#include "runtime/common/terminal_text.hpp"

namespace pact::node {

namespace {

constexpr int files_dim = protocol::DELTA_CATEGORY_FILES;

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
  order_steps(plan);
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

std::vector<step_result> execute_restore(const std::vector<restore_step>& plan,
                                         const declared_state& next,
                                         backend_map& backends) {
  return execute_steps(plan, next.raw, {true}, backends);
}

std::vector<protocol::RestoredItem>
restored_items(const std::vector<step_result>& done) {
  std::vector<protocol::RestoredItem> out;
  for (const auto& r : done) {
    protocol::RestoredItem i;
    i.set_category(static_cast<category>(r.step.id.first));
    // Host text may not be UTF-8; proto string fields must be.
    i.set_key(utf8_safe(r.step.id.second));
    i.set_outcome(to_string(r.outcome.k));
    i.set_detail(utf8_safe(r.outcome.detail));
    out.push_back(std::move(i));
  }
  return out;
}

} // namespace pact::node
