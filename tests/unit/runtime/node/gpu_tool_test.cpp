// Running the GPU tool: fake nvidia-smi / rocm-smi scripts on a PATH of
// their own replay recorded outputs, fail, hang or flood; the poll never
// throws and says what went wrong.

#include <doctest/doctest.h>

#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>

#include "runtime/common/files.hpp"
#include "runtime/node/gpu_tool.hpp"
#include "tests/unit/runtime/node/gpu_test_util.hpp"

using namespace pact::node;
using pact::node::test::gpu_data;
using pact::node::test::temp_dir;

namespace {

/// Writes an executable shell script `name` into `dir`.
void script(const std::string& dir, const std::string& name,
            const std::string& body) {
  auto path = dir + "/" + name;
  REQUIRE(pact::files::write_atomic(path, "#!/bin/sh\n" + body + "\n", 0755));
}

gpu_tool_config config_for(const std::string& dir) {
  gpu_tool_config c;
  c.path_env = dir;
  c.limits.timeout = std::chrono::milliseconds(3000);
  return c;
}

} // namespace

TEST_CASE("find_on_path: first executable match, none when missing") {
  auto a = temp_dir();
  auto b = temp_dir();
  REQUIRE(pact::files::write_atomic(a + "/nvidia-smi", "x", 0644)); // not +x
  script(b, "nvidia-smi", "exit 0");
  CHECK(find_on_path("nvidia-smi", a + ":" + b) == b + "/nvidia-smi");
  CHECK_FALSE(find_on_path("nvidia-smi", a).has_value());
  CHECK_FALSE(find_on_path("rocm-smi", a + ":" + b).has_value());
  CHECK(find_on_path(b + "/nvidia-smi", "") == b + "/nvidia-smi");
}

TEST_CASE("run_program: output, exit status, no shell interpretation") {
  auto d = temp_dir();
  script(d, "tool", "printf '%s|' \"$@\"; echo oops >&2; exit 3");
  auto r = run_program(d + "/tool", {"a b", "$HOME", ";ls"}, {});
  REQUIRE(r);
  CHECK(r->out == "a b|$HOME|;ls|");
  CHECK(r->err == "oops\n");
  CHECK(r->exit_code == 3);
}

TEST_CASE("run_program: a tool that hangs is killed at its timeout") {
  auto d = temp_dir();
  // The background sleep keeps the pipe open: the whole group must die.
  script(d, "hang", "sleep 30 & sleep 30");
  run_limits l;
  l.timeout = std::chrono::milliseconds(300);
  auto t0 = std::chrono::steady_clock::now();
  auto r = run_program(d + "/hang", {}, l);
  auto took = std::chrono::steady_clock::now() - t0;
  REQUIRE_FALSE(r);
  CHECK(r.err().message == "hang did not finish within 300 ms");
  CHECK(took < std::chrono::seconds(5));
}

TEST_CASE("run_program: a flood of output is cut off at the cap") {
  auto d = temp_dir();
  script(d, "flood", "yes");
  run_limits l;
  l.max_output_bytes = 10000;
  auto r = run_program(d + "/flood", {}, l);
  REQUIRE_FALSE(r);
  CHECK(r.err().message == "flood wrote more than 10000 bytes");
}

TEST_CASE("poll_gpus: no tool on PATH is 'no GPU tool', not an error") {
  auto d = temp_dir();
  auto p = poll_gpus(config_for(d), {});
  CHECK(p.status == "no GPU tool");
  CHECK(p.tool.empty());
  CHECK(p.report.devices.empty());
  auto off = config_for(d);
  off.backend = "none";
  script(d, "nvidia-smi", "exit 0");
  CHECK(poll_gpus(off, {}).status
        == "disabled (agent.capability.gpu_backend = none)");
}

TEST_CASE("poll_gpus: nvidia-smi replayed, with the documented arguments") {
  auto d = temp_dir();
  script(d, "nvidia-smi",
         "[ \"$1\" = \"" + nvidia_smi_args()[0] + "\" ] || exit 9\n"
           + "[ \"$2\" = \"--format=csv,noheader,nounits\" ] || exit 9\n"
           + "exec cat '" + gpu_data("nvidia_4gpus.csv") + "'");
  auto p = poll_gpus(config_for(d), {});
  CHECK(p.status == "ok");
  CHECK(p.tool == "nvidia-smi");
  CHECK(p.report.devices.size() == 4);
}

TEST_CASE("poll_gpus: a lost GPU makes nvidia-smi exit non-zero; the "
          "others are still used") {
  auto d = temp_dir();
  script(d, "nvidia-smi", "cat '" + gpu_data("nvidia_lost.csv") + "'; exit 15");
  auto p = poll_gpus(config_for(d), {});
  CHECK(p.status == "ok");
  CHECK(p.report.devices.size() == 3);
  CHECK(p.report.problems.size() == 1);
}

TEST_CASE("poll_gpus: failures keep the last good devices and say why") {
  auto d = temp_dir();
  script(d, "nvidia-smi", "cat '" + gpu_data("nvidia_4gpus.csv") + "'");
  auto good = poll_gpus(config_for(d), {});
  REQUIRE(good.ok());

  script(d, "nvidia-smi",
         "cat '" + gpu_data("nvidia_failed.txt") + "'; exit 9");
  auto failed = poll_gpus(config_for(d), good);
  CHECK(failed.status
        == "error: nvidia-smi exited with status 9: NVIDIA-SMI has failed "
           "because it couldn't communicate with the NVIDIA driver. Make "
           "sure that the latest NVIDIA driver is installed and running.");
  CHECK(failed.report.devices.size() == 4);

  script(d, "nvidia-smi", "cat '" + gpu_data("nvidia_malformed.csv") + "'");
  auto malformed = poll_gpus(config_for(d), good);
  CHECK(malformed.status
        == "error: nvidia-smi output line 2: memory.total 'lots' is not a "
           "number");
  CHECK(malformed.report.devices.size() == 4);

  script(d, "nvidia-smi", "sleep 30");
  auto slow = config_for(d);
  slow.limits.timeout = std::chrono::milliseconds(200);
  CHECK(poll_gpus(slow, good).status
        == "error: nvidia-smi did not finish within 200 ms");
}

TEST_CASE("poll_gpus: rocm-smi when there is no nvidia-smi") {
  auto d = temp_dir();
  script(d, "rocm-smi", "exec cat '" + gpu_data("rocm_2gpus.json") + "'");
  auto p = poll_gpus(config_for(d), {});
  CHECK(p.status == "ok");
  CHECK(p.tool == "rocm-smi");
  CHECK(p.report.devices.size() == 2);
  auto nv = config_for(d);
  nv.backend = "nvidia";
  CHECK(poll_gpus(nv, {}).status == "no GPU tool");
}

TEST_CASE("run_program: the tool does not inherit the agent's blocked "
          "signals") {
  // pact-agent blocks SIGTERM/SIGINT in every thread (daemon.cpp); a tool
  // started with that mask could not be stopped by them.
  sigset_t term, old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  REQUIRE(pthread_sigmask(SIG_BLOCK, &term, &old) == 0);
  // grep itself, not a script: sh resets its signal mask when it starts.
  auto grep = find_on_path("grep", "/usr/bin:/bin");
  REQUIRE(grep);
  auto r = run_program(*grep, {"SigBlk", "/proc/self/status"}, {});
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  REQUIRE(r);
  CHECK(r->out == "SigBlk:\t0000000000000000\n");
}
