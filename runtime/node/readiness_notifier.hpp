#pragma once

/// Wakes a callback when a file descriptor becomes readable, from a thread
/// of its own, so that an actor can sleep until the kernel has something
/// for it instead of polling on a timer (the drift watcher's inotify queue:
/// docs/drift.md "When the watcher wakes").
///
/// One-shot per arming: after `on_readable` ran, the notifier waits until
/// `rearm()` before it looks at the descriptor again, so one burst of
/// events costs one call however long the reader takes to drain it. The
/// descriptor is polled level-triggered (poll(2)): whatever is still
/// pending when `rearm()` is called wakes the callback again at once, so
/// nothing that arrives between a drain and the rearm is missed.
///
/// Thread safety: `on_readable` runs on the notifier's thread and must not
/// block (send a message). `rearm()` may be called from any thread. The
/// destructor stops and joins the thread; `on_readable` is never called
/// after it returns. The descriptor stays the caller's: destroy the
/// notifier before closing it.

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "runtime/common/error.hpp"

namespace pact::node {

class readiness_notifier {
public:
  /// Starts armed. Fails (errno's reason) when no eventfd can be made.
  static expected<std::unique_ptr<readiness_notifier>>
  start(int fd, std::function<void()> on_readable);

  ~readiness_notifier();
  readiness_notifier(const readiness_notifier&) = delete;
  readiness_notifier& operator=(const readiness_notifier&) = delete;

  /// Looks at the descriptor again (after the reader drained it).
  void rearm();

private:
  readiness_notifier(int fd, int stop_fd, std::function<void()> on_readable);
  void run();

  int fd_;
  /// eventfd the destructor writes to end a poll(2) in progress.
  int stop_fd_;
  std::function<void()> on_readable_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool armed_ = true;
  bool stop_ = false;
  std::thread thread_; // last: starts once the members above exist
};

} // namespace pact::node
