#pragma once

/// Running one `pact shell` command line on a pseudo-terminal (docs/
/// agent.md, "Shell"). Each line gets a fresh PTY, so a program that
/// changed its terminal's modes leaves nothing behind for the next one.
///
/// How the pipeline starts: the agent forks one launcher, which becomes a
/// session leader (setsid) with the PTY's slave as its controlling
/// terminal, ignores the job-control signals, forks every command of the
/// pipeline into its own process group (so they are the terminal's
/// foreground group), waits for them and exits with the last command's
/// status (128 + signal when a signal ended it). Ctrl-C and window
/// changes therefore reach the running commands through the terminal, as
/// under ssh, and never the launcher. Between fork and execve only
/// async-signal-safe calls are made (the agent is multi-threaded); every
/// argv, environment and message is built before the fork. Suspend
/// (Ctrl-Z) is disabled on the terminal: there is no job control to
/// resume a stopped command.

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "runtime/common/error.hpp"

namespace pact::node {

/// One command of a pipeline.
struct pty_command {
  /// Host path of the program (root prefix included).
  std::string program;
  /// argv as parsed (argv[0] the command as typed).
  std::vector<std::string> argv;
};

struct pty_job_spec {
  std::vector<pty_command> pipeline;
  /// "NAME=value" strings.
  std::vector<std::string> env;
  /// Working directory (host path).
  std::string cwd = "/";
  /// The terminal's size in character cells (0 = leave the default).
  unsigned rows = 0;
  unsigned cols = 0;
};

/// The master side of one PTY; closing it hangs the terminal up.
class pty {
public:
  /// A new PTY pair with the terminal modes above. `terminal`: whether an
  /// operator's terminal is on the other end; without one (a script) the
  /// PTY neither echoes nor turns LF into CR LF, so output reads as a
  /// pipe's would. Error: "cannot open a pseudo-terminal: reason".
  static expected<pty> open(unsigned rows, unsigned cols, bool terminal);

  pty(pty&& other) noexcept;
  pty& operator=(pty&& other) noexcept;
  pty(const pty&) = delete;
  pty& operator=(const pty&) = delete;
  ~pty();

  /// What the operator typed while the command runs (the terminal echoes
  /// it and turns Ctrl-C into SIGINT for the foreground group). Bytes the
  /// terminal cannot take at once are dropped rather than blocking the
  /// session; a terminal's input queue holds 4 KiB.
  void write(std::string_view bytes);
  /// TIOCSWINSZ: the foreground group gets SIGWINCH.
  void resize(unsigned rows, unsigned cols);

  int master() const {
    return master_;
  }
  const std::string& slave_path() const {
    return slave_;
  }

private:
  pty(int master, std::string slave)
    : master_(master), slave_(std::move(slave)) {
  }
  int master_ = -1;
  std::string slave_;
};

/// Output sink: bytes as the terminal shows them (CR LF line ends).
using pty_sink = std::function<void(std::string_view)>;

/// Starts `spec` on `p` and hands everything the commands print to `sink`
/// until they have ended and their output is drained; returns the exit
/// status. Blocking (the agent runs it on a detached actor). `stop`, read
/// every 100 ms, hangs the job up and kills its process group (the session
/// closed). Error only when the launcher could not be forked; a program
/// that cannot be started prints "pact: cannot start PROGRAM" on the
/// terminal and exits 127, as a shell would.
expected<int> run_on_pty(pty& p, const pty_job_spec& spec, const pty_sink& sink,
                         const std::atomic<bool>& stop);

} // namespace pact::node
