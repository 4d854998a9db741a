#include "runtime/node/exec_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "runtime/node/exec_rules.hpp"
#include "runtime/node/spawn_setup.hpp"

namespace pact::node {

namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

/// How often a command whose pipes stay quiet is checked for its exit.
constexpr int poll_ms = 20;

/// Set once the agent is stopping (stop_running_execs).
std::atomic<bool> stopping{false};

struct pipes {
  int out[2] = {-1, -1};
  int err[2] = {-1, -1};
  ~pipes() {
    for (int* p : {out, err})
      for (int i = 0; i < 2; ++i)
        if (p[i] >= 0)
          ::close(p[i]);
  }
};

expected<pid_t> spawn(const exec_spec& spec, pipes& p) {
  if (::pipe2(p.out, O_CLOEXEC) != 0 || ::pipe2(p.err, O_CLOEXEC) != 0)
    return make_error("cannot create a pipe: " + std::string(strerror(errno)));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, p.out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, p.err[1], 2);
  posix_spawn_file_actions_addchdir_np(&fa, spec.cwd.c_str());
  posix_spawnattr_t attr;
  init_child_attr(&attr); // a process group of its own (spawn_setup.hpp)
  std::vector<std::string> owned = spec.argv;
  std::vector<char*> argv;
  for (auto& a : owned)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_owned = spec.env;
  std::vector<char*> envp;
  for (auto& e : env_owned)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, spec.program.c_str(), &fa, &attr, argv.data(),
                         envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(p.out[1]);
  ::close(p.err[1]);
  p.out[1] = p.err[1] = -1;
  if (rc != 0)
    return make_error("cannot start " + spec.program + ": " + strerror(rc));
  return pid;
}

/// Reads what is ready on `fd`; closes it (and sets -1) at end of file.
void drain(int& fd, int stream, output_cap& cap, const exec_sink& sink) {
  char buf[16384];
  auto n = ::read(fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return;
  if (n <= 0) {
    ::close(fd);
    fd = -1;
    return;
  }
  auto kept = cap.take(std::string_view(buf, static_cast<size_t>(n)));
  if (!kept.empty())
    sink(stream, kept);
}

} // namespace

void stop_running_execs() {
  stopping.store(true);
}

expected<exec_outcome> run_exec(const exec_spec& spec, const exec_sink& sink) {
  pipes p;
  auto pid = spawn(spec, p);
  if (!pid)
    return pid.err();
  int& out = p.out[0];
  int& err = p.err[0];
  output_cap out_cap(spec.max_output_bytes), err_cap(spec.max_output_bytes);
  exec_outcome r;
  auto deadline = steady_clock::now() + spec.timeout;
  bool exited = false;
  int status = 0;
  while (!exited || out >= 0 || err >= 0) {
    if (!exited) {
      auto w = ::waitpid(*pid, &status, WNOHANG);
      if (w == *pid) {
        exited = true;
        // What it left running in its group goes with it, so that the
        // pipes close and nothing outlives the command.
        ::kill(-*pid, SIGKILL);
      }
    }
    // The agent is stopping: the command goes like one that timed out, so
    // that SIGTERM stops the agent now rather than after the command.
    if (!exited && !r.timed_out && stopping.load()) {
      r.timed_out = true;
      ::kill(-*pid, SIGKILL);
    }
    if (steady_clock::now() >= deadline) {
      // Exited, but a descendant that left its group holds the pipes: the
      // command is over.
      if (exited)
        break;
      if (!r.timed_out) {
        r.timed_out = true;
        ::kill(-*pid, SIGKILL);
      }
    }
    pollfd fds[2] = {{out, POLLIN, 0}, {err, POLLIN, 0}};
    int n = ::poll(fds, 2, poll_ms);
    if (n < 0 && errno != EINTR)
      break;
    if (n > 0 && fds[0].revents != 0)
      drain(out, 1, out_cap, sink);
    if (n > 0 && fds[1].revents != 0)
      drain(err, 2, err_cap, sink);
  }
  if (!exited)
    while (::waitpid(*pid, &status, 0) < 0 && errno == EINTR) {
    }
  r.exit_code = exit_code_of(status);
  r.truncated = out_cap.truncated() || err_cap.truncated();
  return r;
}

} // namespace pact::node
