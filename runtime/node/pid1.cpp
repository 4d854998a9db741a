#include "runtime/node/pid1.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace pact::node {

namespace {

using std::chrono::steady_clock;

/// The signals init waits for: its children's, and those it passes on.
constexpr int passed_on[] = {SIGTERM, SIGINT,  SIGHUP,
                             SIGQUIT, SIGUSR1, SIGUSR2};

int status_of(int wait_status) {
  if (WIFEXITED(wait_status))
    return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status))
    return 128 + WTERMSIG(wait_status);
  return 1;
}

/// Reaps every zombie child; records the agent's status when it is one.
/// Returns false when no child is left at all.
bool reap(pid_t agent, bool& agent_done, int& agent_status) {
  for (;;) {
    int st = 0;
    pid_t pid = ::waitpid(-1, &st, WNOHANG);
    if (pid == 0)
      return true;
    if (pid < 0)
      return errno != ECHILD;
    if (pid == agent) {
      agent_done = true;
      agent_status = status_of(st);
    }
  }
}

/// The pids whose parent is this process (/proc/PID/stat's fourth field).
std::vector<pid_t> own_children() {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& d : std::filesystem::directory_iterator("/proc", ec)) {
    const auto name = d.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos)
      continue;
    std::ifstream in(d.path() / "stat");
    std::string line;
    if (!std::getline(in, line))
      continue;
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    auto close = line.rfind(')');
    if (close == std::string::npos)
      continue;
    std::istringstream rest(line.substr(close + 1));
    std::string state;
    long ppid = 0;
    if (rest >> state >> ppid && ppid == ::getpid())
      out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

/// SIGTERM or SIGKILL to what is left: as PID 1 every process of the
/// namespace; otherwise (--init on a host, a subreaper) only this
/// process's own children, never kill(-1) outside a namespace of its own.
void signal_the_rest(int sig) {
  if (is_pid1()) {
    ::kill(-1, sig);
    return;
  }
  for (pid_t pid : own_children())
    ::kill(pid, sig);
}

/// After the agent: what is left gets SIGTERM, then SIGKILL after the
/// grace period; everything is reaped.
void end_the_rest(const init_options& opts, pid_t agent, bool& agent_done,
                  int& agent_status, const sigset_t& set) {
  signal_the_rest(SIGTERM);
  auto deadline = steady_clock::now() + opts.grace;
  while (reap(agent, agent_done, agent_status)
         && steady_clock::now() < deadline) {
    timespec tick{0, 50 * 1000 * 1000};
    ::sigtimedwait(&set, nullptr, &tick);
  }
  signal_the_rest(SIGKILL);
  while (reap(agent, agent_done, agent_status)) {
    timespec tick{0, 50 * 1000 * 1000};
    ::sigtimedwait(&set, nullptr, &tick);
  }
}

} // namespace

bool is_pid1() {
  return ::getpid() == 1;
}

std::optional<int> become_init(const init_options& opts) {
  sigset_t set, before;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  for (int sig : passed_on)
    sigaddset(&set, sig);
  ::sigprocmask(SIG_BLOCK, &set, &before);
  // Not PID 1 (--init on a host or under another init): orphans of the
  // agent's tree come here instead of to the real init.
  if (!is_pid1())
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  pid_t agent = ::fork();
  if (agent < 0) {
    std::fprintf(stderr, "pact-agent: cannot fork the agent from init: %s\n",
                 std::strerror(errno));
    return 1;
  }
  if (agent == 0) {
    // The agent: the signal mask it had (its shutdown signals blocked, for
    // its own sigwait).
    ::sigprocmask(SIG_SETMASK, &before, nullptr);
    return std::nullopt;
  }
  bool agent_done = false;
  int agent_status = 1;
  while (!agent_done) {
    int sig = 0;
    if (::sigwait(&set, &sig) != 0)
      continue;
    if (sig == SIGCHLD)
      reap(agent, agent_done, agent_status);
    else
      ::kill(agent, sig);
  }
  end_the_rest(opts, agent, agent_done, agent_status, set);
  return agent_status;
}

} // namespace pact::node
