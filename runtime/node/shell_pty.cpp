#include "runtime/node/shell_pty.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/node/exec_rules.hpp"

namespace pact::node {

namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

std::string why() {
  return std::strerror(errno);
}

/// One command's argv, envp and failure message, built before the fork.
struct prepared {
  std::string program;
  std::vector<std::string> owned;
  std::vector<char*> argv;
  std::string cannot_start;
};

/// The signals the launcher ignores (job control and the terminal's
/// interrupts belong to the commands) and its children set back.
constexpr int launcher_ignores[] = {SIGINT,  SIGQUIT, SIGTSTP,
                                    SIGTTIN, SIGTTOU, SIGPIPE};

void write_all(int fd, const std::string& text) {
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    auto n = ::write(fd, p, left);
    if (n <= 0)
      return;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

/// In the forked command (async-signal-safe calls only).
[[noreturn]] void exec_command(const prepared& c, char* const* envp, int in,
                               int out, int tty) {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig)
    ::sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::dup2(in, 0);
  ::dup2(out, 1);
  ::dup2(tty, 2);
  ::close_range(3, ~0U, 0);
  ::execve(c.program.c_str(), c.argv.data(), envp);
  write_all(2, c.cannot_start);
  ::_exit(127);
}

/// In the launcher (async-signal-safe calls only): see shell_pty.hpp.
[[noreturn]] void launch(const std::vector<prepared>& cmds, char* const* envp,
                         const char* slave, const char* cwd) {
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  for (int sig : launcher_ignores)
    ::sigaction(sig, &ign, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (::setsid() < 0)
    ::_exit(126);
  // Opened after setsid without O_NOCTTY: it becomes the controlling
  // terminal, and this process group its foreground group.
  int tty = ::open(slave, O_RDWR);
  if (tty < 0)
    ::_exit(126);
  ::ioctl(tty, TIOCSCTTY, 0);
  if (::chdir(cwd) != 0)
    ::_exit(126);
  pid_t last = -1;
  int in = tty;
  for (size_t i = 0; i < cmds.size(); ++i) {
    int p[2] = {-1, -1};
    bool piped = i + 1 < cmds.size();
    if (piped && ::pipe(p) != 0)
      ::_exit(126);
    pid_t pid = ::fork();
    if (pid == 0) {
      if (piped)
        ::close(p[0]);
      exec_command(cmds[i], envp, in, piped ? p[1] : tty, tty);
    }
    if (in != tty)
      ::close(in);
    if (piped) {
      ::close(p[1]);
      in = p[0];
    }
    if (pid < 0)
      break;
    last = pid;
  }
  ::close(tty);
  int code = 126;
  for (;;) {
    int status = 0;
    pid_t w = ::waitpid(-1, &status, 0);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (w == last)
      code = WIFEXITED(status)     ? WEXITSTATUS(status)
             : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                   : 126;
  }
  ::_exit(code);
}

void set_size(int fd, unsigned rows, unsigned cols) {
  if (rows == 0 || cols == 0)
    return;
  winsize ws{};
  ws.ws_row = static_cast<unsigned short>(rows);
  ws.ws_col = static_cast<unsigned short>(cols);
  ::ioctl(fd, TIOCSWINSZ, &ws);
}

} // namespace

expected<pty> pty::open(unsigned rows, unsigned cols, bool terminal) {
  int m = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0)
    return make_error("cannot open a pseudo-terminal: " + why());
  char name[128];
  if (::grantpt(m) != 0 || ::unlockpt(m) != 0
      || ::ptsname_r(m, name, sizeof name) != 0) {
    auto reason = why();
    ::close(m);
    return make_error("cannot open a pseudo-terminal: " + reason);
  }
  // The modes: the terminal's defaults (echo, canonical input, CR LF
  // output, Ctrl-C interrupts) without suspend: nothing could resume a
  // stopped command.
  termios t{};
  if (::tcgetattr(m, &t) == 0) {
    t.c_cc[VSUSP] = _POSIX_VDISABLE;
    if (!terminal) {
      t.c_oflag &= ~static_cast<tcflag_t>(OPOST);
      t.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    }
    ::tcsetattr(m, TCSANOW, &t);
  }
  set_size(m, rows, cols);
  int flags = ::fcntl(m, F_GETFL);
  ::fcntl(m, F_SETFL, flags | O_NONBLOCK);
  return pty(m, name);
}

pty::pty(pty&& other) noexcept
  : master_(other.master_), slave_(std::move(other.slave_)) {
  other.master_ = -1;
}

pty& pty::operator=(pty&& other) noexcept {
  if (this != &other) {
    if (master_ >= 0)
      ::close(master_);
    master_ = other.master_;
    slave_ = std::move(other.slave_);
    other.master_ = -1;
  }
  return *this;
}

pty::~pty() {
  if (master_ >= 0)
    ::close(master_);
}

void pty::write(std::string_view bytes) {
  while (!bytes.empty()) {
    auto n = ::write(master_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

void pty::resize(unsigned rows, unsigned cols) {
  set_size(master_, rows, cols);
}

expected<int> run_on_pty(pty& p, const pty_job_spec& spec, const pty_sink& sink,
                         const std::atomic<bool>& stop) {
  std::vector<prepared> cmds(spec.pipeline.size());
  for (size_t i = 0; i < spec.pipeline.size(); ++i) {
    auto& c = cmds[i];
    c.program = spec.pipeline[i].program;
    c.owned = spec.pipeline[i].argv;
    for (auto& a : c.owned)
      c.argv.push_back(a.data());
    c.argv.push_back(nullptr);
    c.cannot_start = "pact: cannot start "
                     + argv_text({spec.pipeline[i].argv.front()}) + "\r\n";
  }
  std::vector<std::string> env_owned = spec.env;
  std::vector<char*> envp;
  for (auto& e : env_owned)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t launcher = ::fork();
  if (launcher < 0)
    return make_error("cannot start the command line: " + why());
  if (launcher == 0)
    launch(cmds, envp.data(), p.slave_path().c_str(), spec.cwd.c_str());
  // The launcher leads the session and the commands' group: its pid is
  // their process group id.
  int status = 0;
  bool exited = false;
  bool killed = false;
  steady_clock::time_point drain_until{};
  char buf[16384];
  for (;;) {
    if (!exited && ::waitpid(launcher, &status, WNOHANG) == launcher) {
      exited = true;
      // Output written just before the exit may still be queued.
      drain_until = steady_clock::now() + milliseconds(200);
    }
    if (stop.load() && !killed) {
      killed = true;
      ::kill(-launcher, SIGHUP);
      ::kill(-launcher, SIGKILL);
    }
    pollfd pfd{p.master(), POLLIN, 0};
    int n = ::poll(&pfd, 1, exited ? 20 : 100);
    if (n < 0 && errno != EINTR)
      break;
    if (n > 0) {
      auto got = ::read(p.master(), buf, sizeof buf);
      if (got > 0) {
        if (!killed)
          sink(std::string_view(buf, static_cast<size_t>(got)));
        continue;
      }
      // EIO: no process holds the terminal (not yet, or no longer).
      if (got < 0 && errno != EAGAIN && errno != EINTR) {
        if (exited)
          break;
        ::usleep(5000);
      }
    }
    if (exited && (n == 0 || steady_clock::now() >= drain_until))
      break;
  }
  if (!exited)
    while (::waitpid(launcher, &status, 0) < 0 && errno == EINTR) {
    }
  // Whatever the commands left in their group goes with them.
  ::kill(-launcher, SIGKILL);
  return WIFEXITED(status)     ? WEXITSTATUS(status)
         : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                               : 126;
}

} // namespace pact::node
