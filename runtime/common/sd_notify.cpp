#include "runtime/common/sd_notify.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

namespace pact::sd {

namespace {

/// Sends `state`; returns whether a service manager received it.
bool send(const std::string& state) {
  // Without NOTIFY_SOCKET sd_notify returns 0 and sends nothing.
  int rc = ::sd_notify(0, state.c_str());
  if (rc >= 0)
    return rc > 0;
  static std::atomic<bool> warned{false};
  if (!warned.exchange(true))
    spdlog::warn("cannot notify the service manager (NOTIFY_SOCKET={}): {}; "
                 "systemd may time the start out or fire the watchdog",
                 std::getenv("NOTIFY_SOCKET"), std::strerror(-rc));
  return false;
}

/// A STATUS= value is one line.
std::string one_line(std::string text) {
  for (auto& c : text)
    if (c == '\n' || c == '\r')
      c = ' ';
  return text;
}

} // namespace

void notify_ready(const std::string& status) {
  send("READY=1\nSTATUS=" + one_line(status));
}

void notify_stopping() {
  send("STOPPING=1\nSTATUS=stopping");
}

std::chrono::microseconds watchdog_interval() {
  if (std::getenv("NOTIFY_SOCKET") == nullptr)
    return std::chrono::microseconds{0};
  uint64_t usec = 0;
  // > 0: enabled for this process (WATCHDOG_PID, when set, matched).
  if (::sd_watchdog_enabled(0, &usec) <= 0)
    return std::chrono::microseconds{0};
  return std::chrono::microseconds{usec};
}

std::chrono::microseconds ping_period(std::chrono::microseconds interval) {
  return interval / 2;
}

std::unique_ptr<watchdog_pinger> watchdog_pinger::start(health_check healthy) {
  auto interval = watchdog_interval();
  if (interval.count() <= 0)
    return nullptr;
  spdlog::info("systemd watchdog: {} ms; pinging every {} ms while healthy",
               interval.count() / 1000, ping_period(interval).count() / 1000);
  return std::unique_ptr<watchdog_pinger>(
    new watchdog_pinger(interval, std::move(healthy)));
}

watchdog_pinger::watchdog_pinger(std::chrono::microseconds interval,
                                 health_check healthy)
  : interval_(interval), healthy_(std::move(healthy)),
    thread_([this] { run(); }) {
}

watchdog_pinger::~watchdog_pinger() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void watchdog_pinger::run() {
  auto period = ping_period(interval_);
  auto budget = std::max(
    std::chrono::milliseconds{1},
    std::chrono::duration_cast<std::chrono::milliseconds>(interval_ / 4));
  bool was_healthy = true;
  // The first check runs at once: systemd counts the interval from READY.
  auto next = std::chrono::steady_clock::now();
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (cv_.wait_until(lock, next, [this] { return stop_; }))
        return;
    }
    next += period;
    bool ok = healthy_(budget);
    if (ok)
      send("WATCHDOG=1");
    // One line per change, not per ping: a hung daemon is restarted by
    // systemd, which logs the watchdog timeout itself.
    if (ok != was_healthy) {
      if (ok)
        spdlog::info("systemd watchdog: healthy again, pinging");
      else
        spdlog::warn("systemd watchdog: the actor system did not answer "
                     "within {} ms; not pinging",
                     budget.count());
      was_healthy = ok;
    }
    // A check that overran its period must not make the pings bunch up.
    auto now = std::chrono::steady_clock::now();
    if (next < now)
      next = now;
  }
}

} // namespace pact::sd
