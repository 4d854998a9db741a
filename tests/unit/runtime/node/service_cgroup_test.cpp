// service_cgroup: a service's cgroup v2 slice and memory.max on a cgroup
// tree of plain files under a temporary root (issue 12 item 5).

#include "runtime/node/service_cgroup.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/unit/runtime/node/node_fixtures.hpp"

using namespace pact::node;
using pact::test::temp_root;

namespace {

service_spec spec(const std::string& slice, const std::string& memory) {
  service_spec s;
  s.name = "web";
  s.binary = "/usr/bin/web";
  s.cgroup_slice = slice;
  s.cgroup_memory_max = memory;
  return s;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

} // namespace

TEST_CASE("memory.max from a declared limit") {
  CHECK(*memory_max_bytes("max") == "max");
  CHECK(*memory_max_bytes("1048576") == "1048576");
  CHECK(*memory_max_bytes("512K") == "524288");
  CHECK(*memory_max_bytes("4G") == "4294967296");
  CHECK(*memory_max_bytes("1t") == "1099511627776");
  for (auto bad : {"", "G", "4GB", "-1", "4.5G", "1234567890123456"}) {
    CAPTURE(bad);
    REQUIRE_FALSE(memory_max_bytes(bad));
    CHECK(memory_max_bytes(bad).err().message.find("cgroup_memory_max") == 0);
  }
}

TEST_CASE("the cgroup of a service: its slice, or pact.slice for a bare "
          "limit; a slice that is not a name is refused") {
  CHECK(*cgroup_dir("/", spec("", "")) == "");
  CHECK(*cgroup_dir("/", spec("gpu.slice", ""))
        == "/sys/fs/cgroup/gpu.slice/web.service");
  CHECK(*cgroup_dir("/r", spec("", "1G"))
        == "/r/sys/fs/cgroup/pact.slice/web.service");
  for (auto bad : {"a/b", "..", ".", "x y"}) {
    CAPTURE(bad);
    CHECK_FALSE(cgroup_dir("/", spec(bad, "")));
  }
}

TEST_CASE("placing a service writes memory.max and cgroup.procs under the "
          "root, or says why it was skipped") {
  temp_root r;
  auto root = r.path();
  CHECK(place_in_cgroup(root, spec("gpu.slice", "2G"), 4242)
          .find("no cgroup v2 hierarchy")
        == 0);
  r.write("/sys/fs/cgroup/cgroup.controllers", "cpu memory\n");
  CHECK(place_in_cgroup(root, spec("gpu.slice", "2G"), 4242).empty());
  auto dir = root + "/sys/fs/cgroup/gpu.slice/web.service";
  CHECK(slurp(dir + "/memory.max") == "2147483648");
  CHECK(slurp(dir + "/cgroup.procs") == "4242");
  CHECK(place_in_cgroup(root, spec("", ""), 1).empty()); // nothing declared
  CHECK(place_in_cgroup(root, spec("a/b", ""), 1).find("cgroup_slice 'a/b'")
        == 0);
  CHECK(
    place_in_cgroup(root, spec("s", "lots"), 1).find("cgroup_memory_max 'lots'")
    == 0);
}
