// The notifier that lets the drift watcher sleep until inotify has events
// (runtime/node/readiness_notifier.hpp): one call per arming, nothing lost
// between a drain and the rearm, nothing called after destruction.

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <doctest/doctest.h>

#include "runtime/node/readiness_notifier.hpp"

using pact::node::readiness_notifier;
using namespace std::chrono_literals;

namespace {

/// Counts the notifier's calls; lets the test wait for the n-th.
struct calls {
  std::mutex m;
  std::condition_variable cv;
  int n = 0;

  void operator()() {
    {
      std::lock_guard<std::mutex> lock(m);
      ++n;
    }
    cv.notify_all();
  }
  /// True when the count reached `want` within `wait`.
  bool reach(int want, std::chrono::milliseconds wait = 5s) {
    std::unique_lock<std::mutex> lock(m);
    return cv.wait_for(lock, wait, [&] { return n >= want; });
  }
  int count() {
    std::lock_guard<std::mutex> lock(m);
    return n;
  }
};

struct pipe_fds {
  int r = -1, w = -1;
  pipe_fds() {
    int fds[2];
    REQUIRE(::pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0);
    r = fds[0];
    w = fds[1];
  }
  ~pipe_fds() {
    ::close(r);
    ::close(w);
  }
  void put() {
    REQUIRE(::write(w, "x", 1) == 1);
  }
  void drain() {
    char buf[64];
    while (::read(r, buf, sizeof buf) > 0) {
    }
  }
};

} // namespace

TEST_CASE("readiness notifier: silent until readable, then once per arming") {
  pipe_fds p;
  calls c;
  auto n = readiness_notifier::start(p.r, [&c] { c(); });
  REQUIRE(n.has_value());
  CHECK_FALSE(c.reach(1, 100ms)); // nothing to read: no call
  p.put();
  CHECK(c.reach(1));
  p.put(); // more data, not rearmed: no second call
  CHECK_FALSE(c.reach(2, 100ms));
  p.drain();
  (*n)->rearm();
  CHECK_FALSE(c.reach(2, 100ms)); // drained before the rearm: quiet
  p.put();
  CHECK(c.reach(2));
}

TEST_CASE("readiness notifier: data left at the rearm wakes it at once") {
  pipe_fds p;
  calls c;
  auto n = readiness_notifier::start(p.r, [&c] { c(); });
  REQUIRE(n.has_value());
  p.put();
  REQUIRE(c.reach(1));
  // Arrived between the reader's drain and its rearm: not missed.
  p.put();
  (*n)->rearm();
  CHECK(c.reach(2));
}

TEST_CASE("readiness notifier: destruction stops it, even while it waits") {
  pipe_fds p;
  calls c;
  {
    auto n = readiness_notifier::start(p.r, [&c] { c(); });
    REQUIRE(n.has_value());
  } // blocked in poll(2): the destructor ends it and joins
  p.put();
  std::this_thread::sleep_for(100ms);
  CHECK(c.count() == 0);
  {
    auto n = readiness_notifier::start(p.r, [&c] { c(); });
    REQUIRE(n.has_value());
    REQUIRE(c.reach(1));
  } // disarmed, waiting for a rearm: joined too
  CHECK(c.count() == 1);
}
