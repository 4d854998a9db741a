// `pact cap` text: the sections of a manifest, GPU health flags, and a
// hostile or broken manifest from a remote agent (no exception, no control
// sequence reaches the terminal).

#include <doctest/doctest.h>

#include "runtime/render/capability_render.hpp"

using pact::render::bytes_text;
using pact::render::render_capability_text;

namespace {

nlohmann::json sample() {
  return nlohmann::json::parse(R"j({
    "schema": "pact.capability/1", "node": "node-042",
    "generated_unix_ms": 1700000000000,
    "cpu": {"model": "Xeon", "vendor": "GenuineIntel", "sockets": 2,
            "cores": 4, "threads": 8, "flags": ["avx2", "avx512f"]},
    "memory": {"total_bytes": 540672000000,
               "numa_nodes": [{"id": 0, "cpus": "0-3",
                               "memory_total_bytes": 270336000000}],
               "hugepages": [{"page_size_kib": 2048, "total": 1024,
                              "free": 1000}]},
    "gpus": {"tool": "nvidia-smi", "status": "ok",
             "polled_unix_ms": 1700000005000, "count": 2, "problems": [],
             "devices": [
      {"index": 0, "uuid": "GPU-a", "name": "H100", "vendor": "nvidia",
       "pci_bus_id": "00000000:1B:00.0", "driver_version": "550",
       "memory_total_mib": 81559, "temperature_c": 34, "ecc_corrected": 0,
       "ecc_uncorrected": 0, "throttle_reasons": []},
      {"index": 1, "uuid": "GPU-b", "name": "H100", "vendor": "nvidia",
       "pci_bus_id": "00000000:3B:00.0", "driver_version": "550",
       "memory_total_mib": 81559, "temperature_c": 91, "ecc_corrected": 3,
       "ecc_uncorrected": 2, "throttle_reasons": ["hw_thermal_slowdown"]}]},
    "network": [{"name": "ib0", "mac": "80:00", "mtu": 4092, "state": "up",
                 "speed_mbps": 200000, "driver": "mlx5_core"}],
    "storage": {"block_devices": [{"name": "nvme0n1", "model": "SAMSUNG",
                                   "size_bytes": 3840755982336,
                                   "rotational": false}],
                "mounts": [{"source": "storage01:/scratch",
                            "target": "/scratch", "type": "nfs4",
                            "options": "rw"}]},
    "modules": [{"name": "nvidia", "size_bytes": 1, "used_by": []}],
    "probe_errors": []})j");
}

} // namespace

TEST_CASE("cap text: every section, GPU health on the faulty GPU only") {
  auto text = render_capability_text(sample(), 1700000010000);
  CHECK(text.find("Node     node-042 (manifest generated 10s ago)")
        != std::string::npos);
  CHECK(text.find("CPU      Xeon: 2 socket(s), 4 cores, 8 threads")
        != std::string::npos);
  CHECK(text.find("Memory   503.5 GiB total") != std::string::npos);
  CHECK(text.find("NUMA node 0: 251.8 GiB, cpus 0-3") != std::string::npos);
  CHECK(text.find("GPUs     2 via nvidia-smi (ok, polled 5s ago)")
        != std::string::npos);
  CHECK(text.find("ECC errors 3/2; throttle: hw_thermal_slowdown")
        != std::string::npos);
  CHECK(text.find("79.6 GiB") != std::string::npos);
  CHECK(text.find("ib0") != std::string::npos);
  CHECK(text.find("200000 Mb/s") != std::string::npos);
  CHECK(text.find("/scratch") != std::string::npos);
  CHECK(text.find("3.5 TiB") != std::string::npos);
  CHECK(text.find("Modules  1 loaded: nvidia") != std::string::npos);
  CHECK(text.find("probe error") == std::string::npos);
}

TEST_CASE("cap text: mistyped members and control characters are harmless") {
  auto m = sample();
  m["node"] = "n\x1b[2Jx";
  m["cpu"]["sockets"] = "two";
  m["gpus"]["devices"][0]["name"] = nlohmann::json::array();
  m["memory"] = 17;
  m["network"] = "eth0";
  m["probe_errors"] = {"modules: /proc/modules: cannot open"};
  std::string text;
  CHECK_NOTHROW(text = render_capability_text(m, 0));
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK(text.find("n\\x1b[2Jx") != std::string::npos);
  CHECK(text.find("?, 4 cores") == std::string::npos); // sockets -> "?"
  CHECK(text.find("Xeon: ? socket(s)") != std::string::npos);
  CHECK(text.find("Memory   unknown") != std::string::npos);
  CHECK(text.find("probe error: modules: /proc/modules: cannot open")
        != std::string::npos);
  CHECK_NOTHROW(render_capability_text(nlohmann::json::array(), 0));
  CHECK_NOTHROW(render_capability_text(nlohmann::json(), 0));
}

TEST_CASE("bytes_text: binary units") {
  CHECK(bytes_text(512) == "512 B");
  CHECK(bytes_text(uint64_t{81559} << 20) == "79.6 GiB");
  CHECK(bytes_text(uint64_t{1} << 40) == "1.0 TiB");
}

TEST_CASE("cap text: a section the agent could not probe reads unknown") {
  auto m = sample();
  m["network"] = nullptr;
  m["storage"] = nullptr;
  m["modules"] = nullptr;
  auto text = render_capability_text(m, 0);
  CHECK(text.find("Network  unknown (see probe errors)") != std::string::npos);
  CHECK(text.find("Storage  unknown (see probe errors)") != std::string::npos);
  CHECK(text.find("Modules  unknown (see probe errors)") != std::string::npos);
  CHECK(text.find("0 disk(s)") == std::string::npos);
  CHECK(text.find("? interface(s)") == std::string::npos);
}
