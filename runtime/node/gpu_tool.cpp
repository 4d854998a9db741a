#include "runtime/node/gpu_tool.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/node/capability_text.hpp"
#include "runtime/node/spawn_setup.hpp"

extern char** environ;

namespace pact::node {

namespace {

bool executable_file(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode)
         && ::access(p.c_str(), X_OK) == 0;
}

std::string base_name(const std::string& p) {
  auto slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

/// Both ends close-on-exec: the child gets only what dup2 gives it.
bool make_pipe(int fds[2]) {
  return ::pipe2(fds, O_CLOEXEC) == 0;
}

void close_fd(int& fd) {
  if (fd >= 0)
    ::close(fd);
  fd = -1;
}

/// Owns the child's pipes and reaps it on every path.
struct child {
  pid_t pid = -1;
  int out = -1;
  int err = -1;
  ~child() {
    close_fd(out);
    close_fd(err);
    if (pid > 0) {
      ::kill(-pid, SIGKILL);
      int st = 0;
      while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
      }
    }
  }
  /// The exit status, or none when it is still running at `deadline`
  /// (it closed its output and lingers; ~child then kills it).
  std::optional<int> wait_exit(std::chrono::steady_clock::time_point deadline) {
    int st = 0;
    while (true) {
      auto r = ::waitpid(pid, &st, WNOHANG);
      if (r == pid)
        break;
      if (r < 0 && errno != EINTR)
        return std::nullopt;
      if (std::chrono::steady_clock::now() >= deadline)
        return std::nullopt;
      ::usleep(1000);
    }
    pid = -1;
    if (WIFSIGNALED(st))
      return 128 + WTERMSIG(st);
    return WEXITSTATUS(st);
  }
};

expected<std::unique_ptr<child>> start(const std::string& exe,
                                       const std::vector<std::string>& args) {
  int out[2], err[2];
  if (!make_pipe(out))
    return make_error("cannot create a pipe: " + std::string(strerror(errno)));
  if (!make_pipe(err)) {
    ::close(out[0]);
    ::close(out[1]);
    return make_error("cannot create a pipe: " + std::string(strerror(errno)));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  posix_spawnattr_t attr;
  init_child_attr(&attr); // a process group of its own (spawn_setup.hpp)
  std::vector<std::string> owned{base_name(exe)};
  owned.insert(owned.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : owned)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  auto c = std::make_unique<child>();
  int rc = ::posix_spawn(&c->pid, exe.c_str(), &fa, &attr, argv.data(),
                         environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(out[1]);
  ::close(err[1]);
  c->out = out[0];
  c->err = err[0];
  if (rc != 0) {
    c->pid = -1;
    return make_error("cannot start " + exe + ": " + strerror(rc));
  }
  return c;
}

/// Reads what is ready on `fd` into `buf`; closes it at end of file.
/// False when the cap is exceeded.
bool drain(int& fd, std::string& buf, size_t cap) {
  char chunk[8192];
  auto n = ::read(fd, chunk, sizeof chunk);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0) {
    close_fd(fd);
    return true;
  }
  if (buf.size() + static_cast<size_t>(n) > cap)
    return false;
  buf.append(chunk, static_cast<size_t>(n));
  return true;
}

} // namespace

std::optional<std::string> find_on_path(const std::string& program,
                                        const std::string& path_env) {
  if (program.empty())
    return std::nullopt;
  if (program.find('/') != std::string::npos)
    return executable_file(program) ? std::optional{program} : std::nullopt;
  for (auto dir : text::split(path_env, ':')) {
    std::string candidate = (dir.empty() ? std::string(".") : std::string(dir))
                            + "/" + program;
    if (executable_file(candidate))
      return candidate;
  }
  return std::nullopt;
}

expected<run_result> run_program(const std::string& exe,
                                 const std::vector<std::string>& args,
                                 const run_limits& limits) {
  auto c = start(exe, args);
  if (!c)
    return c.err();
  auto& ch = **c;
  run_result r;
  auto deadline = std::chrono::steady_clock::now() + limits.timeout;
  auto name = base_name(exe);
  while (ch.out >= 0 || ch.err >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return make_error(name + " did not finish within "
                        + std::to_string(limits.timeout.count()) + " ms");
    pollfd fds[2] = {{ch.out, POLLIN, 0}, {ch.err, POLLIN, 0}};
    int n = ::poll(fds, 2, static_cast<int>(left.count()));
    if (n < 0 && errno != EINTR)
      return make_error("waiting for " + name + ": " + strerror(errno));
    if (n <= 0)
      continue;
    bool ok = true;
    if (fds[0].revents != 0)
      ok = drain(ch.out, r.out, limits.max_output_bytes);
    if (ok && fds[1].revents != 0)
      ok = drain(ch.err, r.err, limits.max_output_bytes);
    if (!ok)
      return make_error(name + " wrote more than "
                        + std::to_string(limits.max_output_bytes) + " bytes");
  }
  // Both streams closed; the exit normally follows at once, but a child
  // that closed them and lingers is held to the same deadline.
  auto code = ch.wait_exit(deadline);
  if (!code)
    return make_error(name + " did not finish within "
                      + std::to_string(limits.timeout.count()) + " ms");
  r.exit_code = *code;
  return r;
}

namespace {

std::string first_line(const std::string& s) {
  for (auto l : text::lines(s))
    if (auto t = text::trim(l); !t.empty())
      return std::string(t.substr(0, 200));
  return {};
}

gpu_poll failed(const std::string& tool, const std::string& why,
                const gpu_poll& last) {
  gpu_poll p;
  p.tool = tool;
  p.status = "error: " + why;
  p.report = last.report;
  return p;
}

gpu_poll run_tool(const std::string& tool, const std::string& exe,
                  const gpu_tool_config& cfg, const gpu_poll& last) {
  bool nvidia = tool == "nvidia-smi";
  auto r = run_program(exe, nvidia ? nvidia_smi_args() : rocm_smi_args(),
                       cfg.limits);
  if (!r)
    return failed(tool, r.err().message, last);
  auto parsed = nvidia ? parse_nvidia_csv(r->out) : parse_rocm_json(r->out);
  bool usable = parsed
                && (r->exit_code == 0 || !parsed->devices.empty()
                    || !parsed->problems.empty());
  if (!usable && r->exit_code != 0) {
    auto why = first_line(r->err);
    if (why.empty())
      why = first_line(r->out);
    return failed(tool,
                  tool + " exited with status " + std::to_string(r->exit_code)
                    + (why.empty() ? "" : ": " + why),
                  last);
  }
  if (!parsed)
    return failed(tool, parsed.err().message, last);
  gpu_poll p;
  p.tool = tool;
  p.status = "ok";
  p.report = std::move(*parsed);
  return p;
}

} // namespace

gpu_poll poll_gpus(const gpu_tool_config& cfg, const gpu_poll& last) {
  std::vector<std::string> tools;
  if (cfg.backend == "auto" || cfg.backend == "nvidia")
    tools.emplace_back("nvidia-smi");
  if (cfg.backend == "auto" || cfg.backend == "amd")
    tools.emplace_back("rocm-smi");
  for (const auto& tool : tools)
    if (auto exe = find_on_path(tool, cfg.path_env))
      return run_tool(tool, *exe, cfg, last);
  gpu_poll none;
  none.status = cfg.backend == "none"
                  ? "disabled (agent.capability.gpu_backend = none)"
                  : "no GPU tool";
  return none;
}

} // namespace pact::node
