// The sd_notify(3) messages pact-journal and pact-agent send, received on
// a datagram socket the test binds in place of systemd's (sd_notify.hpp).

#include "runtime/common/sd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include <doctest/doctest.h>

using namespace std::chrono_literals;
using pact::sd::watchdog_pinger;

namespace {

/// The service manager's end: binds a socket, points NOTIFY_SOCKET at it
/// and clears the variables again when done.
struct fake_manager {
  std::string dir;
  std::string path;
  int fd = -1;

  fake_manager() {
    char tmpl[] = "/tmp/pact-sd-notify-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    path = dir + "/notify";
    fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  }

  ~fake_manager() {
    for (const char* v : {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"})
      ::unsetenv(v);
    ::close(fd);
    ::unlink(path.c_str());
    ::rmdir(dir.c_str());
  }

  /// The next queued message, "" when none: sd_notify's sendmsg has
  /// queued it by the time the call returns.
  std::string next() {
    char buf[4096];
    auto n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }
};

/// Counts health checks; returns `answer` to each.
struct check_counter {
  std::mutex m;
  std::condition_variable cv;
  int calls = 0;
  bool answer = true;

  watchdog_pinger::health_check check() {
    return [this](std::chrono::milliseconds) {
      std::lock_guard<std::mutex> lock(m);
      ++calls;
      cv.notify_all();
      return answer;
    };
  }

  bool wait_for_calls(int n) {
    std::unique_lock<std::mutex> lock(m);
    return cv.wait_for(lock, 10s, [&] { return calls >= n; });
  }
};

} // namespace

TEST_CASE("READY and STOPPING reach the service manager, STATUS on one "
          "line") {
  fake_manager m;
  pact::sd::notify_ready("replica 1 serving:\ngateway port 9443");
  CHECK(m.next() == "READY=1\nSTATUS=replica 1 serving: gateway port 9443");
  pact::sd::notify_stopping();
  CHECK(m.next() == "STOPPING=1\nSTATUS=stopping");
  CHECK(m.next().empty());
}

TEST_CASE("without NOTIFY_SOCKET nothing is sent and there is no watchdog") {
  ::unsetenv("NOTIFY_SOCKET");
  ::setenv("WATCHDOG_USEC", "1000000", 1);
  pact::sd::notify_ready("x"); // a no-op, not an error
  CHECK(pact::sd::watchdog_interval() == 0us);
  check_counter c;
  CHECK(watchdog_pinger::start(c.check()) == nullptr);
  ::unsetenv("WATCHDOG_USEC");
}

TEST_CASE("the watchdog interval is systemd's, for this process only") {
  fake_manager m;
  CHECK(pact::sd::watchdog_interval() == 0us); // no WatchdogSec=
  ::setenv("WATCHDOG_USEC", "30000000", 1);
  CHECK(pact::sd::watchdog_interval() == 30s);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
  CHECK(pact::sd::watchdog_interval() == 0us); // meant for another process
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  CHECK(pact::sd::watchdog_interval() == 30s);
  CHECK(pact::sd::ping_period(30s) == 15s);
}

TEST_CASE("the pinger pings while the check passes, and not when it fails") {
  fake_manager m;
  ::setenv("WATCHDOG_USEC", "4000", 1); // a ping every 2 ms
  check_counter healthy;
  {
    auto pinger = watchdog_pinger::start(healthy.check());
    REQUIRE(pinger != nullptr);
    // The second check comes after the first ping was sent.
    REQUIRE(healthy.wait_for_calls(2));
  }
  CHECK(m.next() == "WATCHDOG=1");
  while (!m.next().empty()) {
  }
  check_counter failing;
  failing.answer = false;
  {
    auto pinger = watchdog_pinger::start(failing.check());
    REQUIRE(failing.wait_for_calls(3));
  }
  CHECK(m.next().empty());
}
