// The hardware identity an enrollment binds a node to (issue 16 item 1):
// the SMBIOS UUID, else the first physical interface's MAC, read under
// --root from a fixture /sys.

#include <doctest/doctest.h>

#include <filesystem>

#include "runtime/node/hardware_identity.hpp"
#include "tests/unit/runtime/node/node_fixtures.hpp"

using namespace pact::node;
using pact::test::temp_root;

namespace {

/// A network interface under /sys/class/net; `physical`: with the
/// `device` link a bus device gives it.
void interface(const temp_root& r, const std::string& name,
               const std::string& mac, bool physical) {
  r.write("/sys/class/net/" + name + "/address", mac + "\n");
  if (!physical)
    return;
  std::filesystem::create_directories(r.host("/sys/devices/pci0000:00"));
  std::filesystem::create_directory_symlink(
    r.host("/sys/devices/pci0000:00"),
    r.host("/sys/class/net/" + name + "/device"));
}

} // namespace

TEST_CASE("the SMBIOS UUID, in lower case, comes first") {
  temp_root r;
  r.write("/sys/class/dmi/id/product_uuid",
          "4C4C4544-0042-3510-8056-B4C04F4A4C32\n");
  interface(r, "eth0", "52:54:00:12:34:56", true);
  auto id = hardware_identity(r.path());
  REQUIRE(id);
  CHECK(*id == "uuid:4c4c4544-0042-3510-8056-b4c04f4a4c32");
}

TEST_CASE("placeholder UUIDs fall back to the first physical MAC") {
  for (auto placeholder :
       {"00000000-0000-0000-0000-000000000000",
        "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
        "03000200-0400-0500-0006-000700080009", "not-a-uuid", ""}) {
    CAPTURE(placeholder);
    temp_root r;
    r.write("/sys/class/dmi/id/product_uuid", std::string(placeholder) + "\n");
    // Loopback and a bridge are not hardware; ib0 sorts before eth1 but
    // has a 20-byte InfiniBand address, not a MAC.
    interface(r, "lo", "00:00:00:00:00:00", false);
    interface(r, "br0", "02:42:ac:11:00:02", false);
    interface(r, "eth1", "52:54:00:AB:CD:EF", true);
    interface(r, "eth0", "00:00:00:00:00:00", true);
    interface(r, "ib0",
              "80:00:02:08:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0a:0b:0c",
              true);
    auto id = hardware_identity(r.path());
    REQUIRE(id);
    CHECK(*id == "mac:52:54:00:ab:cd:ef");
  }
}

TEST_CASE("without a UUID or a physical interface there is no identity") {
  temp_root r;
  interface(r, "lo", "00:00:00:00:00:00", false);
  interface(r, "veth1", "02:42:ac:11:00:02", false);
  auto id = hardware_identity(r.path());
  REQUIRE_FALSE(id);
  CHECK(id.err().message.find("no hardware identity: " + r.path()
                              + "/sys/class/dmi/id/product_uuid")
        == 0);
  CHECK(id.err().message.find(r.path() + "/sys/class/net")
        != std::string::npos);
  CHECK_FALSE(hardware_identity(r.path() + "/missing"));
}

TEST_CASE("usable_uuid checks the shape, not just the length") {
  CHECK(usable_uuid("4c4c4544-0042-3510-8056-b4c04f4a4c32"));
  CHECK_FALSE(usable_uuid("4c4c4544x0042-3510-8056-b4c04f4a4c32"));
  CHECK_FALSE(usable_uuid("4c4c4544-0042-3510-8056-b4c04f4a4cZZ"));
  CHECK_FALSE(usable_uuid("4c4c4544-0042-3510-8056-b4c04f4a4c3"));
}
