// Blacklist globs (runtime/common/path_glob.hpp): the troubleshooting guide's
// default patterns, `**`, per-segment `*`, subtree coverage and bad globs.

#include <doctest/doctest.h>

#include "runtime/common/path_glob.hpp"

using pact::blacklist;
using pact::path_glob;

namespace {

path_glob glob(const std::string& p) {
  auto g = path_glob::compile(p);
  REQUIRE(g.has_value());
  return *g;
}

std::string refusal(const std::string& p) {
  auto g = path_glob::compile(p);
  REQUIRE_FALSE(g.has_value());
  return g.err().message;
}

} // namespace

TEST_CASE("'**' matches zero or more whole segments") {
  auto g = glob("/var/log/**");
  CHECK(g.matches("/var/log"));
  CHECK(g.matches("/var/log/syslog"));
  CHECK(g.matches("/var/log/nginx/access.log"));
  CHECK_FALSE(g.matches("/var/logs/x"));
  CHECK_FALSE(g.matches("/var"));
  auto mid = glob("/opt/**/cache");
  CHECK(mid.matches("/opt/cache"));
  CHECK(mid.matches("/opt/a/b/cache"));
  CHECK_FALSE(mid.matches("/opt/a/b/cache/x"));
}

TEST_CASE("'*' stays within one segment and matches hidden names") {
  auto g = glob("/home/*/.bash_history");
  CHECK(g.matches("/home/alice/.bash_history"));
  CHECK(g.matches("/home/.hidden/.bash_history"));
  CHECK_FALSE(g.matches("/home/alice/sub/.bash_history"));
  CHECK_FALSE(g.matches("/home/.bash_history"));
  auto cls = glob("/etc/[ab]?.conf");
  CHECK(cls.matches("/etc/a1.conf"));
  CHECK_FALSE(cls.matches("/etc/c1.conf"));
}

TEST_CASE("covers_subtree: only a trailing '**' covers a directory") {
  CHECK(glob("/tmp/**").covers_subtree("/tmp"));
  CHECK(glob("/tmp/**").covers_subtree("/tmp/a/b"));
  CHECK_FALSE(glob("/tmp/**").covers_subtree("/"));
  CHECK(glob("/run/*/**").covers_subtree("/run/user"));
  CHECK_FALSE(glob("/run/*/**").covers_subtree("/run"));
  // Matches /home/x but not what lies below it.
  CHECK_FALSE(glob("/home/*").covers_subtree("/home/x"));
  CHECK_FALSE(glob("/opt/**/cache").covers_subtree("/opt"));
  CHECK(glob("/**").covers_subtree("/"));
}

TEST_CASE("the guide's default blacklist") {
  auto b = blacklist::compile({"/tmp/**", "/var/log/**", "/proc/**", "/sys/**",
                               "/dev/**", "/run/user/**", "/run/pact/**",
                               "/run/lattice/**"});
  REQUIRE(b.has_value());
  CHECK(b->excludes("/proc/sys/vm/swappiness"));
  CHECK(b->excludes_subtree("/run/user/1000"));
  CHECK_FALSE(b->excludes("/run/other"));
  CHECK_FALSE(b->excludes("/etc/motd"));
  CHECK_FALSE(b->excludes_subtree("/run"));
}

TEST_CASE("exclude_tree takes the directory literally") {
  blacklist b;
  b.exclude_tree("/var/lib/pact[1]/");
  CHECK(b.excludes("/var/lib/pact[1]/state.mdb"));
  CHECK(b.excludes_subtree("/var/lib/pact[1]"));
  CHECK_FALSE(b.excludes("/var/lib/pact1/state.mdb"));
  blacklist doubled;
  doubled.exclude_tree("/var//lib/x");
  CHECK(doubled.excludes("/var/lib/x/y"));
}

TEST_CASE("bad globs are refused with the pattern named") {
  CHECK(refusal("") == "blacklist pattern is empty");
  CHECK(refusal("var/log/**")
        == "blacklist pattern 'var/log/**' is not an absolute path (it must "
           "start with '/')");
  CHECK(refusal("/var/**log").find("'**' inside a segment")
        != std::string::npos);
  CHECK(refusal("/var/[ab").find("unclosed '['") != std::string::npos);
  CHECK(refusal("/var//log").find("empty path segment") != std::string::npos);
  CHECK(refusal("/var/../etc").find("'..'") != std::string::npos);
  CHECK(refusal("/var/x\\").find("lone backslash") != std::string::npos);
  // A ']' first in a set is a literal, not the end of the set.
  CHECK(path_glob::compile("/etc/[]x]").has_value());
  CHECK(path_glob::compile("/var/cache/").has_value());
  auto set = blacklist::compile({"/tmp/**", "relative"});
  REQUIRE_FALSE(set.has_value());
  CHECK(set.err().message.find("'relative'") != std::string::npos);
}
