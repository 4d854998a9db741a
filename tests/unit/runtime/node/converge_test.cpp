// Converging drifted items back (runtime/node/converge.hpp): every item gets
// an outcome, files and sysctl keys are written under the root, what cannot
// be restored is named with the reason.

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <doctest/doctest.h>

#include "runtime/common/files.hpp"
#include "runtime/node/converge.hpp"
#include "tests/unit/runtime/node/node_fixtures.hpp"

using namespace pact;
using namespace pact::node;
using pact::test::temp_root;

namespace {

constexpr auto files_dim = protocol::DELTA_CATEGORY_FILES;
constexpr auto kernel_dim = protocol::DELTA_CATEGORY_KERNEL;
constexpr auto mounts_dim = protocol::DELTA_CATEGORY_MOUNTS;

drift_item drifted(int cat, const std::string& key, item_value expected,
                   item_value actual, bool from_journal = false) {
  return {{cat, key}, std::move(expected), std::move(actual), from_journal, 1};
}

backend_map backends_for(const temp_root& r) {
  host_settings h;
  h.root = r.path();
  h.run = [](const std::vector<std::string>&) -> status {
    FAIL("a recording backend runs nothing");
    return {};
  };
  return make_backends(h);
}

std::string read(const temp_root& r, const std::string& p) {
  auto c = files::read_all(r.host(p));
  REQUIRE(c);
  return *c;
}

unsigned mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

} // namespace

TEST_CASE("baseline content is written back with the file's mode kept") {
  temp_root r;
  r.write("/etc/motd", "changed\n");
  REQUIRE(::chmod(r.host("/etc/motd").c_str(), 0600) == 0);
  auto b = backends_for(r);
  auto out
    = converge({drifted(files_dim, "/etc/motd", item_value::of("hello\n"),
                        item_value::of("changed\n"))},
               {}, b);
  REQUIRE(out.size() == 1);
  CHECK(out[0].restored);
  CHECK(read(r, "/etc/motd") == "hello\n");
  CHECK(mode_of(r.host("/etc/motd")) == 0600);
}

TEST_CASE("a file declared by the journal is applied as declared") {
  temp_root r;
  r.write("/etc/app.conf", "local\n");
  auto b = backends_for(r);
  declared_values declared{{{files_dim, "/etc/app.conf"},
                            R"({"content":"declared\n","mode":"0640"})"}};
  auto out = converge({drifted(files_dim, "/etc/app.conf",
                               item_value::of("declared\n"),
                               item_value::of("local\n"), true)},
                      declared, b);
  REQUIRE(out.size() == 1);
  CHECK(out[0].restored);
  CHECK(read(r, "/etc/app.conf") == "declared\n");
  CHECK(mode_of(r.host("/etc/app.conf")) == 0640);
}

TEST_CASE("a file that appeared after the baseline is removed") {
  temp_root r;
  r.write("/etc/extra", "x");
  auto b = backends_for(r);
  auto out = converge({drifted(files_dim, "/etc/extra", item_value::absent(),
                               item_value::of("x"))},
                      {}, b);
  REQUIRE(out.size() == 1);
  CHECK(out[0].restored);
  CHECK_FALSE(files::exists(r.host("/etc/extra")));
  // Gone already: still restored (the goal holds).
  auto again = converge({drifted(files_dim, "/etc/extra", item_value::absent(),
                                 item_value::of("x"))},
                        {}, b);
  CHECK(again[0].restored);
}

TEST_CASE("a symlink from the baseline is linked again") {
  temp_root r;
  r.write("/etc/localtime", "not a link");
  auto b = backends_for(r);
  auto out
    = converge({drifted(files_dim, "/etc/localtime",
                        item_value::of("symlink:/usr/share/zoneinfo/UTC"),
                        item_value::of("not a link"))},
               {}, b);
  REQUIRE(out[0].restored);
  CHECK(std::filesystem::read_symlink(r.host("/etc/localtime"))
        == "/usr/share/zoneinfo/UTC");
}

TEST_CASE("a file replaced by a directory is restored in its place") {
  temp_root r;
  r.mkdir("/etc/app.conf"); // rm app.conf; mkdir app.conf
  auto b = backends_for(r);
  const drift_item gone = drifted(files_dim, "/etc/app.conf",
                                  item_value::of("threads = 4\n"),
                                  item_value::absent());

  SUBCASE("an empty directory (or a tree of empty ones) is removed") {
    r.mkdir("/etc/app.conf/sub/deeper");
    auto out = converge({gone}, {}, b);
    REQUIRE(out.size() == 1);
    INFO(out[0].detail);
    CHECK(out[0].restored);
    CHECK(read(r, "/etc/app.conf") == "threads = 4\n");
  }
  SUBCASE("files the drift found in it go first, then the directory") {
    r.write("/etc/app.conf/new", "x");
    r.write("/etc/app.conf/sub/newer", "y");
    auto out = converge({gone,
                         drifted(files_dim, "/etc/app.conf/new",
                                 item_value::absent(), item_value::of("x")),
                         drifted(files_dim, "/etc/app.conf/sub/newer",
                                 item_value::absent(), item_value::of("y"))},
                        {}, b);
    REQUIRE(out.size() == 3);
    // Removals first, deepest first, then the write that needs the place.
    CHECK(out[0].item.id.second == "/etc/app.conf/sub/newer");
    CHECK(out[1].item.id.second == "/etc/app.conf/new");
    CHECK(out[2].item.id.second == "/etc/app.conf");
    for (const auto& c : out) {
      INFO(c.detail);
      CHECK(c.restored);
    }
    CHECK(read(r, "/etc/app.conf") == "threads = 4\n");
  }
  SUBCASE("a directory holding a file pact does not know is left alone") {
    r.write("/etc/app.conf/precious", "keep me");
    auto out = converge({gone}, {}, b);
    REQUIRE(out.size() == 1);
    CHECK_FALSE(out[0].restored);
    CHECK(out[0].detail.find("/etc/app.conf/precious") != std::string::npos);
    CHECK(out[0].detail.find("move it away by hand") != std::string::npos);
    CHECK(read(r, "/etc/app.conf/precious") == "keep me");
    // No temporary is left beside it.
    for (const auto& e : std::filesystem::directory_iterator(r.host("/etc")))
      CHECK(e.path().filename() == "app.conf");
  }
  SUBCASE("declared by the journal: the same") {
    declared_values declared{{{files_dim, "/etc/app.conf"},
                              R"({"content":"declared\n","mode":"0640"})"}};
    auto out = converge({drifted(files_dim, "/etc/app.conf",
                                 item_value::of("declared\n"),
                                 item_value::absent(), true)},
                        declared, b);
    REQUIRE(out[0].restored);
    CHECK(read(r, "/etc/app.conf") == "declared\n");
    CHECK(mode_of(r.host("/etc/app.conf")) == 0640);
  }
  SUBCASE("a symlink back where the directory is") {
    auto out = converge({drifted(files_dim, "/etc/app.conf",
                                 item_value::of("symlink:/opt/app.conf"),
                                 item_value::absent())},
                        {}, b);
    REQUIRE(out[0].restored);
    CHECK(std::filesystem::read_symlink(r.host("/etc/app.conf"))
          == "/opt/app.conf");
  }
}

TEST_CASE("a FIFO or a symlink in a file's place is replaced, never "
          "written through") {
  temp_root r;
  temp_root outside; // stands for the host beyond --root
  outside.write("/victim", "untouched");
  r.mkdir("/etc");
  REQUIRE(::mkfifo(r.host("/etc/fifo").c_str(), 0644) == 0);
  std::filesystem::create_symlink(outside.host("/victim"), r.host("/etc/link"));
  auto b = backends_for(r);
  auto out
    = converge({drifted(files_dim, "/etc/fifo", item_value::of("a\n"),
                        item_value::absent()),
                drifted(files_dim, "/etc/link", item_value::of("b\n"),
                        item_value::of("symlink:" + outside.host("/victim")))},
               {}, b);
  REQUIRE(out.size() == 2);
  CHECK(out[0].restored);
  CHECK(out[1].restored);
  CHECK(read(r, "/etc/fifo") == "a\n");
  CHECK(read(r, "/etc/link") == "b\n");
  CHECK(std::filesystem::is_regular_file(
    std::filesystem::symlink_status(r.host("/etc/link"))));
  CHECK(read(outside, "/victim") == "untouched");
}

TEST_CASE("a parent directory replaced by a symlink never leads a write "
          "out of the root") {
  temp_root r;
  temp_root outside;
  r.mkdir("/etc");
  auto b = backends_for(r);
  const drift_item conf = drifted(files_dim, "/etc/app/app.conf",
                                  item_value::of("threads = 4\n"),
                                  item_value::absent());

  SUBCASE("the symlink drifted too: it goes, the directory comes back") {
    std::filesystem::create_symlink(outside.path(), r.host("/etc/app"));
    auto out
      = converge({conf, drifted(files_dim, "/etc/app", item_value::absent(),
                                item_value::of("symlink:" + outside.path()))},
                 {}, b);
    REQUIRE(out.size() == 2);
    CHECK(out[0].item.id.second == "/etc/app"); // the removal first
    CHECK(out[0].restored);
    INFO(out[1].detail);
    CHECK(out[1].restored);
    CHECK(std::filesystem::is_directory(
      std::filesystem::symlink_status(r.host("/etc/app"))));
    CHECK(read(r, "/etc/app/app.conf") == "threads = 4\n");
    CHECK(std::filesystem::is_empty(outside.path()));
  }
  SUBCASE("alone: it resolves inside the root, as under chroot") {
    // Absolute: from the root; relative: '..' stops at the root.
    std::filesystem::create_symlink(outside.path(), r.host("/etc/app"));
    std::filesystem::create_symlink("../../../../../../../..",
                                    r.host("/etc/up"));
    auto out
      = converge({conf, drifted(files_dim, "/etc/up" + outside.path() + "/x",
                                item_value::of("x\n"), item_value::absent())},
                 {}, b);
    REQUIRE(out.size() == 2);
    CHECK(out[0].restored);
    CHECK(out[1].restored);
    CHECK(std::filesystem::is_empty(outside.path()));
    CHECK(read(r, outside.path() + "/app.conf") == "threads = 4\n");
    CHECK(read(r, outside.path() + "/x") == "x\n");
  }
}

TEST_CASE("a directory replaced by a file gets its files back") {
  temp_root r;
  r.write("/etc/app", "a file now\n"); // rm -r app; echo > app
  auto b = backends_for(r);
  auto out = converge({drifted(files_dim, "/etc/app/b.conf",
                               item_value::of("b\n"), item_value::absent()),
                       drifted(files_dim, "/etc/app", item_value::absent(),
                               item_value::of("a file now\n")),
                       drifted(files_dim, "/etc/app/a.conf",
                               item_value::of("a\n"), item_value::absent())},
                      {}, b);
  REQUIRE(out.size() == 3);
  CHECK(out[0].item.id.second == "/etc/app");
  for (const auto& c : out) {
    INFO(c.detail);
    CHECK(c.restored);
  }
  CHECK(read(r, "/etc/app/a.conf") == "a\n");
  CHECK(read(r, "/etc/app/b.conf") == "b\n");
}

TEST_CASE("what cannot be restored is named with the reason") {
  temp_root r;
  r.write("/var/big", "changed");
  auto b = backends_for(r);
  std::vector<drift_item> items{
    drifted(files_dim, "/var/big", item_value::of("sha256:00ff"),
            item_value::of("changed")),
    drifted(kernel_dim, "module:nvidia", item_value::absent(),
            item_value::of("loaded")),
    drifted(kernel_dim, "vm.extra", item_value::absent(), item_value::of("1")),
    drifted(mounts_dim, "/scratch", item_value::absent(),
            item_value::of(R"({"type":"tmpfs"})")),
    drifted(mounts_dim, "/data",
            item_value::of(R"({"source":"nfs:/d","type":"nfs"})"),
            item_value::absent(), true),
    drifted(protocol::DELTA_CATEGORY_PACKAGES, "vim", item_value::of("1"),
            item_value::absent()),
  };
  auto out = converge(items, {}, b);
  REQUIRE(out.size() == items.size());
  for (const auto& c : out)
    CHECK_FALSE(c.restored);
  // Kernel, then mounts, then files (the boot's order).
  CHECK(out[0].item.id.second == "module:nvidia");
  CHECK(out[0].detail.find("modprobe") != std::string::npos);
  CHECK(out[1].detail.find("cannot be unset") != std::string::npos);
  CHECK(out[2].detail.find("not unmounted") != std::string::npos);
  CHECK(out[3].detail.find("would mount nfs nfs:/d on /data")
        != std::string::npos);
  CHECK(out[4].item.id.second == "/var/big");
  CHECK(out[4].detail.find("held only as a hash") != std::string::npos);
  CHECK(read(r, "/var/big") == "changed");
  auto msg = converge_message("converged", out);
  CHECK(msg.find("converged: restored 0 item(s); not restored: ")
        != std::string::npos);
  CHECK(msg.find("files:/var/big (held only as a hash") != std::string::npos);
  CHECK(msg.find("(+1 more)") != std::string::npos);
  CHECK(converge_delta(out).items_size() == 0);
}

TEST_CASE("sysctl keys are written back; the delta reverses the drift") {
  temp_root r;
  r.write("/proc/sys/vm/swappiness", "10\n");
  auto b = backends_for(r);
  auto out = converge({drifted(kernel_dim, "vm.swappiness",
                               item_value::of("60"), item_value::of("10"))},
                      {}, b);
  REQUIRE(out[0].restored);
  CHECK(read(r, "/proc/sys/vm/swappiness") == "60\n");
  auto delta = converge_delta(out);
  REQUIRE(delta.items_size() == 1);
  CHECK(delta.items(0).action() == protocol::DELTA_ACTION_MODIFY);
  CHECK(delta.items(0).value() == "60");
  CHECK(delta.items(0).previous() == "10");
  CHECK(converge_message("why", out)
        == "why: restored 1 item(s): kernel:vm.swappiness");
}

TEST_CASE("network, packages and services converge through the boot's "
          "backends") {
  temp_root r;
  r.write("/run/pact/network.json", "{\"mtu\": 1500}\n");
  auto b = backends_for(r);
  constexpr auto network = protocol::DELTA_CATEGORY_NETWORK;
  constexpr auto packages = protocol::DELTA_CATEGORY_PACKAGES;
  constexpr auto services = protocol::DELTA_CATEGORY_SERVICES;
  declared_values declared{{{network, "mtu"}, "9000"},
                           {{network, "bond0"}, R"({"mode":"802.3ad"})"},
                           {{packages, "vim"}, R"("9.0")"},
                           {{services, "slurmd"}, R"({"binary":"/x"})"}};
  auto out = converge({drifted(network, "mtu", item_value::of("9000"),
                               item_value::of("1500"), true),
                       drifted(packages, "vim", item_value::of(R"("9.0")"),
                               item_value::absent(), true),
                       drifted(services, "slurmd",
                               item_value::of(R"({"binary":"/x"})"),
                               item_value::absent(), true)},
                      declared, b);
  REQUIRE(out.size() == 3);
  // The one network file holds every declared setting again.
  CHECK(out[0].restored);
  auto net = read(r, "/run/pact/network.json");
  CHECK(net.find("\"mtu\": 9000") != std::string::npos);
  CHECK(net.find("802.3ad") != std::string::npos);
  // Not root under a temporary root: the install is recorded.
  CHECK_FALSE(out[1].restored);
  CHECK(out[1].detail == "would install package vim 9.0");
  CHECK_FALSE(out[2].restored);
  CHECK(out[2].detail.find("service supervisor") != std::string::npos);
}

TEST_CASE("index_declared keys the journal's items") {
  std::vector<protocol::DeltaItem> items(1);
  items[0].set_category(files_dim);
  items[0].set_key("/etc/a");
  items[0].set_value("{}");
  auto idx = index_declared(items);
  REQUIRE(idx.count({files_dim, "/etc/a"}) == 1);
  CHECK(idx.at({files_dim, "/etc/a"}) == "{}");
}
