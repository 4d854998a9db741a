#pragma once

/// The systemd backend's client of systemd (docs/services.md, "systemd
/// backend"): org.freedesktop.systemd1.Manager calls over the system bus
/// with libsystemd's sd-bus, and a unit's lines from journald with
/// sd-journal. Every call blocks (up to `call_timeout`): callers run it
/// off CAF's scheduler threads (the agent's unit actors are detached).
/// Not thread-safe: one instance per thread. Errors are one line naming the
/// unit and the D-Bus error (systemd_units.hpp bus_error_text).

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/common/error.hpp"
#include "runtime/node/systemd_units.hpp"

struct sd_bus;

namespace pact::node {

struct bus_error;

class systemd_manager {
public:
  /// Connects lazily, to the system bus (DBUS_SYSTEM_BUS_ADDRESS when set,
  /// which is how tests point it at a private bus).
  explicit systemd_manager(std::chrono::milliseconds call_timeout
                           = std::chrono::seconds(10));
  ~systemd_manager();
  systemd_manager(const systemd_manager&) = delete;
  systemd_manager& operator=(const systemd_manager&) = delete;

  /// StartUnit / StopUnit / RestartUnit (unit, "replace"): the job is
  /// queued; the unit's properties show how it went.
  status start(const std::string& unit);
  status stop(const std::string& unit);
  status restart(const std::string& unit);
  /// SetUnitProperties(unit, runtime = true, [("MemoryMax", t bytes)]):
  /// until the next boot, as pact declares it again at every boot.
  status set_memory_max(const std::string& unit, uint64_t bytes);
  /// LoadUnit for its object path, then its status properties.
  expected<unit_properties> properties(const std::string& unit);
  /// Whether the last call reached systemd: it succeeded or systemd
  /// answered with an error of its own (org.freedesktop.systemd1.*), not
  /// the bus (unreachable, or no org.freedesktop.systemd1 on it yet).
  bool reached_systemd() const {
    return reached_;
  }

private:
  /// The connection, opened when there is none; an error names `what`
  /// (the call) on `unit`.
  expected<sd_bus*> bus(const std::string& unit, const std::string& what);
  status manager_call(const std::string& method, const std::string& unit);
  /// The error of a failed call. A failure of the bus itself (no D-Bus
  /// error) drops the connection: the next call connects again (the bus
  /// may have restarted).
  error failed(const std::string& unit, const std::string& what,
               const bus_error& e, int r);
  sd_bus* bus_ = nullptr;
  std::chrono::milliseconds timeout_;
  bool reached_ = false;
};

/// The newest `n` lines (MESSAGE fields) journald holds of `unit`
/// (`_SYSTEMD_UNIT=` match), oldest first, from the journal under `root`
/// (its /var/log/journal and /run/log/journal). `truncated` says whether
/// older lines were left out. A node without journal files is an error
/// that points at `journalctl -u`.
struct journal_tail {
  std::vector<std::string> lines;
  bool truncated = false;
};
expected<journal_tail> unit_journal(const std::string& root,
                                    const std::string& unit, uint32_t n);

} // namespace pact::node
