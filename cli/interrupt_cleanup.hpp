#pragma once

/// Removing a staging file when the process is interrupted (`pact log
/// --export FILE` writes FILE.tmp, runtime/common/staged_file.hpp): its
/// destructor cleans up on every return path, but SIGINT, SIGTERM and
/// SIGHUP end the process without running destructors, and a FILE.tmp left
/// behind blocks the next export. While armed, those signals unlink the
/// path and then end the process by the same signal (default action,
/// re-raised), so the exit status is still the signal's. A signal the
/// process ignores (SIGHUP under nohup) stays ignored.

#include <csignal>
#include <string>

namespace pact::cli {

class unlink_on_signal {
public:
  unlink_on_signal() = default;
  /// Restores the dispositions the signals had before arm().
  ~unlink_on_signal();
  unlink_on_signal(const unlink_on_signal&) = delete;
  unlink_on_signal& operator=(const unlink_on_signal&) = delete;

  /// From now on the signals remove `path` (prepared here: the handler
  /// only calls unlink(2), signal(2) and raise(3), all async-signal-safe).
  /// Arm only once the file is this process's own (created exclusively),
  /// so that an interruption never removes another writer's file. One
  /// armed object at a time per process.
  void arm(std::string path);

  static constexpr int signals[] = {SIGINT, SIGTERM, SIGHUP};

private:
  std::string path_;
  bool armed_ = false;
  struct sigaction old_[3] = {};
};

} // namespace pact::cli
