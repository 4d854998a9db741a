// Running a `pact shell` line on a PTY (runtime/node/shell_pty.hpp): the
// pipeline, the exit status, the terminal's signals, stop, and a program
// that cannot start.

#include <atomic>
#include <thread>

#include <doctest/doctest.h>

#include "runtime/node/shell_pty.hpp"

namespace pact::node {

namespace {

struct run_result {
  int status = -1;
  std::string out;
};

run_result run(std::vector<pty_command> pipeline, bool terminal,
               const std::function<void(pty&)>& meanwhile = {},
               std::atomic<bool>* stop_flag = nullptr) {
  auto p = pty::open(24, 80, terminal);
  REQUIRE(p);
  pty_job_spec spec;
  spec.pipeline = std::move(pipeline);
  spec.env = {"PATH=/usr/bin:/bin", "TERM=dumb"};
  spec.rows = 24;
  spec.cols = 80;
  std::atomic<bool> never{false};
  run_result r;
  std::thread side;
  if (meanwhile)
    side = std::thread([&] { meanwhile(*p); });
  auto status = run_on_pty(
    *p, spec, [&](std::string_view d) { r.out += std::string(d); },
    stop_flag != nullptr ? *stop_flag : never);
  if (side.joinable())
    side.join();
  REQUIRE(status);
  r.status = *status;
  return r;
}

} // namespace

TEST_CASE("a pipeline runs with the last command's status") {
  auto r = run({{"/bin/echo", {"echo", "hello world"}},
                {"/usr/bin/tr", {"tr", "a-z", "A-Z"}}},
               false);
  CHECK(r.status == 0);
  CHECK(r.out == "HELLO WORLD\n");
  auto f = run({{"/bin/echo", {"echo", "x"}}, {"/bin/false", {"false"}}},
               false);
  CHECK(f.status == 1);
}

TEST_CASE("on a terminal, output lines end in CR LF, and the terminal is "
          "the commands' own") {
  auto r = run({{"/bin/sh", {"sh", "-c", "tty -s && echo yes; stty size"}}},
               true);
  CHECK(r.status == 0);
  CHECK(r.out == "yes\r\n24 80\r\n");
}

TEST_CASE("Ctrl-C on the terminal interrupts the command, not the "
          "launcher") {
  auto r = run({{"/bin/sleep", {"sleep", "30"}}}, true, [](pty& p) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    p.write("\x03");
  });
  CHECK(r.status == 128 + 2);
}

TEST_CASE("stop hangs the job up and kills it") {
  std::atomic<bool> stop{false};
  auto started = std::chrono::steady_clock::now();
  auto r = run(
    {{"/bin/sleep", {"sleep", "30"}}}, true,
    [&](pty&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      stop = true;
    },
    &stop);
  CHECK(r.status >= 128);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
}

TEST_CASE("a program that cannot start exits 127 with a message") {
  auto r = run({{"/nonexistent/prog", {"prog"}}}, false);
  CHECK(r.status == 127);
  CHECK(r.out.find("pact: cannot start prog") != std::string::npos);
}

TEST_CASE("input written to the terminal reaches the command") {
  auto r = run({{"/usr/bin/head", {"head", "-n", "1"}}}, true, [](pty& p) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    p.write("typed line\r");
  });
  CHECK(r.status == 0);
  // The terminal echoes the input, then head prints it.
  CHECK(r.out == "typed line\r\ntyped line\r\n");
}

} // namespace pact::node
