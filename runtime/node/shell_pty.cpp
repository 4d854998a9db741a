#include "runtime/node/shell_pty.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>

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

/// The signals the launcher blocks (the terminal's interrupts and job
/// control belong to the commands), which its children unblock.
constexpr int launcher_holds[] = {SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU};

void write_all(int fd, const char* p, size_t left) {
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
                               int out) {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig)
    ::sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // stderr (2) is the terminal already.
  ::dup2(in, 0);
  ::dup2(out, 1);
  ::close_range(3, ~0U, 0);
  ::execve(c.program.c_str(), c.argv.data(), envp);
  write_all(2, c.cannot_start.data(), c.cannot_start.size());
  ::_exit(127);
}

/// In the launcher (async-signal-safe calls only): see shell_pty.hpp.
[[noreturn]] void launch(const std::vector<prepared>& cmds, char* const* envp,
                         const char* slave, const char* cwd, int ready,
                         pid_t agent) {
  // Dies with the agent: a job must not outlive the session that watches
  // it (the terminal then hangs up on the commands too).
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != agent)
    ::_exit(126);
  // Interrupts and job control are blocked, not ignored: a signal that
  // reaches this group before the commands exist stays pending here, and
  // each command, forked with an empty pending set, resets its mask.
  sigset_t held;
  sigemptyset(&held);
  for (int sig : launcher_holds)
    sigaddset(&held, sig);
  ::sigprocmask(SIG_SETMASK, &held, nullptr);
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ign, nullptr);
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
  // Only the terminal (0, 1, 2) and the ready pipe (3) stay: none of the
  // agent's descriptors (its listening socket, its LMDB files, the PTY's
  // master) may be held here, or a job would keep them after the agent.
  ::dup2(tty, 0);
  ::dup2(tty, 1);
  ::dup2(tty, 2);
  ::dup2(ready, 3);
  ::close_range(4, ~0U, 0);
  pid_t last = -1;
  int in = 0;
  for (size_t i = 0; i < cmds.size(); ++i) {
    int p[2] = {-1, -1};
    bool piped = i + 1 < cmds.size();
    if (piped && ::pipe(p) != 0)
      ::_exit(126);
    pid_t pid = ::fork();
    if (pid == 0) {
      if (piped)
        ::close(p[0]);
      exec_command(cmds[i], envp, in, piped ? p[1] : 1);
    }
    if (in != 0)
      ::close(in);
    if (piped) {
      ::close(p[1]);
      in = p[0];
    }
    if (pid < 0)
      break;
    last = pid;
  }
  // Every command exists: input may go to the terminal now.
  write_all(3, "r", 1);
  ::close(3);
  ::close(0);
  ::close(1);
  ::close(2);
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

struct pty::job_state {
  std::mutex lock;
  /// The commands exist (the launcher said so, or is gone).
  bool ready = false;
  /// Input written before that: held, since an interrupt reaching the
  /// terminal before the commands exist would be lost.
  std::string held;
  /// The job's process group (the launcher's pid); 0 when none.
  pid_t group = 0;
};

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
    t.c_iflag |= IUTF8;
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

pty::pty(int master, std::string slave)
  : master_(master), slave_(std::move(slave)),
    job_(std::make_unique<job_state>()) {
}

pty::pty(pty&& other) noexcept
  : master_(other.master_), slave_(std::move(other.slave_)),
    job_(std::move(other.job_)) {
  other.master_ = -1;
}

pty& pty::operator=(pty&& other) noexcept {
  if (this != &other) {
    if (master_ >= 0)
      ::close(master_);
    master_ = other.master_;
    slave_ = std::move(other.slave_);
    job_ = std::move(other.job_);
    other.master_ = -1;
  }
  return *this;
}

pty::~pty() {
  if (master_ >= 0)
    ::close(master_);
}

bool pty::write_now(std::string_view bytes) {
  while (!bytes.empty()) {
    auto n = ::write(master_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void pty::deliver(std::string_view bytes) {
  // Interrupts are signalled to the job's group here rather than left to
  // the terminal: its line discipline drops them with the rest of the
  // input once its queue is full (a command that reads nothing, a paste
  // into it), and then nothing could stop the command. Only while the
  // terminal turns them into signals (ISIG): a program in raw mode gets
  // the byte.
  termios t{};
  bool isig = job_->group > 0 && ::tcgetattr(master_, &t) == 0
              && (t.c_lflag & ISIG) != 0;
  if (isig)
    for (size_t i = 0; i < bytes.size(); ++i) {
      int sig = 0;
      if (bytes[i] == static_cast<char>(t.c_cc[VINTR]))
        sig = SIGINT;
      else if (bytes[i] == static_cast<char>(t.c_cc[VQUIT]))
        sig = SIGQUIT;
      if (sig == 0)
        continue;
      write_now(bytes.substr(0, i));
      ::kill(-job_->group, sig);
      bytes.remove_prefix(i + 1);
      i = static_cast<size_t>(-1);
    }
  write_now(bytes);
}

void pty::write(std::string_view bytes) {
  std::lock_guard<std::mutex> g(job_->lock);
  if (!job_->ready) {
    if (job_->held.size() + bytes.size() <= max_held)
      job_->held.append(bytes);
    return;
  }
  deliver(bytes);
}

void pty::mark_ready(pid_t group) {
  std::lock_guard<std::mutex> g(job_->lock);
  job_->ready = true;
  job_->group = group;
  auto held = std::move(job_->held);
  job_->held.clear();
  deliver(held);
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
  int ready[2] = {-1, -1};
  if (::pipe2(ready, O_CLOEXEC) != 0)
    return make_error("cannot start the command line: " + why());
  pid_t agent = ::getpid();
  pid_t launcher = ::fork();
  if (launcher < 0) {
    auto reason = why();
    ::close(ready[0]);
    ::close(ready[1]);
    return make_error("cannot start the command line: " + reason);
  }
  if (launcher == 0)
    launch(cmds, envp.data(), p.slave_path().c_str(), spec.cwd.c_str(),
           ready[1], agent);
  ::close(ready[1]);
  int ready_fd = ready[0];
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
    pollfd fds[2] = {{p.master(), POLLIN, 0}, {ready_fd, POLLIN, 0}};
    int n = ::poll(fds, ready_fd >= 0 ? 2 : 1, exited ? 20 : 100);
    if (n < 0 && errno != EINTR)
      break;
    if (n > 0 && ready_fd >= 0 && fds[1].revents != 0) {
      // "r" once every command exists; end of file when the launcher
      // failed before: held input goes to the terminal either way.
      char r;
      [[maybe_unused]] auto got = ::read(ready_fd, &r, 1);
      ::close(ready_fd);
      ready_fd = -1;
      p.mark_ready(launcher);
      continue;
    }
    if (n > 0 && fds[0].revents != 0) {
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
  if (ready_fd >= 0)
    ::close(ready_fd);
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
