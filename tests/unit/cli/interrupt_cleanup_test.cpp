// unlink_on_signal: an export interrupted by SIGINT, SIGTERM or SIGHUP
// leaves no FILE.tmp (which would block the next export) and still dies of
// the signal. Each case runs in a child process, which the signal ends.

#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "cli/interrupt_cleanup.hpp"
#include "runtime/common/files.hpp"
#include "runtime/common/staged_file.hpp"

namespace fs = std::filesystem;
using pact::cli::unlink_on_signal;

namespace {

/// A fresh directory for one case.
std::string scratch() {
  char tmpl[] = "/tmp/pact-interrupt-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  return tmpl;
}

/// In a child: stages `path` as an export does, arms the cleanup when
/// `armed`, then receives `sig` mid-write. The child's wait status.
int interrupted_export(const std::string& path, int sig, bool armed,
                       bool ignore_first = false) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // The child must die of the signal as pact would, not through the
    // test framework's own handlers.
    for (int s : unlink_on_signal::signals)
      std::signal(s, ignore_first && s == sig ? SIG_IGN : SIG_DFL);
    unlink_on_signal cleanup;
    auto f = pact::files::staged_file::create(path);
    if (!f)
      std::_Exit(90);
    if (armed)
      cleanup.arm(path + ".tmp");
    if (!(*f)->write("{\"format\":\"pact-journal-export\"}\n"))
      std::_Exit(91);
    std::raise(sig);
    std::_Exit(0); // Reached only when the signal is ignored.
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return status;
}

} // namespace

TEST_CASE("an interrupted export removes FILE.tmp and dies of the signal") {
  auto dir = scratch();
  for (int sig : unlink_on_signal::signals) {
    CAPTURE(sig);
    auto path = dir + "/journal-" + std::to_string(sig) + ".jsonl";
    int status = interrupted_export(path, sig, true);
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == sig);
    CHECK_FALSE(fs::exists(path + ".tmp"));
    CHECK_FALSE(fs::exists(path));
    // The next export is not blocked.
    auto again = pact::files::staged_file::create(path);
    CHECK(again);
  }
  fs::remove_all(dir);
}

TEST_CASE("without the cleanup the staging file is left behind") {
  // What the cleanup prevents: the signal skips every destructor.
  auto dir = scratch();
  auto path = dir + "/journal.jsonl";
  int status = interrupted_export(path, SIGINT, false);
  REQUIRE(WIFSIGNALED(status));
  CHECK(fs::exists(path + ".tmp"));
  fs::remove_all(dir);
}

TEST_CASE("an ignored signal stays ignored") {
  // nohup pact log --export FILE: a hangup neither ends the export nor
  // removes its file.
  auto dir = scratch();
  auto path = dir + "/journal.jsonl";
  int status = interrupted_export(path, SIGHUP, true, true);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  fs::remove_all(dir);
}

TEST_CASE("the previous dispositions come back when it goes") {
  struct sigaction before = {};
  REQUIRE(::sigaction(SIGTERM, nullptr, &before) == 0);
  {
    unlink_on_signal cleanup;
    cleanup.arm("/nonexistent/x.tmp");
    struct sigaction during = {};
    REQUIRE(::sigaction(SIGTERM, nullptr, &during) == 0);
    CHECK((during.sa_handler != before.sa_handler));
  }
  struct sigaction after = {};
  REQUIRE(::sigaction(SIGTERM, nullptr, &after) == 0);
  CHECK((after.sa_handler == before.sa_handler));
  // A second one may arm once the first is gone.
  unlink_on_signal next;
  next.arm("/nonexistent/y.tmp");
}
