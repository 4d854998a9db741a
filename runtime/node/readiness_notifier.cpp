#include "runtime/node/readiness_notifier.hpp"

#include <cerrno>
#include <cstdint>
#include <cstring>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace pact::node {

expected<std::unique_ptr<readiness_notifier>>
readiness_notifier::start(int fd, std::function<void()> on_readable) {
  int stop_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd < 0)
    return make_error(std::string("cannot make an eventfd: ")
                      + std::strerror(errno));
  return std::unique_ptr<readiness_notifier>(
    new readiness_notifier(fd, stop_fd, std::move(on_readable)));
}

readiness_notifier::readiness_notifier(int fd, int stop_fd,
                                       std::function<void()> on_readable)
  : fd_(fd), stop_fd_(stop_fd), on_readable_(std::move(on_readable)),
    thread_([this] { run(); }) {
}

readiness_notifier::~readiness_notifier() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_one();
  uint64_t one = 1;
  // Ends a poll(2) in progress; an eventfd write of 1 cannot fail short of
  // its counter overflowing, which one write per notifier never does.
  [[maybe_unused]] auto n = ::write(stop_fd_, &one, sizeof one);
  thread_.join();
  ::close(stop_fd_);
}

void readiness_notifier::rearm() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    armed_ = true;
  }
  cv_.notify_one();
}

void readiness_notifier::run() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [this] { return stop_ || armed_; });
      if (stop_)
        return;
    }
    pollfd fds[2] = {{fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      return; // EFAULT/EINVAL/ENOMEM: nothing to wait on; the timer remains
    }
    if (fds[1].revents != 0)
      return;
    // POLLERR/POLLHUP/POLLNVAL wake the reader too: it finds out what is
    // wrong, and the notifier waits for a rearm instead of spinning.
    if (fds[0].revents != 0) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        armed_ = false;
      }
      on_readable_();
    }
  }
}

} // namespace pact::node
