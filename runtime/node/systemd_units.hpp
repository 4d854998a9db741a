#pragma once

/// The systemd supervisor backend's pure parts (docs/services.md, "systemd
/// backend"): which unit runs a declared service, how a unit's properties
/// read as the states `pact service status` shows for the pact backend,
/// systemd's MemoryMax value for a declared limit, and the one line an
/// operator sees when a D-Bus call fails. The bus itself is
/// systemd_bus.hpp.

#include <cstdint>
#include <string>

#include "runtime/common/error.hpp"

namespace pact::node {

/// The unit systemd runs the declared service `service` as: NAME.service.
std::string unit_name(const std::string& service);

/// The properties read from a unit (org.freedesktop.systemd1.Unit and
/// .Service) that its status is made of.
struct unit_properties {
  /// LoadState: "loaded", "not-found", "masked", "error", "bad-setting".
  std::string load_state;
  /// ActiveState: "active", "reloading", "inactive", "failed",
  /// "activating", "deactivating" (and "maintenance", "refreshing").
  std::string active_state;
  std::string sub_state;
  /// Service.Result: "success", "exit-code", "signal", "timeout", ...
  std::string result;
  int64_t main_pid = 0;
  uint32_t n_restarts = 0;
  /// ExecMainStartTimestamp, µs since the Unix epoch (0: not started).
  uint64_t start_usec = 0;
};

/// A unit's status in the pact backend's terms (api.proto ServiceStatus).
struct unit_view {
  /// "starting", "running", "backoff", "exited", "failed", "stopping",
  /// "stopped".
  std::string state;
  /// systemd's own words: "unit web.service: active (running)".
  std::string detail;
  int64_t pid = 0;
  int64_t uptime_seconds = 0;
  uint32_t restarts = 0;
};

/// Maps `p` (of the unit of `service`) as of `now_usec` (µs since the Unix
/// epoch). A unit systemd cannot load is `failed`, with why.
unit_view view_of(const std::string& service, const unit_properties& p,
                  uint64_t now_usec);

/// systemd's MemoryMax for a declared `cgroup_memory_max`: bytes (K, M, G,
/// T in powers of 1024, as service_cgroup.hpp reads them); "max" is
/// infinity (UINT64_MAX, as systemd's D-Bus API has it).
expected<uint64_t> memory_max_value(const std::string& declared);

/// One line for an operator: `what` (the call, e.g. "RestartUnit") on
/// `unit` failed with the D-Bus error `error_name` and its `message` (line
/// breaks folded). An empty `error_name` (the bus itself failed) reads as
/// "no reply".
std::string bus_error_text(const std::string& unit, const std::string& what,
                           const std::string& error_name,
                           const std::string& message);

} // namespace pact::node
