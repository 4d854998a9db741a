// apply_backends: each dimension's backend under a temporary --root; mounts
// and packages recorded, not run, unless --root is / and the agent is root.

#include "runtime/node/apply_backends.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <vector>

#include "runtime/node/scanners.hpp"
#include "tests/unit/runtime/node/boot_test_util.hpp"

using namespace pact::node;
using namespace pact::protocol;
using pact::node::test::temp_root;
using kind = apply_outcome::kind;
using argv_t = std::vector<std::string>;

namespace {

host_settings under(const std::string& root, std::vector<argv_t>* ran,
                    bool privileged = false) {
  host_settings h;
  h.root = root;
  h.privileged = privileged;
  h.package_manager = "apt-get";
  h.run = [ran](const argv_t& argv) -> pact::status {
    ran->push_back(argv);
    return {};
  };
  return h;
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

} // namespace

TEST_CASE("sysctl writes /proc/sys under the root; bad names are refused") {
  temp_root r;
  std::vector<argv_t> ran;
  auto b = make_backends(under(r.path, &ran));
  auto& k = *b[DELTA_CATEGORY_KERNEL];
  auto o = k.apply("vm.swappiness", "10");
  CHECK(o.k == kind::applied);
  CHECK(r.read("/proc/sys/vm/swappiness") == "10\n");
  CHECK(k.apply("net.ipv4.ip_forward", "1").k == kind::applied);
  CHECK(r.read("/proc/sys/net/ipv4/ip_forward") == "1\n");
  for (const char* bad : {"", "vm/../../etc", "..vm", "vm.", ".vm", "a..b"}) {
    CAPTURE(bad);
    auto f = k.apply(bad, "1");
    CHECK(f.k == kind::failed);
    CHECK(f.detail.find("sysctl key") != std::string::npos);
  }
  CHECK(*sysctl_path("/", "vm.swappiness") == "/proc/sys/vm/swappiness");
}

TEST_CASE("under --root / an unknown kernel parameter is an error, not a new "
          "file") {
  std::vector<argv_t> ran;
  auto b = make_backends(under("/", &ran));
  auto o = b[DELTA_CATEGORY_KERNEL]->apply("pact.no_such_parameter", "1");
  CHECK(o.k == kind::failed);
  CHECK(o.detail.find("/proc/sys/pact/no_such_parameter") != std::string::npos);
}

TEST_CASE("files are written with content and mode under the root") {
  temp_root r;
  std::vector<argv_t> ran;
  auto b = make_backends(under(r.path, &ran));
  auto& f = *b[DELTA_CATEGORY_FILES];
  auto o = f.apply("/etc/motd", R"({"content":"hello\n","group":"root",)"
                                R"("mode":"0640","owner":"root"})");
  CHECK(o.k == kind::applied);
  CHECK(r.read("/etc/motd") == "hello\n");
  CHECK(mode_of(r.path + "/etc/motd") == 0640);
  // Unprivileged, the owner is left alone and the detail says so.
  CHECK(o.detail.find("left as is") != std::string::npos);
  // Rewriting replaces the content and mode.
  CHECK(f.apply("/etc/motd", R"({"content":"","mode":"0600"})").k
        == kind::applied);
  CHECK(r.read("/etc/motd").empty());
  CHECK(mode_of(r.path + "/etc/motd") == 0600);
  for (const char* bad : {"etc/x", "/etc/../../x", "/./x", "/a/.."}) {
    CAPTURE(bad);
    CHECK(f.apply(bad, R"({"content":"x"})").k == kind::failed);
  }
  CHECK(f.apply("/etc/x", "not json").k == kind::failed);
  CHECK(f.apply("/etc/x", R"({"content":"x","mode":"9z"})").k == kind::failed);
}

TEST_CASE("a privileged agent sets the declared owner; an unknown one fails") {
  temp_root r;
  std::vector<argv_t> ran;
  auto b = make_backends(under(r.path, &ran, true));
  auto& f = *b[DELTA_CATEGORY_FILES];
  auto o = f.apply("/etc/x", R"({"content":"x","owner":"no-such-user-pact",)"
                             R"("group":"root","mode":"0644"})");
  CHECK(o.k == kind::failed);
  CHECK(o.detail.find("unknown user 'no-such-user-pact'") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(r.path + "/etc/x")); // nothing written
}

TEST_CASE("no backend writes through a symlink out of the root") {
  temp_root r;
  temp_root outside; // the host beyond --root
  std::vector<argv_t> ran;
  auto b = make_backends(under(r.path, &ran));
  std::filesystem::create_directories(r.path + "/proc/sys");
  std::filesystem::create_directories(r.path + "/run");
  std::filesystem::create_directories(r.path + "/etc");
  std::filesystem::create_symlink(outside.path, r.path + "/proc/sys/vm");
  std::filesystem::create_symlink(outside.path, r.path + "/run/pact");
  std::filesystem::create_symlink(outside.path, r.path + "/etc/app");
  // A link at the item itself: replaced (files) or refused (sysctl).
  std::filesystem::create_directories(r.path + "/proc/sys/kernel");
  std::filesystem::create_symlink(outside.path + "/victim",
                                  r.path + "/proc/sys/kernel/pid_max");

  CHECK(b[DELTA_CATEGORY_KERNEL]->apply("vm.swappiness", "10").k
        == kind::applied);
  CHECK(b[DELTA_CATEGORY_KERNEL]->apply("kernel.pid_max", "1").k
        == kind::failed);
  CHECK(
    b[DELTA_CATEGORY_FILES]->apply("/etc/app/x.conf", R"({"content":"x"})").k
    == kind::applied);
  auto& n = *b[DELTA_CATEGORY_NETWORK];
  CHECK(n.apply("mtu", "9000").k == kind::applied);
  CHECK(n.finish().k == kind::applied);
  // Absolute targets resolve from the root, as under chroot.
  CHECK(std::filesystem::is_empty(outside.path));
  CHECK(r.read(outside.path + "/swappiness") == "10\n");
  CHECK(r.read(outside.path + "/x.conf") == "x");
  CHECK(r.read(outside.path + "/network.json").find("9000")
        != std::string::npos);
}

TEST_CASE("network.json is written afresh by each round") {
  temp_root r;
  std::vector<argv_t> ran;
  auto b = make_backends(under(r.path, &ran));
  auto& n = *b[DELTA_CATEGORY_NETWORK];
  CHECK(n.apply("mtu", "9000").k == kind::applied);
  CHECK(n.finish().k == kind::applied);
  CHECK(n.apply("bond0", R"({"mode":"802.3ad"})").k == kind::applied);
  CHECK(n.finish().k == kind::applied);
  CHECK(r.read("/run/pact/network.json").find("mtu") == std::string::npos);
}

TEST_CASE("a mount is unmounted through the mount backend, recorded unless "
          "real") {
  std::vector<argv_t> ran;
  temp_root r;
  auto recorded = make_backends(under(r.path, &ran));
  auto o = recorded[DELTA_CATEGORY_MOUNTS]->remove("/scratch");
  CHECK(o.k == kind::recorded);
  CHECK(o.detail == "would unmount /scratch");
  auto real = make_backends(under("/", &ran, true));
  o = real[DELTA_CATEGORY_MOUNTS]->remove("/scratch");
  CHECK(o.k == kind::applied);
  REQUIRE(ran.size() == 1);
  CHECK(ran[0] == argv_t{"umount", "/scratch"});
  CHECK(real[DELTA_CATEGORY_MOUNTS]->remove("scratch").k == kind::failed);
}

TEST_CASE("network settings gather into one JSON file under the root") {
  temp_root r;
  std::vector<argv_t> ran;
  auto b = make_backends(under(r.path, &ran));
  auto& n = *b[DELTA_CATEGORY_NETWORK];
  CHECK(n.apply("mtu", "9000").k == kind::applied);
  CHECK(n.apply("bond0", R"({"mode":"802.3ad"})").k == kind::applied);
  CHECK(n.apply("x", "{oops").k == kind::failed);
  CHECK(n.finish().k == kind::applied);
  auto text = r.read("/run/pact/network.json");
  CHECK(text.find("\"mtu\": 9000") != std::string::npos);
  CHECK(text.find("802.3ad") != std::string::npos);
}

TEST_CASE("mounts and packages are recorded, never run, under another root "
          "or without privileges") {
  temp_root r;
  for (auto [root, privileged] :
       {std::pair{r.path, true}, std::pair{std::string("/"), false}}) {
    std::vector<argv_t> ran;
    auto b = make_backends(under(root, &ran, privileged));
    auto m = b[DELTA_CATEGORY_MOUNTS]->apply(
      "/scratch", R"({"options":"vers=4","read_only":true,)"
                  R"("source":"storage01:/scratch","type":"nfs"})");
    CHECK(m.k == kind::recorded);
    CHECK(m.detail
          == "would mount nfs storage01:/scratch on /scratch read-only "
             "(options vers=4)");
    auto p = b[DELTA_CATEGORY_PACKAGES]->apply("cuda", "\"12.4\"");
    CHECK(p.k == kind::recorded);
    CHECK(p.detail == "would install package cuda 12.4");
    CHECK(ran.empty());
  }
}

TEST_CASE("with --root / and privileges the real commands run") {
  std::vector<argv_t> ran;
  auto h = under("/", &ran, true);
  CHECK(acts_on_host(h));
  auto b = make_backends(h);
  auto p = b[DELTA_CATEGORY_PACKAGES]->apply("cuda", "\"12.4\"");
  CHECK(p.k == kind::applied);
  REQUIRE(ran.size() == 1);
  CHECK(ran[0]
        == argv_t{"apt-get", "install", "-y", "--no-install-recommends",
                  "cuda=12.4"});
  // A failing command is a failed item naming it.
  h.run = [](const argv_t&) -> pact::status {
    return pact::make_error("apt-get exited with status 100");
  };
  auto failing = make_backends(h);
  auto f = failing[DELTA_CATEGORY_PACKAGES]->apply("cuda", "\"latest\"");
  CHECK(f.k == kind::failed);
  CHECK(f.detail == "install package cuda: apt-get exited with status 100");
}

TEST_CASE("the mount and package command lines") {
  CHECK(*mount_argv("/scratch", R"({"read_only":false,"source":"s:/x",)"
                                R"("type":"nfs"})")
        == argv_t{"mount", "-t", "nfs", "s:/x", "/scratch"});
  CHECK(*mount_argv("/ro", R"({"read_only":true,"source":"/dev/sdb1",)"
                           R"("type":"xfs"})")
        == argv_t{"mount", "-t", "xfs", "-o", "ro", "/dev/sdb1", "/ro"});
  CHECK_FALSE(mount_argv("scratch", R"({"source":"s","type":"nfs"})"));
  CHECK_FALSE(mount_argv("/x", R"({"type":"nfs"})"));
  CHECK_FALSE(mount_argv("/x", "[]"));
  CHECK(*package_argv("dnf", "cuda", "\"12.4\"")
        == argv_t{"dnf", "install", "-y", "cuda-12.4"});
  CHECK(
    *package_argv("apt-get", "vim", "true")
    == argv_t{"apt-get", "install", "-y", "--no-install-recommends", "vim"});
  for (const char* bad : {"", "-rf", "a b", "a=b"})
    CHECK_FALSE(package_argv("apt-get", bad, "true"));
}

TEST_CASE("the spawn runner reports exit statuses") {
  auto run = spawn_runner();
  CHECK(run({"true"}));
  auto f = run({"false"});
  REQUIRE_FALSE(f);
  CHECK(f.err().message == "false exited with status 1");
  auto said = run({"sh", "-c", "echo boom >&2; exit 3"});
  REQUIRE_FALSE(said);
  CHECK(said.err().message == "sh exited with status 3: boom");
  auto missing = run({"/nonexistent/pact-tool"});
  REQUIRE_FALSE(missing);
  CHECK(missing.err().message.find("cannot run /nonexistent/pact-tool")
        != std::string::npos);
}
