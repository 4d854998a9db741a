#pragma once

/// Start-up, shutdown and liveness notifications to the service manager
/// (systemd's sd_notify(3) protocol, sent with libsystemd), so that
/// `Type=notify` units know when pact-journal and pact-agent serve and
/// `WatchdogSec=` restarts one that hangs (docs/operations.md, "Running
/// under systemd").
///
/// Every call is a no-op when the process was not started with
/// `NOTIFY_SOCKET` in its environment (a shell, a test, pact-agent as PID
/// 1): nothing here may keep a daemon from running. A message that cannot
/// be sent (a socket that went away) is logged as a warning once and is
/// otherwise ignored; systemd then times the start out or fires the
/// watchdog, which is the failure an operator sees.
///
/// The environment is read, never changed: `NOTIFY_SOCKET` stays set for
/// the process's own later calls. Commands and services the agent starts
/// get a scrubbed environment (runtime/node/exec_rules.hpp,
/// service_process.hpp), so they cannot notify in the agent's name.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace pact::sd {

/// `READY=1` with a `STATUS=` line for `systemctl status`. Call once the
/// daemon serves (its ports bound and endpoints.json written).
void notify_ready(const std::string& status);

/// `STOPPING=1`: the daemon began an orderly stop.
void notify_stopping();

/// The watchdog interval systemd set for this process (`WATCHDOG_USEC`,
/// and `WATCHDOG_PID` when given must be this process), or zero when the
/// unit has no `WatchdogSec=` or no service manager is listening.
std::chrono::microseconds watchdog_interval();

/// How often to ping for a watchdog `interval`: half of it, as
/// sd_watchdog_enabled(3) recommends, so that one late ping is not yet a
/// timeout.
std::chrono::microseconds ping_period(std::chrono::microseconds interval);

/// Sends `WATCHDOG=1` every ping_period(interval) from a thread of its own,
/// but only when `healthy(budget)` returns true within that period; a
/// daemon whose check hangs or fails stops pinging and systemd restarts it
/// (`Restart=` in the unit). `budget` is how long the check may take
/// (a quarter of the interval).
///
/// Thread safety: `healthy` runs on the pinger's thread. The destructor
/// stops and joins the thread (waiting for a check in progress, at most
/// its budget); `healthy` is never called after it returns, so destroy the
/// pinger before whatever the check reads.
class watchdog_pinger {
public:
  using health_check = std::function<bool(std::chrono::milliseconds budget)>;

  /// A running pinger, or null when the watchdog is off
  /// (watchdog_interval() is zero).
  static std::unique_ptr<watchdog_pinger> start(health_check healthy);

  ~watchdog_pinger();
  watchdog_pinger(const watchdog_pinger&) = delete;
  watchdog_pinger& operator=(const watchdog_pinger&) = delete;

private:
  watchdog_pinger(std::chrono::microseconds interval, health_check healthy);
  void run();

  std::chrono::microseconds interval_;
  health_check healthy_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

} // namespace pact::sd
