#include "runtime/node/service_plan.hpp"

#include <algorithm>
#include <csignal>
#include <cstring>
#include <functional>
#include <set>

#include <nlohmann/json.hpp>

#include "runtime/common/terminal_text.hpp"

namespace pact::node {

namespace {

using nlohmann::json;

expected<std::string> string_field(const json& j, const std::string& service,
                                   const char* key, bool required) {
  auto it = j.find(key);
  if (it == j.end()) {
    if (required)
      return make_error("service '" + service + "': '" + key + "' is missing");
    return std::string();
  }
  if (!it->is_string() || (required && it->get<std::string>().empty()))
    return make_error("service '" + service + "': '" + key
                      + "' is not a non-empty string");
  return it->get<std::string>();
}

expected<std::vector<std::string>>
strings_field(const json& j, const std::string& service, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end())
    return out;
  if (!it->is_array())
    return make_error("service '" + service + "': '" + key
                      + "' is not an array of strings");
  for (const auto& e : *it) {
    if (!e.is_string())
      return make_error("service '" + service + "': '" + key
                        + "' is not an array of strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}

int64_t int_field(const json& j, const char* key, int64_t dflt) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : dflt;
}

expected<health_check_spec> parse_health(const json& h,
                                         const std::string& service) {
  if (!h.is_object())
    return make_error("service '" + service
                      + "': 'health_check' is not a table");
  health_check_spec out;
  auto type = string_field(h, service, "type", true);
  if (!type)
    return type.err();
  out.type = *type;
  if (out.type == "http") {
    auto url = string_field(h, service, "url", true);
    if (!url)
      return url.err();
    out.url = *url;
  } else if (out.type == "tcp") {
    out.port = static_cast<int>(int_field(h, "port", 0));
    if (out.port < 1 || out.port > 65535)
      return make_error("service '" + service
                        + "': health_check.port is not 1..65535");
  } else if (out.type != "process") {
    return make_error("service '" + service + "': health_check.type '"
                      + out.type + "' is not process, http or tcp");
  }
  out.interval = std::chrono::seconds(
    std::max<int64_t>(1, int_field(h, "interval_seconds", 10)));
  return out;
}

std::string ordinal(uint32_t n) {
  auto s = std::to_string(n);
  if (n % 100 >= 11 && n % 100 <= 13)
    return s + "th";
  switch (n % 10) {
    case 1:
      return s + "st";
    case 2:
      return s + "nd";
    case 3:
      return s + "rd";
    default:
      return s + "th";
  }
}

std::string seconds_text(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms % 1000 == 0)
    return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

} // namespace

expected<service_spec> parse_service(const std::string& name,
                                     const std::string& value) {
  auto j = json::parse(value, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return make_error("service '" + name
                      + "': its declared value is not a JSON object");
  service_spec s;
  s.name = name;
  s.declared = value;
  auto binary = string_field(j, name, "binary", true);
  if (!binary)
    return binary.err();
  s.binary = *binary;
  if (s.binary[0] != '/')
    return make_error("service '" + name + "': binary '" + s.binary
                      + "' is not an absolute path");
  auto args = strings_field(j, name, "args");
  if (!args)
    return args.err();
  s.args = std::move(*args);
  auto restart = string_field(j, name, "restart", false);
  if (!restart)
    return restart.err();
  if (restart->empty() || *restart == "always")
    s.restart = restart_policy::always;
  else if (*restart == "on-failure")
    s.restart = restart_policy::on_failure;
  else if (*restart == "never")
    s.restart = restart_policy::never;
  else
    return make_error("service '" + name + "': restart '" + *restart
                      + "' is not always, on-failure or never");
  s.restart_delay = std::chrono::seconds(
    std::max<int64_t>(0, int_field(j, "restart_delay_seconds", 5)));
  auto deps = strings_field(j, name, "depends_on");
  if (!deps)
    return deps.err();
  s.depends_on = std::move(*deps);
  s.order = int_field(j, "order", 0);
  if (auto h = j.find("health_check"); h != j.end()) {
    auto hc = parse_health(*h, name);
    if (!hc)
      return hc.err();
    s.health = std::move(*hc);
  }
  for (auto [key, field] :
       {std::make_pair("cgroup_slice", &s.cgroup_slice),
        std::make_pair("cgroup_memory_max", &s.cgroup_memory_max)}) {
    auto v = string_field(j, name, key, false);
    if (!v)
      return v.err();
    *field = *v;
  }
  return s;
}

std::string restart_name(restart_policy p) {
  switch (p) {
    case restart_policy::always:
      return "always";
    case restart_policy::on_failure:
      return "on-failure";
    case restart_policy::never:
      return "never";
  }
  return "always";
}

start_plan plan_start(const std::vector<service_spec>& services) {
  std::map<std::string, const service_spec*> by_name;
  for (const auto& s : services)
    by_name[s.name] = &s;
  start_plan out;
  // Why each service cannot start, found depth first: an undeclared
  // dependency, a cycle, or a dependency that cannot start.
  std::map<std::string, int> mark; // 1 = on the path, 2 = done
  std::vector<std::string> path;
  std::function<void(const std::string&)> visit = [&](const std::string& n) {
    mark[n] = 1;
    path.push_back(n);
    for (const auto& dep : by_name[n]->depends_on) {
      if (!by_name.count(dep)) {
        out.blocked.emplace(n, "depends on '" + dep
                                 + "', which is not declared on this node");
        continue;
      }
      if (mark[dep] == 1) {
        auto from = std::find(path.begin(), path.end(), dep);
        std::string cycle;
        for (auto it = from; it != path.end(); ++it)
          cycle += *it + " -> ";
        cycle += dep;
        for (auto it = from; it != path.end(); ++it)
          out.blocked.emplace(*it, "dependency cycle: " + cycle);
        continue;
      }
      if (mark[dep] == 0)
        visit(dep);
      if (out.blocked.count(dep) && !out.blocked.count(n))
        out.blocked.emplace(n, "depends on '" + dep + "', which cannot start: "
                                 + out.blocked.at(dep));
    }
    path.pop_back();
    mark[n] = 2;
  };
  for (const auto& [name, s] : by_name)
    if (mark[name] == 0)
      visit(name);
  // Kahn's algorithm over the startable services, the ready set ordered by
  // (order, name): deterministic, and `order` decides among independents.
  std::map<std::string, size_t> waiting;
  std::map<std::string, std::vector<std::string>> dependents;
  for (const auto& [name, s] : by_name) {
    if (out.blocked.count(name))
      continue;
    std::set<std::string> deps(s->depends_on.begin(), s->depends_on.end());
    waiting[name] = deps.size();
    for (const auto& d : deps)
      dependents[d].push_back(name);
  }
  auto before = [&](const std::string& a, const std::string& b) {
    auto oa = by_name[a]->order, ob = by_name[b]->order;
    return oa != ob ? oa < ob : a < b;
  };
  std::set<std::string, decltype(before)> ready(before);
  for (const auto& [name, n] : waiting)
    if (n == 0)
      ready.insert(name);
  while (!ready.empty()) {
    auto next = *ready.begin();
    ready.erase(ready.begin());
    out.order.push_back(next);
    for (const auto& d : dependents[next])
      if (--waiting[d] == 0)
        ready.insert(d);
  }
  return out;
}

std::string exit_text(const exit_status& e) {
  if (!e.signaled)
    return "exited with status " + std::to_string(e.code);
  const char* abbrev = sigabbrev_np(e.code);
  return "killed by signal " + std::to_string(e.code)
         + (abbrev != nullptr ? " (SIG" + std::string(abbrev) + ")" : "");
}

restart_decision after_exit(const service_spec& spec, const exit_status& e,
                            std::chrono::milliseconds uptime,
                            uint32_t crashes_in_a_row,
                            const crash_loop_limits& limits) {
  restart_decision d;
  bool crash = !e.success();
  bool wanted = spec.restart == restart_policy::always
                || (spec.restart == restart_policy::on_failure && crash);
  if (!wanted) {
    d.k = crash ? restart_decision::kind::failed
                : restart_decision::kind::exited;
    d.detail = crash ? exit_text(e) + "; restart = \""
                         + restart_name(spec.restart) + "\": not restarted"
                     : "exited with status 0; restart = \""
                         + restart_name(spec.restart) + "\"";
    return d;
  }
  d.k = restart_decision::kind::restart;
  // A short run that failed is a crash in a loop; anything else starts
  // the count again (a clean exit under `always` is not a crash).
  d.crashes_in_a_row
    = crash && uptime < limits.min_uptime ? crashes_in_a_row + 1 : 0;
  auto delay
    = std::chrono::duration_cast<std::chrono::milliseconds>(spec.restart_delay);
  for (uint32_t i = 1; i < d.crashes_in_a_row && delay < limits.max_delay; ++i)
    delay *= 2;
  d.delay = std::min(
    delay, std::max(limits.max_delay,
                    std::chrono::duration_cast<std::chrono::milliseconds>(
                      spec.restart_delay)));
  d.detail = exit_text(e) + "; restarting in " + seconds_text(d.delay);
  if (d.crashes_in_a_row > 1)
    d.detail += " (" + ordinal(d.crashes_in_a_row) + " crash in a row)";
  return d;
}

service_log::service_log(size_t max_lines, size_t max_bytes,
                         size_t max_line_bytes)
  : max_lines_(std::max<size_t>(1, max_lines)), max_bytes_(max_bytes),
    max_line_bytes_(std::max<size_t>(16, max_line_bytes)) {
}

void service_log::push(std::string line) {
  if (line.size() > max_line_bytes_) {
    line.resize(max_line_bytes_);
    line += " [line cut at " + std::to_string(max_line_bytes_) + " bytes]";
  }
  // A service may print any bytes; the log holds text (protobuf strings
  // and JSON must be UTF-8): invalid bytes become \xNN.
  line = utf8_safe(line);
  bytes_ += line.size();
  lines_.push_back(std::move(line));
  while (lines_.size() > max_lines_
         || (bytes_ > max_bytes_ && lines_.size() > 1)) {
    bytes_ -= lines_.front().size();
    lines_.pop_front();
    dropped_ = true;
  }
}

void service_log::append(const std::string& bytes) {
  size_t start = 0;
  while (start < bytes.size()) {
    auto nl = bytes.find('\n', start);
    auto end = nl == std::string::npos ? bytes.size() : nl;
    // The rest of a line already cut is dropped, not kept as a line of its
    // own (it would read as one).
    if (!cutting_)
      partial_.append(bytes, start, end - start);
    if (partial_.size() > max_line_bytes_) { // cut it now, once
      push(std::exchange(partial_, std::string()));
      cutting_ = true;
    }
    if (nl == std::string::npos)
      return;
    if (!cutting_)
      push(std::exchange(partial_, std::string()));
    cutting_ = false;
    start = nl + 1;
  }
}

void service_log::flush() {
  if (!partial_.empty())
    push(std::exchange(partial_, std::string()));
}

std::pair<std::vector<std::string>, bool> service_log::tail(size_t n) const {
  auto count = std::min(n, lines_.size());
  std::vector<std::string> out(lines_.end() - static_cast<long>(count),
                               lines_.end());
  return {std::move(out), dropped_ || count < lines_.size()};
}

} // namespace pact::node
