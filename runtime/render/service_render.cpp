#include "runtime/render/service_render.hpp"

#include "runtime/common/terminal_text.hpp"
#include "runtime/render/status_render.hpp"

namespace pact::render {

namespace {

/// "42s", "5m 3s", "2h 10m", "3d 4h": how long a process has run.
std::string uptime_text(int64_t seconds) {
  auto part = [](int64_t a, const char* ua, int64_t b, const char* ub) {
    return std::to_string(a) + ua + (b > 0 ? " " + std::to_string(b) + ub : "");
  };
  if (seconds < 60)
    return std::to_string(seconds) + "s";
  if (seconds < 3600)
    return part(seconds / 60, "m", seconds % 60, "s");
  if (seconds < 86400)
    return part(seconds / 3600, "h", seconds % 3600 / 60, "m");
  return part(seconds / 86400, "d", seconds % 86400 / 3600, "h");
}

} // namespace

std::string service_status_text(const protocol::ServiceReply& r) {
  std::string out = "node " + terminal_safe(r.node()) + ": "
                    + std::to_string(r.services_size()) + " service"
                    + (r.services_size() == 1 ? "" : "s") + "\n";
  if (r.services_size() == 0)
    return out + "(the node's vCluster declares no services)\n";
  std::vector<std::vector<std::string>> rows{
    {"SERVICE", "STATE", "PID", "UPTIME", "RESTARTS", "HEALTH", "DETAIL"}};
  for (const auto& s : r.services()) {
    rows.push_back(
      {s.name(), s.state(), s.pid() > 0 ? std::to_string(s.pid()) : "-",
       s.pid() > 0 ? uptime_text(s.uptime_seconds()) : "-",
       std::to_string(s.restarts()), s.health().empty() ? "-" : s.health(),
       !s.detail().empty()      ? s.detail()
       : !s.last_exit().empty() ? "last: " + s.last_exit()
                                : "-"});
  }
  return out + render_table(rows);
}

nlohmann::json service_status_json(const protocol::ServiceReply& r) {
  auto list = nlohmann::json::array();
  for (const auto& s : r.services())
    list.push_back({{"name", s.name()},
                    {"state", s.state()},
                    {"pid", s.pid()},
                    {"uptime_seconds", s.uptime_seconds()},
                    {"restarts", s.restarts()},
                    {"health", s.health()},
                    {"last_exit", s.last_exit()},
                    {"detail", s.detail()},
                    {"binary", s.binary()},
                    {"restart", s.restart()}});
  return {{"node", r.node()}, {"services", list}};
}

std::string service_logs_text(const protocol::ServiceReply& r) {
  std::string out;
  for (const auto& l : r.lines())
    out += terminal_safe(l) + "\n";
  return out;
}

nlohmann::json service_logs_json(const protocol::ServiceReply& r,
                                 const std::string& service) {
  return {{"node", r.node()},
          {"service", service},
          {"lines",
           std::vector<std::string>(r.lines().begin(), r.lines().end())},
          {"truncated", r.truncated()}};
}

} // namespace pact::render
