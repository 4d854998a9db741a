// Running a pact exec command (runtime/node/exec_process.hpp): no shell,
// streamed output, cap, timeout killing the process group, environment and
// working directory as given.

#include <signal.h>

#include <chrono>
#include <fstream>

#include <doctest/doctest.h>

#include "runtime/node/exec_process.hpp"
#include "tests/unit/runtime/node/node_fixtures.hpp"

namespace pact::node {

namespace {

struct captured {
  std::string out, err;
  int chunks = 0;
  exec_sink sink() {
    return [this](int stream, std::string_view data) {
      (stream == 2 ? err : out) += std::string(data);
      ++chunks;
    };
  }
};

exec_spec sh(const std::string& script) {
  exec_spec s;
  s.program = "/bin/sh";
  s.argv = {"sh", "-c", script};
  s.env = {"PATH=/usr/bin:/bin"};
  s.timeout = std::chrono::seconds(10);
  return s;
}

} // namespace

TEST_CASE("arguments reach the program as they are: no shell") {
  captured c;
  exec_spec s;
  s.program = "/bin/echo";
  s.argv = {"echo", "$(id)", "`id`", "a; id", "x\ny"};
  auto r = run_exec(s, c.sink());
  REQUIRE(r);
  CHECK(r->exit_code == 0);
  CHECK(c.out == "$(id) `id` a; id x\ny\n");
}

TEST_CASE("stdout and stderr, exit status, environment, cwd, stdin") {
  test::temp_root dir;
  captured c;
  auto s = sh("echo out; echo err >&2; echo \"$FOO|$HOME\"; pwd; "
              "cat; exit 7");
  s.env = {"FOO=bar"};
  s.cwd = dir.path();
  auto r = run_exec(s, c.sink());
  REQUIRE(r);
  CHECK(r->exit_code == 7);
  CHECK_FALSE(r->timed_out);
  CHECK(c.out == "out\nbar|\n" + dir.path() + "\n");
  CHECK(c.err == "err\n");
}

TEST_CASE("the timeout kills the whole process group") {
  test::temp_root dir;
  captured c;
  auto pidfile = dir.host("/pid");
  auto s = sh("sleep 300 & echo $! > " + pidfile + "; wait");
  s.timeout = std::chrono::milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  auto r = run_exec(s, c.sink());
  REQUIRE(r);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  CHECK(r->timed_out);
  CHECK(r->exit_code == 128 + SIGKILL);
  std::ifstream in(pidfile);
  pid_t child = 0;
  in >> child;
  REQUIRE(child > 0);
  // Killed with its group; it may linger as a zombie of init briefly.
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    std::ifstream stat("/proc/" + std::to_string(child) + "/stat");
    std::string line;
    std::getline(stat, line);
    auto close = line.rfind(')');
    gone = !stat
           || (close != std::string::npos && line.size() > close + 2
               && line[close + 2] == 'Z');
    if (!gone)
      ::usleep(10000);
  }
  CHECK(gone);
}

TEST_CASE("what a command leaves running in its group does not hold it") {
  captured c;
  auto s = sh("sleep 300 & echo started");
  auto start = std::chrono::steady_clock::now();
  auto r = run_exec(s, c.sink());
  REQUIRE(r);
  CHECK(r->exit_code == 0);
  CHECK(c.out == "started\n");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("output beyond the cap is dropped and marked") {
  captured c;
  auto s = sh("head -c 100000 /dev/zero; echo e >&2");
  s.max_output_bytes = 1000;
  auto r = run_exec(s, c.sink());
  REQUIRE(r);
  CHECK(r->exit_code == 0);
  CHECK(r->truncated);
  CHECK(c.out.size() == 1000);
  CHECK(c.err == "e\n");
}

TEST_CASE("a program that cannot start is an error") {
  captured c;
  exec_spec s;
  s.program = "/nonexistent/prog";
  s.argv = {"prog"};
  auto r = run_exec(s, c.sink());
  REQUIRE_FALSE(r);
  CHECK(r.err().message.find("cannot start /nonexistent/prog") == 0);
}

} // namespace pact::node
