#include "runtime/node/service_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "runtime/node/spawn_setup.hpp"

namespace pact::node {

std::vector<std::string> service_environment(const std::string& name) {
  return {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
          "LANG=C.UTF-8", "PACT_SERVICE=" + name};
}

expected<std::string> service_binary(const std::string& root,
                                     const std::string& binary) {
  auto what = "binary " + binary;
  if (binary.empty() || binary[0] != '/')
    return make_error(what + ": not an absolute path");
  if (("/" + binary + "/").find("/../") != std::string::npos)
    return make_error(what + ": has a '..' component");
  auto host = root == "/" ? binary : root + binary;
  char real[PATH_MAX];
  if (::realpath(host.c_str(), real) == nullptr)
    return make_error(what + ": not found under the root " + root);
  std::string r(real);
  if (root != "/") {
    char real_root[PATH_MAX];
    if (::realpath(root.c_str(), real_root) == nullptr)
      return make_error("the root " + root + " cannot be resolved");
    std::string rr(real_root);
    if (r != rr && r.compare(0, rr.size() + 1, rr + "/") != 0)
      return make_error(what + ": a symlink leads outside the root " + root);
  }
  struct stat st {};
  if (::stat(r.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    return make_error(what + ": not a regular file");
  if (::access(r.c_str(), X_OK) != 0)
    return make_error(what + ": not executable");
  return r;
}

expected<service_process> start_service(const std::string& root,
                                        const service_spec& spec) {
  auto exe = service_binary(root, spec.binary);
  if (!exe)
    return exe.err();
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
    return make_error("cannot start service " + spec.name
                      + ": cannot create a pipe: " + std::strerror(errno));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, pipe_fds[1], 1);
  posix_spawn_file_actions_adddup2(&fa, pipe_fds[1], 2);
  posix_spawn_file_actions_addchdir_np(&fa, root.c_str());
  posix_spawnattr_t attr;
  init_child_attr(&attr); // a process group of its own (spawn_setup.hpp)
  std::vector<std::string> owned{spec.binary};
  owned.insert(owned.end(), spec.args.begin(), spec.args.end());
  std::vector<char*> argv;
  for (auto& a : owned)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  auto env_owned = service_environment(spec.name);
  std::vector<char*> env;
  for (auto& e : env_owned)
    env.push_back(e.data());
  env.push_back(nullptr);
  service_process p;
  int rc = ::posix_spawn(&p.pid, exe->c_str(), &fa, &attr, argv.data(),
                         env.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(pipe_fds[1]);
  if (rc != 0) {
    ::close(pipe_fds[0]);
    return make_error("cannot start service " + spec.name + " (" + *exe
                      + "): " + std::strerror(rc));
  }
  p.output = pipe_fds[0];
  return p;
}

namespace {

/// Reads what is ready; false at end of file or on an error.
bool read_some(int fd, const std::function<void(std::string)>& on_output) {
  char buf[8192];
  auto n = ::read(fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0)
    return false;
  on_output(std::string(buf, static_cast<size_t>(n)));
  return true;
}

exit_status status_of(int st) {
  if (WIFSIGNALED(st))
    return {true, WTERMSIG(st)};
  return {false, WEXITSTATUS(st)};
}

} // namespace

void follow(service_process p,
            const std::function<void(std::string)>& on_output,
            const std::function<void(exit_status)>& on_exit,
            std::chrono::milliseconds poll_every) {
  bool open = p.output >= 0;
  while (true) {
    if (open) {
      pollfd pfd{p.output, POLLIN, 0};
      auto r = ::poll(&pfd, 1, static_cast<int>(poll_every.count()));
      if (r > 0)
        open = read_some(p.output, on_output);
    }
    int st = 0;
    auto w = ::waitpid(p.pid, &st, open ? WNOHANG : 0);
    if (w == p.pid) {
      // What it wrote before it exited is still in the pipe: pass it on,
      // without waiting for children that may hold the pipe open.
      if (open) {
        ::fcntl(p.output, F_SETFL, O_NONBLOCK);
        while (read_some(p.output, on_output)) {
          pollfd pfd{p.output, POLLIN, 0};
          if (::poll(&pfd, 1, 0) <= 0)
            break;
        }
      }
      if (p.output >= 0)
        ::close(p.output);
      on_exit(status_of(st));
      return;
    }
    if (w < 0 && errno != EINTR) {
      if (p.output >= 0)
        ::close(p.output);
      on_exit({false, 255}); // not our child any more: nothing to wait for
      return;
    }
  }
}

bool signal_service(pid_t pid, int sig) {
  if (pid <= 0)
    return false;
  return ::kill(-pid, sig) == 0 || ::kill(pid, sig) == 0;
}

} // namespace pact::node
