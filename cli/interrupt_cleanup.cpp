#include "cli/interrupt_cleanup.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <iterator>

#include "runtime/common/assert.hpp"

namespace pact::cli {

namespace {

/// The armed path; a lock-free atomic pointer is safe to read in a
/// handler (C++17 [support.signal]).
std::atomic<const char*> armed_path{nullptr};

extern "C" void unlink_and_die(int sig) {
  int saved = errno;
  if (const char* p = armed_path.load())
    ::unlink(p);
  // The default action ends the process once the handler returns (the
  // raised signal is blocked while it runs), as if never caught.
  std::signal(sig, SIG_DFL);
  std::raise(sig);
  errno = saved;
}

} // namespace

void unlink_on_signal::arm(std::string path) {
  PACT_ASSERT(!armed_ && armed_path.load() == nullptr,
              "one armed unlink_on_signal at a time");
  static_assert(std::atomic<const char*>::is_always_lock_free);
  path_ = std::move(path);
  armed_path.store(path_.c_str());
  struct sigaction sa = {};
  sa.sa_handler = unlink_and_die;
  sigemptyset(&sa.sa_mask);
  for (int s : signals)
    sigaddset(&sa.sa_mask, s); // One cleanup at a time.
  for (std::size_t i = 0; i < std::size(signals); ++i) {
    ::sigaction(signals[i], nullptr, &old_[i]);
    // An ignored signal (SIGHUP under nohup) stays ignored: it does not
    // end the export, so there is nothing to clean up.
    if (old_[i].sa_handler != SIG_IGN)
      ::sigaction(signals[i], &sa, nullptr);
  }
  armed_ = true;
}

unlink_on_signal::~unlink_on_signal() {
  if (!armed_)
    return;
  for (std::size_t i = 0; i < std::size(signals); ++i)
    ::sigaction(signals[i], &old_[i], nullptr);
  armed_path.store(nullptr);
}

} // namespace pact::cli
