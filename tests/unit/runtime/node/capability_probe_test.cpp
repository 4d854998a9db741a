// Capability probes read /proc and /sys under --root: the fixture tree in
// testdata/root stands in for a dual-socket node with two NUMA nodes,
// physical and virtual network devices, disks, mounts and modules.

#include <doctest/doctest.h>

#include "runtime/node/capability_probe.hpp"

using namespace pact::node;

namespace {

const std::string root = std::string(PACT_NODE_TESTDATA) + "/root";

} // namespace

TEST_CASE("host_path: prefixes --root, leaves / alone") {
  CHECK(host_path("/", "/proc/cpuinfo") == "/proc/cpuinfo");
  CHECK(host_path("/tmp/r", "/proc/cpuinfo") == "/tmp/r/proc/cpuinfo");
  CHECK(host_path("/tmp/r/", "/proc/cpuinfo") == "/tmp/r/proc/cpuinfo");
}

TEST_CASE("cpu: model, sockets, cores, threads and flags from cpuinfo") {
  auto cpu = probe_cpu(root);
  REQUIRE(cpu);
  CHECK((*cpu)["model"] == "Intel(R) Xeon(R) Platinum 8480+");
  CHECK((*cpu)["vendor"] == "GenuineIntel");
  CHECK((*cpu)["sockets"] == 2);
  CHECK((*cpu)["cores"] == 4);
  CHECK((*cpu)["threads"] == 8);
  auto flags = (*cpu)["flags"].get<std::vector<std::string>>();
  CHECK(flags
        == std::vector<std::string>{"amx_tile", "avx2", "avx512f", "fpu",
                                    "sse4_2", "vme"});
}

TEST_CASE("memory: total, NUMA nodes and hugepage pools") {
  auto mem = probe_memory(root);
  REQUIRE(mem);
  CHECK((*mem)["total_bytes"] == uint64_t{528000000} * 1024);
  auto& numa = (*mem)["numa_nodes"];
  REQUIRE(numa.size() == 2);
  CHECK(numa[0]["id"] == 0);
  CHECK(numa[0]["cpus"] == "0-3");
  CHECK(numa[1]["memory_total_bytes"] == uint64_t{264000000} * 1024);
  auto& pools = (*mem)["hugepages"];
  REQUIRE(pools.size() == 2);
  // Smallest page size first (not the directory names' text order).
  CHECK(pools[0]["page_size_kib"] == 2048);
  CHECK(pools[0]["total"] == 1024);
  CHECK(pools[0]["free"] == 1000);
  CHECK(pools[1]["page_size_kib"] == 1048576);
  CHECK(pools[1]["total"] == 16);
}

TEST_CASE("network: physical devices only; a down link has no speed") {
  auto net = probe_network(root);
  REQUIRE(net);
  std::vector<std::string> names;
  for (const auto& n : *net)
    names.push_back(n["name"]);
  // lo, docker0 and veth1a2b have no `device`: virtual.
  CHECK(names == std::vector<std::string>{"eth0", "eth1", "ib0"});
  CHECK((*net)[0]["driver"] == "ice");
  CHECK((*net)[0]["speed_mbps"] == 25000);
  CHECK((*net)[0]["mtu"] == 9000);
  CHECK((*net)[0]["mac"] == "3c:ec:ef:01:02:03");
  CHECK((*net)[1]["state"] == "down");
  CHECK((*net)[1]["speed_mbps"].is_null());
  CHECK((*net)[1]["driver"] == "");
  CHECK((*net)[2]["driver"] == "mlx5_core");
}

TEST_CASE("storage: real block devices and non-pseudo mounts") {
  auto st = probe_storage(root);
  REQUIRE(st);
  auto& disks = (*st)["block_devices"];
  REQUIRE(disks.size() == 2); // loop0 is virtual
  CHECK(disks[0]["name"] == "nvme0n1");
  CHECK(disks[0]["model"] == "SAMSUNG MZQL23T8HCLS-00A07");
  CHECK(disks[0]["size_bytes"] == uint64_t{7501476528} * 512);
  CHECK(disks[0]["rotational"] == false);
  CHECK(disks[1]["rotational"] == true);
  std::vector<std::string> targets;
  for (const auto& m : (*st)["mounts"])
    targets.push_back(m["target"]);
  CHECK(targets
        == std::vector<std::string>{"/", "/scratch", "/run", "/data set"});
  CHECK((*st)["mounts"][1]["type"] == "nfs4");
  CHECK((*st)["mounts"][1]["source"] == "storage01:/scratch");
}

TEST_CASE("modules: names, sizes and users, sorted") {
  auto mods = probe_modules(root);
  REQUIRE(mods);
  REQUIRE(mods->size() == 3);
  CHECK((*mods)[0]["name"] == "mlx5_core");
  CHECK((*mods)[0]["used_by"] == std::vector<std::string>{"mlx5_ib"});
  CHECK((*mods)[1]["name"] == "nvidia");
  CHECK((*mods)[1]["size_bytes"] == 56393728);
  CHECK((*mods)[1]["used_by"]
        == std::vector<std::string>{"nvidia_uvm", "nvidia_modeset"});
  CHECK((*mods)[2]["used_by"].empty());
}

TEST_CASE("probe_host: a missing source is a named error, not a crash") {
  auto host = probe_host("/nonexistent-root");
  CHECK(host["cpu"].is_null());
  CHECK(host["memory"].is_null());
  REQUIRE(host["probe_errors"].size() == 5);
  auto first = host["probe_errors"][0].get<std::string>();
  CHECK(first.find("cpu: /nonexistent-root/proc/cpuinfo") == 0);
}

TEST_CASE("probe_host: the fixture probes cleanly") {
  auto host = probe_host(root);
  CHECK(host["probe_errors"].empty());
  CHECK(host["cpu"]["threads"] == 8);
}
