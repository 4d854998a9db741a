// Periodic scanners (runtime/node/scanners.hpp) over fixtures under a
// temporary root standing in for /proc.

#include <doctest/doctest.h>

#include "runtime/node/scanners.hpp"
#include "tests/unit/runtime/node/node_fixtures.hpp"

using namespace pact;
using namespace pact::node;
using pact::test::temp_root;

namespace {
constexpr auto kernel = protocol::DELTA_CATEGORY_KERNEL;
constexpr auto mounts = protocol::DELTA_CATEGORY_MOUNTS;
} // namespace

TEST_CASE("sysctl keys map into /proc/sys under the root, never out of it") {
  CHECK(*sysctl_path("/r", "vm.nr_hugepages") == "/r/proc/sys/vm/nr_hugepages");
  CHECK(*sysctl_path("/", "vm.swappiness") == "/proc/sys/vm/swappiness");
  CHECK(*sysctl_path("/r", "net/ipv4/conf/eth0.100/rp_filter")
        == "/r/proc/sys/net/ipv4/conf/eth0.100/rp_filter");
  CHECK_FALSE(sysctl_path("/r", "").has_value());
  CHECK_FALSE(sysctl_path("/r", "vm..x").has_value());
  CHECK_FALSE(sysctl_path("/r", "../../etc/shadow").has_value());
  CHECK_FALSE(sysctl_path("/r", "vm.x.").has_value());
  auto bad = sysctl_path("/r", "vm swappiness");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.err().message.find("'vm swappiness'") != std::string::npos);
}

TEST_CASE("scan_sysctl reads declared and configured keys") {
  temp_root r;
  r.write("/proc/sys/vm/swappiness", "60\n");
  r.write("/proc/sys/net/ipv4/tcp_rmem", "4096\t131072\t6291456\n");
  auto got = scan_sysctl(r.path(), {"vm.swappiness", "net.ipv4.tcp_rmem",
                                    "vm.missing", "bad key"});
  CHECK(got.size() == 2);
  CHECK(got[{kernel, "vm.swappiness"}] == item_value::of("60"));
  CHECK(got[{kernel, "net.ipv4.tcp_rmem"}]
        == item_value::of("4096\t131072\t6291456"));
}

TEST_CASE("mount table parsing") {
  auto m = parse_mounts("proc /proc proc rw,nosuid 0 0\n"
                        "storage01:/scratch /scratch nfs4 ro,vers=4.2 0 0\n"
                        "/dev/sda1 /mnt/with\\040space ext4 rw 0 0\n"
                        "garbage\n"
                        "tmpfs /scratch tmpfs rw 0 0\n");
  CHECK(m.size() == 3);
  CHECK(m[{mounts, "/mnt/with space"}].present);
  // The later mount on /scratch is the one in effect.
  CHECK(
    m[{mounts, "/scratch"}].value
    == R"({"options":"rw","read_only":false,"source":"tmpfs","type":"tmpfs"})");
  auto ro = parse_mounts("s:/x /x nfs ro,vers=4.2 0 0\n");
  CHECK(
    ro[{mounts, "/x"}].value
    == R"({"options":"ro,vers=4.2","read_only":true,"source":"s:/x","type":"nfs"})");
}

TEST_CASE("scan_mounts prefers /proc/self/mounts and names what it could not "
          "read") {
  temp_root r;
  auto none = scan_mounts(r.path());
  REQUIRE_FALSE(none.has_value());
  CHECK(none.err().message.find(r.path() + "/proc/mounts")
        != std::string::npos);
  r.write("/proc/mounts", "a /a ext4 rw 0 0\n");
  CHECK(scan_mounts(r.path())->count({mounts, "/a"}) == 1);
  r.write("/proc/self/mounts", "b /b ext4 rw 0 0\n");
  CHECK(scan_mounts(r.path())->count({mounts, "/b"}) == 1);
}

TEST_CASE("modules") {
  auto m = parse_modules("nvidia 56823808 2 nvidia_uvm, Live 0x0\n"
                         "ib_core 1 0 - Live 0x0\n\n");
  CHECK(m.size() == 2);
  CHECK(m[{kernel, "module:nvidia"}] == item_value::of("loaded"));
  temp_root r;
  CHECK_FALSE(scan_modules(r.path()).has_value());
  r.write("/proc/modules", "xfs 1 0 - Live 0x0\n");
  CHECK(scan_modules(r.path())->count({kernel, "module:xfs"}) == 1);
}
