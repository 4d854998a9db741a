// Recursive inotify watching (runtime/node/inotify_tree.hpp) against a
// temporary root: the blacklist, new directories, removed directories, the
// watch limit's fallback to periodic scans, and queue overflow.

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>

#include <doctest/doctest.h>

#include "runtime/node/inotify_tree.hpp"
#include "tests/unit/runtime/node/node_fixtures.hpp"

using namespace pact::node;
using pact::blacklist;
using pact::test::temp_root;

namespace {

std::unique_ptr<inotify_tree> open_tree(const temp_root& r,
                                        std::vector<std::string> patterns = {},
                                        size_t max_watches = 0) {
  tree_options o;
  o.root = r.path();
  auto b = blacklist::compile(patterns);
  REQUIRE(b.has_value());
  o.excluded = *b;
  o.max_watches = max_watches;
  auto t = inotify_tree::open(o);
  REQUIRE(t.has_value());
  return std::move(*t);
}

std::set<std::string> walk(inotify_tree& t) {
  std::set<std::string> seen;
  t.walk([&](const std::string& p) { seen.insert(p); });
  return seen;
}

} // namespace

TEST_CASE("walk watches everything but the blacklist") {
  temp_root r;
  r.write("/etc/motd", "hi");
  r.write("/etc/ssh/sshd_config", "x");
  r.write("/var/log/syslog", "noise");
  r.write("/home/a/.bash_history", "ls");
  r.write("/home/a/.profile", "p");
  auto t = open_tree(r, {"/var/log/**", "/home/*/.bash_history"});
  auto seen = walk(*t);
  CHECK(seen
        == std::set<std::string>{"/etc/motd", "/etc/ssh/sshd_config",
                                 "/home/a/.profile"});
  // /, /etc, /etc/ssh, /home, /home/a, /var: /var/log is not watched.
  CHECK(t->watch_count() == 6);
  r.write("/var/log/syslog", "more noise");
  r.write("/home/a/.bash_history", "ls -l");
  r.write("/etc/motd", "changed");
  auto p = t->poll();
  CHECK(p.files == std::set<std::string>{"/etc/motd"});
  CHECK_FALSE(p.overflow);
  CHECK(t->poll().files.empty());
}

TEST_CASE("new directories are watched, with the files already in them") {
  temp_root r;
  r.mkdir("/etc");
  auto t = open_tree(r);
  walk(*t);
  r.write("/etc/new/deep/file", "1");
  auto p = t->poll();
  CHECK(p.files.count("/etc/new/deep/file") == 1);
  r.write("/etc/new/deep/later", "2");
  CHECK(t->poll().files == std::set<std::string>{"/etc/new/deep/later"});
}

TEST_CASE("a removed directory is reported, its watches dropped") {
  temp_root r;
  r.write("/opt/app/conf", "1");
  auto t = open_tree(r);
  walk(*t);
  auto before = t->watch_count();
  std::filesystem::remove_all(r.host("/opt/app"));
  auto p = t->poll();
  CHECK(p.files.count("/opt/app/conf") == 1);
  CHECK(p.gone_dirs.count("/opt/app") == 1);
  CHECK(t->watch_count() == before - 1);
  std::filesystem::rename(r.host("/opt"), r.host("/opt2"));
  auto moved = t->poll();
  CHECK(moved.gone_dirs.count("/opt") == 1);
  r.write("/opt2/x", "1");
  CHECK(t->poll().files == std::set<std::string>{"/opt2/x"});
}

TEST_CASE("a root moved away is lost, its files not reported") {
  // Tester, issue 11: `mv ROOT ROOT.old` left the watches following the
  // directory, and writes there were read as files removed under ROOT.
  temp_root r;
  r.write("/etc/motd", "1");
  auto t = open_tree(r);
  walk(*t);
  CHECK(t->poll().lost_root.empty());
  auto old = r.path() + ".old";
  std::filesystem::rename(r.path(), old);
  { std::ofstream(old + "/etc/motd") << "2"; }
  auto p = t->poll();
  CHECK(p.lost_root == "/");
  CHECK(p.files.empty());
  CHECK(p.gone_dirs.empty());
  // Another directory at the path is not the one watched either.
  std::filesystem::create_directories(r.path());
  CHECK(t->poll().lost_root == "/");
  std::filesystem::remove(r.path());
  // Moved back: the same directory again.
  std::filesystem::rename(old, r.path());
  CHECK(t->poll().lost_root.empty());
}

TEST_CASE("a watch root moved away is lost too") {
  temp_root r;
  r.write("/etc/motd", "1");
  tree_options o;
  o.root = r.path();
  o.watch_roots = {"/etc"};
  auto t = inotify_tree::open(o);
  REQUIRE(t.has_value());
  walk(**t);
  std::filesystem::rename(r.host("/etc"), r.host("/etc.old"));
  CHECK((*t)->poll().lost_root == "/etc");
}

TEST_CASE("at the watch limit the rest falls back to periodic scans") {
  temp_root r;
  r.write("/b/2", "2");
  r.write("/b/c/3", "3");
  r.write("/b/c/d/4", "4");
  // "/" and "/b" get watches; "/b/c" is where the limit is reached.
  auto t = open_tree(r, {}, 2);
  auto seen = walk(*t);
  CHECK(seen == std::set<std::string>{"/b/2", "/b/c/3", "/b/c/d/4"});
  CHECK(t->fallback_roots() == std::set<std::string>{"/b/c"});
  CHECK(t->watch_count() == 2);
  r.write("/b/c/d/4", "changed");
  CHECK(t->poll().files.empty()); // not watched: the periodic scan sees it
  r.write("/b/2", "changed");
  CHECK(t->poll().files == std::set<std::string>{"/b/2"});
  std::set<std::string> scanned;
  t->walk_fallback([&](const std::string& p) { scanned.insert(p); });
  CHECK(scanned == std::set<std::string>{"/b/c/3", "/b/c/d/4"});
}

TEST_CASE("queue overflow is reported and a rescan sees every file") {
  std::ifstream q("/proc/sys/fs/inotify/max_queued_events");
  long max_queued = 0;
  q >> max_queued;
  if (max_queued <= 0 || max_queued > 200000)
    return; // cannot overflow the queue in reasonable time here
  temp_root r(std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp");
  r.mkdir("/spool");
  auto t = open_tree(r);
  walk(*t);
  // Each new file queues IN_CREATE, IN_MODIFY and IN_CLOSE_WRITE.
  long files = max_queued / 2 + 100;
  for (long i = 0; i < files; ++i) {
    auto path = r.host("/spool/f" + std::to_string(i));
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, "x", 1) == 1);
    ::close(fd);
  }
  tree_poll p;
  for (int i = 0; i < 100 && !p.overflow; ++i)
    p = t->poll();
  CHECK(p.overflow);
  std::set<std::string> seen;
  REQUIRE(t->rescan([&](const std::string& f) { seen.insert(f); }));
  CHECK(seen.size() == static_cast<size_t>(files));
  // The fresh instance watches again.
  r.write("/spool/after", "y");
  CHECK(t->poll().files == std::set<std::string>{"/spool/after"});
}

TEST_CASE("notify_readable wakes on an event, once until rearmed, across a "
          "rescan") {
  temp_root r;
  r.write("/etc/motd", "hi");
  auto t = open_tree(r);
  walk(*t);
  std::mutex m;
  std::condition_variable cv;
  int calls = 0;
  auto reach = [&](int want, std::chrono::milliseconds wait) {
    std::unique_lock<std::mutex> lock(m);
    return cv.wait_for(lock, wait, [&] { return calls >= want; });
  };
  REQUIRE(t->notify_readable([&] {
    {
      std::lock_guard<std::mutex> lock(m);
      ++calls;
    }
    cv.notify_all();
  }));
  CHECK(t->notifying());
  CHECK_FALSE(reach(1, std::chrono::milliseconds(100)));
  r.write("/etc/motd", "changed");
  REQUIRE(reach(1, std::chrono::seconds(5)));
  CHECK(t->poll().files == std::set<std::string>{"/etc/motd"});
  t->rearm_notify();
  // A fresh inotify instance (after an overflow) is followed.
  REQUIRE(t->rescan([](const std::string&) {}));
  CHECK(t->notifying());
  r.write("/etc/motd", "again");
  CHECK(reach(2, std::chrono::seconds(5)));
}
