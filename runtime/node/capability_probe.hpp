#pragma once

/// The host probes of the capability manifest (issue 11 item 5;
/// docs/capabilities.md has the JSON each one produces). Every path is read
/// under `root` (the agent's --root), so a fixture tree with proc/ and sys/
/// stands in for the kernel's in tests.
///
/// Sources:
///   cpu      /proc/cpuinfo: model ("model name", else "Processor"/"cpu
///            model"), vendor, sockets (distinct "physical id"), cores
///            (distinct physical id/core id pairs), threads ("processor"
///            entries), flags ("flags", else aarch64's "Features"). Without
///            topology lines: 1 socket and cores = threads.
///   memory   /proc/meminfo MemTotal; NUMA nodes from
///            /sys/devices/system/node/nodeN/{meminfo,cpulist}; hugepage pools
///            from /sys/kernel/mm/hugepages/hugepages-NkB/{nr,free}_hugepages,
///            else meminfo's HugePages_Total/Free/Hugepagesize.
///   network  /sys/class/net/NAME for every NAME with a `device` entry
///            (loopback, bridges, bonds, veth and other virtual devices have
///            none): address, mtu, operstate, speed (Mb/s; absent while the
///            link is down), driver (basename of device/driver).
///   storage  /sys/block/NAME with a `device` entry (loop, ram, dm and zram
///            have none): size (sectors × 512), queue/rotational,
///            device/model; and /proc/mounts without the kernel's pseudo
///            filesystems (proc, sysfs, cgroup, devpts, … listed in the .cpp).
///   modules  /proc/modules: name, size, users.
///
/// A probe whose source is missing or unreadable is an error naming the
/// file; the manifest then holds null for that section and the error in
/// "probe_errors". Nothing here throws or aborts on odd content: unknown
/// lines are skipped, unparsable numbers are left out.

#include <string>

#include <nlohmann/json.hpp>

#include "runtime/common/error.hpp"

namespace pact::node {

/// `path` (absolute, e.g. "/proc/cpuinfo") under `root` ("/" = the host).
std::string host_path(const std::string& root, const std::string& path);

expected<nlohmann::json> probe_cpu(const std::string& root);
expected<nlohmann::json> probe_memory(const std::string& root);
expected<nlohmann::json> probe_network(const std::string& root);
expected<nlohmann::json> probe_storage(const std::string& root);
expected<nlohmann::json> probe_modules(const std::string& root);

/// Every host probe: an object with members cpu, memory, network, storage
/// and modules (null where a probe failed) and probe_errors (a list of
/// strings, empty when all succeeded).
nlohmann::json probe_host(const std::string& root);

} // namespace pact::node
