// nvidia-smi CSV and rocm-smi JSON parsers against recorded outputs:
// several GPUs, an ECC error with thermal throttling, a lost GPU, a board
// without ECC, and malformed output (a clear error, never a crash).

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "runtime/node/gpu_inventory.hpp"
#include "tests/unit/runtime/node/gpu_test_util.hpp"

using namespace pact::node;
using pact::node::test::recorded;

TEST_CASE("nvidia-smi arguments: the documented query fields, CSV form") {
  auto args = nvidia_smi_args();
  REQUIRE(args.size() == 2);
  CHECK(args[0]
        == "--query-gpu=index,uuid,name,pci.bus_id,driver_version,"
           "memory.total,temperature.gpu,ecc.errors.corrected.volatile.total,"
           "ecc.errors.uncorrected.volatile.total,"
           "clocks_throttle_reasons.active");
  CHECK(args[1] == "--format=csv,noheader,nounits");
}

TEST_CASE("nvidia-smi: four healthy GPUs") {
  auto r = parse_nvidia_csv(recorded("nvidia_4gpus.csv"));
  REQUIRE(r);
  REQUIRE(r->devices.size() == 4);
  CHECK(r->problems.empty());
  const auto& d = r->devices[1];
  CHECK(d.index == 1);
  CHECK(d.uuid == "GPU-4c1e8d2a-1f0b-4e7e-9b1a-0a1b2c3d4e02");
  CHECK(d.name == "NVIDIA H100 80GB HBM3");
  CHECK(d.pci_bus_id == "00000000:3B:00.0");
  CHECK(d.driver_version == "550.54.15");
  CHECK(d.memory_total_mib == 81559);
  CHECK(d.temperature_c == 34);
  CHECK(d.ecc_corrected == 0u);
  CHECK(d.ecc_uncorrected == 0u);
  CHECK(d.throttle_reasons.empty());
  CHECK(d.vendor == "nvidia");
}

TEST_CASE("nvidia-smi: ECC counts and throttle reasons decoded") {
  auto r = parse_nvidia_csv(recorded("nvidia_ecc.csv"));
  REQUIRE(r);
  const auto& d = r->devices[2];
  CHECK(d.ecc_corrected == 3u);
  CHECK(d.ecc_uncorrected == 2u);
  CHECK(d.temperature_c == 91);
  CHECK(d.throttle_reasons
        == std::vector<std::string>{"hw_slowdown", "hw_thermal_slowdown"});
}

TEST_CASE("nvidia-smi: a lost GPU is a problem line, the others parse") {
  auto r = parse_nvidia_csv(recorded("nvidia_lost.csv"));
  REQUIRE(r);
  CHECK(r->devices.size() == 3);
  REQUIRE(r->problems.size() == 1);
  CHECK(r->problems[0].find("GPU is lost") != std::string::npos);
}

TEST_CASE("nvidia-smi: [N/A] and [Not Supported] are unknown values") {
  auto r = parse_nvidia_csv(recorded("nvidia_no_ecc.csv"));
  REQUIRE(r);
  REQUIRE(r->devices.size() == 1);
  const auto& d = r->devices[0];
  CHECK_FALSE(d.temperature_c.has_value());
  CHECK_FALSE(d.ecc_corrected.has_value());
  CHECK_FALSE(d.ecc_uncorrected.has_value());
  CHECK(d.throttle_reasons.empty());
}

TEST_CASE("nvidia-smi: a GPU answering [Unknown Error] does not fail the "
          "poll") {
  auto r = parse_nvidia_csv("0, GPU-x, H100, 00000000:01:00.0, 550, "
                            "[Unknown Error], [Unknown Error], [Unknown "
                            "Error], [Unknown Error], [Unknown Error]\n");
  REQUIRE(r);
  REQUIRE(r->devices.size() == 1);
  CHECK(r->devices[0].memory_total_mib == 0);
  CHECK_FALSE(r->devices[0].temperature_c.has_value());
  CHECK_FALSE(r->devices[0].ecc_uncorrected.has_value());
}

TEST_CASE("nvidia-smi: a name with a comma stays whole") {
  auto r = parse_nvidia_csv("0, GPU-x, Board, Rev 2, 00000000:01:00.0, 1, "
                            "100, 30, 0, 0, 0x1\n");
  REQUIRE(r);
  REQUIRE(r->devices.size() == 1);
  CHECK(r->devices[0].name == "Board, Rev 2");
  CHECK(r->devices[0].pci_bus_id == "00000000:01:00.0");
  CHECK(r->devices[0].throttle_reasons == std::vector<std::string>{"gpu_idle"});
}

TEST_CASE("nvidia-smi: malformed output is an error naming line and field") {
  auto r = parse_nvidia_csv(recorded("nvidia_malformed.csv"));
  REQUIRE_FALSE(r);
  CHECK(r.err().message
        == "nvidia-smi output line 2: memory.total 'lots' is not a number");
  auto s = parse_nvidia_csv(recorded("nvidia_short.csv"));
  REQUIRE_FALSE(s);
  CHECK(s.err().message == "nvidia-smi output line 1: 3 fields, expected 10");
  auto t = parse_nvidia_csv(recorded("nvidia_failed.txt"));
  CHECK_FALSE(t);
  auto hex = parse_nvidia_csv("0, u, n, b, d, 1, 2, 3, 4, 0xZZ\n");
  REQUIRE_FALSE(hex);
  CHECK(hex.err().message.find("is not a hexadecimal mask")
        != std::string::npos);
  auto neg = parse_nvidia_csv("-1, u, n, b, d, 1, 2, 3, 4, 0x0\n");
  CHECK_FALSE(neg);
  auto ecc = parse_nvidia_csv("0, u, n, b, d, 1, 2, -3, 4, 0x0\n");
  CHECK_FALSE(ecc);
}

TEST_CASE("nvidia-smi: empty output is no GPUs") {
  auto r = parse_nvidia_csv("");
  REQUIRE(r);
  CHECK(r->devices.empty());
}

TEST_CASE("rocm-smi: two cards, driver version from the system member") {
  auto r = parse_rocm_json(recorded("rocm_2gpus.json"));
  REQUIRE(r);
  REQUIRE(r->devices.size() == 2);
  const auto& d = r->devices[0];
  CHECK(d.index == 0);
  CHECK(d.vendor == "amd");
  CHECK(d.uuid == "0x2b4e1a7c9d3f5e61");
  CHECK(d.name == "AMD Instinct MI300X");
  CHECK(d.pci_bus_id == "0000:05:00.0");
  CHECK(d.memory_total_mib == 196592);
  CHECK(d.temperature_c == 35);
  CHECK(d.driver_version == "6.7.0");
  CHECK_FALSE(d.ecc_uncorrected.has_value());
  CHECK(r->devices[1].temperature_c == 38); // junction when no edge sensor
}

TEST_CASE("rocm-smi: malformed output is a clear error") {
  CHECK(parse_rocm_json("not json").err().message
        == "rocm-smi output is not JSON");
  CHECK(parse_rocm_json("[1]").err().message
        == "rocm-smi output is not a JSON object");
  CHECK(parse_rocm_json(recorded("rocm_bad_card.json")).err().message
        == "rocm-smi output: card0 \"Unique ID\" is not a string");
  CHECK(parse_rocm_json(R"({"cardX": {}})").err().message
        == "rocm-smi output: 'cardX' is not a card name (cardN)");
  CHECK(parse_rocm_json(R"({"card0": 3})").err().message
        == "rocm-smi output: card0 is not an object");
  CHECK_FALSE(
    parse_rocm_json(R"j({"card0": {"VRAM Total Memory (B)": "many"}})j"));
}

TEST_CASE("gpu_device JSON: round trip, and wrong types are named") {
  auto r = parse_nvidia_csv(recorded("nvidia_ecc.csv"));
  REQUIRE(r);
  for (const auto& d : r->devices) {
    auto back = gpu_from_json(to_json(d));
    REQUIRE(back);
    CHECK(to_json(*back) == to_json(d));
  }
  auto j = to_json(r->devices[0]);
  j["memory_total_mib"] = "big";
  CHECK(gpu_from_json(j).err().message
        == "GPU entry: member \"memory_total_mib\" is missing or has the "
           "wrong type");
  j = to_json(r->devices[0]);
  j["index"] = -1;
  CHECK_FALSE(gpu_from_json(j));
  CHECK_FALSE(gpu_from_json(nlohmann::json::array()));
}

TEST_CASE("throttle reasons: known bits named, unknown bits numbered") {
  CHECK(decode_throttle_reasons(0).empty());
  CHECK(decode_throttle_reasons(0x4)
        == std::vector<std::string>{"sw_power_cap"});
  CHECK(decode_throttle_reasons(uint64_t{1} << 40)
        == std::vector<std::string>{"bit_40"});
  CHECK(is_health_throttle("hw_thermal_slowdown"));
  CHECK_FALSE(is_health_throttle("sw_power_cap"));
  CHECK_FALSE(is_health_throttle("gpu_idle"));
}
