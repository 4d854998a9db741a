#include "runtime/node/systemd_units.hpp"

#include <limits>

#include "runtime/node/service_cgroup.hpp"

namespace pact::node {

namespace {

std::string one_line(std::string s) {
  for (auto& c : s)
    if (c == '\n' || c == '\r' || c == '\t')
      c = ' ';
  constexpr size_t max_len = 300;
  if (s.size() > max_len)
    s = s.substr(0, max_len) + "...";
  return s;
}

/// The pact state of a unit systemd has loaded.
std::string state_of(const unit_properties& p) {
  const auto& a = p.active_state;
  if (a == "active")
    // A oneshot that ran (RemainAfterExit) has exited as it should.
    return p.sub_state == "exited" ? "exited" : "running";
  if (a == "reloading" || a == "refreshing" || a == "maintenance")
    return "running";
  if (a == "activating")
    // systemd waits out RestartSec= between crashes: pact's backoff.
    return p.sub_state == "auto-restart" ? "backoff" : "starting";
  if (a == "deactivating")
    return "stopping";
  if (a == "failed")
    return "failed";
  if (a == "inactive")
    // Ended without failing (systemd counts a failure as `failed`).
    return p.result.empty() || p.result == "success" ? "exited" : "failed";
  return a.empty() ? std::string("starting") : a;
}

} // namespace

std::string unit_name(const std::string& service) {
  return service + ".service";
}

unit_view view_of(const std::string& service, const unit_properties& p,
                  uint64_t now_usec) {
  unit_view v;
  auto unit = unit_name(service);
  v.restarts = p.n_restarts;
  if (p.load_state == "not-found") {
    v.state = "failed";
    v.detail = "unit " + unit + " not found: systemd has no unit file for it";
    return v;
  }
  if (p.load_state == "masked") {
    v.state = "failed";
    v.detail = "unit " + unit + " is masked";
    return v;
  }
  if (!p.load_state.empty() && p.load_state != "loaded") {
    v.state = "failed";
    v.detail = "unit " + unit + " did not load (" + p.load_state + ")";
    return v;
  }
  v.state = state_of(p);
  v.detail = "unit " + unit + ": " + p.active_state
             + (p.sub_state.empty() ? "" : " (" + p.sub_state + ")");
  if (!p.result.empty() && p.result != "success")
    v.detail += "; result " + p.result;
  if (p.main_pid > 0) {
    v.pid = p.main_pid;
    if (p.start_usec > 0 && now_usec > p.start_usec)
      v.uptime_seconds
        = static_cast<int64_t>((now_usec - p.start_usec) / 1'000'000);
  }
  return v;
}

expected<uint64_t> memory_max_value(const std::string& declared) {
  auto text = memory_max_bytes(declared);
  if (!text)
    return text.err();
  if (*text == "max")
    return std::numeric_limits<uint64_t>::max();
  try {
    return static_cast<uint64_t>(std::stoull(*text));
  } catch (const std::exception&) {
    return make_error("cgroup_memory_max '" + declared
                      + "' is not a number of bytes");
  }
}

std::string bus_error_text(const std::string& unit, const std::string& what,
                           const std::string& error_name,
                           const std::string& message) {
  auto line = "systemd: " + what + " of " + unit + " failed: "
              + (error_name.empty() ? std::string("no reply") : error_name);
  if (!message.empty())
    line += " (" + one_line(message) + ")";
  return line;
}

} // namespace pact::node
