// service_process: a service's process under a root, its captured output
// and its exit (issue 12 item 5). Real processes (/bin/sh scripts).

#include "runtime/node/service_process.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace pact::node;
namespace fs = std::filesystem;

namespace {

struct temp_root {
  std::string path;
  temp_root() {
    char tmpl[] = "/tmp/pact-svc-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~temp_root() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  void script(const std::string& node_path, const std::string& text) {
    auto full = path + node_path;
    fs::create_directories(fs::path(full).parent_path());
    std::ofstream(full) << text;
    ::chmod(full.c_str(), 0755);
  }
};

service_spec spec_of(const std::string& binary,
                     std::vector<std::string> args = {}) {
  service_spec s;
  s.name = "t";
  s.binary = binary;
  s.args = std::move(args);
  return s;
}

struct result {
  std::string output;
  exit_status exit;
};

result run(const std::string& root, const service_spec& s) {
  auto p = start_service(root, s);
  REQUIRE(p);
  result r;
  follow(
    *p, [&](std::string b) { r.output += b; },
    [&](exit_status e) { r.exit = e; }, std::chrono::milliseconds(20));
  return r;
}

} // namespace

TEST_CASE("a service runs from under the root with its own environment and "
          "its output captured") {
  temp_root t;
  t.script("/usr/bin/svc", "#!/bin/sh\necho \"args:$*\"\necho \"env:"
                           "$PACT_SERVICE:$HOME:$PWD\"\necho err >&2\n"
                           "exit 7\n");
  auto r = run(t.path, spec_of("/usr/bin/svc", {"a b", "$(id)"}));
  CHECK(r.output.find("args:a b $(id)\n") != std::string::npos);
  // HOME is not passed on; the working directory is the root.
  CHECK(r.output.find("env:t::" + fs::canonical(t.path).string() + "\n")
        != std::string::npos);
  CHECK(r.output.find("err\n") != std::string::npos);
  CHECK_FALSE(r.exit.signaled);
  CHECK(r.exit.code == 7);
}

TEST_CASE("a binary that is missing, not executable, outside the root or "
          "named with '..' is refused before anything runs") {
  temp_root t;
  t.script("/usr/bin/ok", "#!/bin/sh\nexit 0\n");
  std::ofstream(t.path + "/usr/bin/plain") << "data";
  ::chmod((t.path + "/usr/bin/plain").c_str(), 0644);
  fs::create_symlink("/bin/sh", t.path + "/usr/bin/escape");
  for (auto [binary, why] : std::vector<std::pair<std::string, std::string>>{
         {"/usr/bin/none", "not found under the root"},
         {"/usr/bin/plain", "not executable"},
         {"/usr/bin/escape", "a symlink leads outside the root"},
         {"/usr/bin/../bin/ok", "has a '..' component"},
         {"usr/bin/ok", "not an absolute path"},
         {"/usr/bin", "not a regular file"}}) {
    CAPTURE(binary);
    auto p = start_service(t.path, spec_of(binary));
    REQUIRE_FALSE(p);
    CHECK(p.err().message.find(why) != std::string::npos);
  }
  CHECK(service_binary(t.path, "/usr/bin/ok"));
}

TEST_CASE("stopping a service signals its whole process group") {
  temp_root t;
  // The child sleeps in the background and keeps the pipe: follow still
  // sees the service itself exit.
  t.script("/usr/bin/svc", "#!/bin/sh\nsleep 600 &\necho $! > bg.pid\n"
                           "echo started\nexec sleep 600\n");
  auto p = start_service(t.path, spec_of("/usr/bin/svc"));
  REQUIRE(p);
  auto pid = p->pid;
  std::string out;
  exit_status ex;
  std::thread f([&] {
    follow(
      *p, [&](std::string b) { out += b; }, [&](exit_status e) { ex = e; },
      std::chrono::milliseconds(20));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(signal_service(pid, SIGTERM));
  f.join();
  CHECK(ex.signaled);
  CHECK(ex.code == SIGTERM);
  CHECK(out == "started\n");
  // The background child went with the group: gone, or a zombie its new
  // parent has not reaped yet.
  std::string bg;
  std::ifstream(t.path + "/bg.pid") >> bg;
  REQUIRE_FALSE(bg.empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::string stat_line;
  std::getline(std::ifstream("/proc/" + bg + "/stat"), stat_line);
  auto state = stat_line.empty() ? 'X' : stat_line[stat_line.rfind(')') + 2];
  CHECK((state == 'X' || state == 'Z'));
}
