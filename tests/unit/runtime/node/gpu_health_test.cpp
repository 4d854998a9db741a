// Health changes between two GPU polls: ECC errors rising, a GPU that
// disappears or appears, throttling, the tool failing and recovering; and
// what is deliberately not a change (temperature, a reset ECC counter,
// idle clocks, a failed poll's unknown devices).

#include <doctest/doctest.h>

#include "runtime/node/gpu_health.hpp"
#include "tests/unit/runtime/node/gpu_test_util.hpp"

using namespace pact::node;
using pact::node::test::nvidia_poll;

TEST_CASE("gpu health: identical polls are no change") {
  auto a = nvidia_poll("nvidia_4gpus.csv");
  CHECK(diff_gpu_polls(a, a).empty());
}

TEST_CASE("gpu health: ECC errors and thermal throttling on one GPU") {
  auto changes = diff_gpu_polls(nvidia_poll("nvidia_4gpus.csv"),
                                nvidia_poll("nvidia_ecc.csv"));
  REQUIRE(changes.size() == 2);
  CHECK(changes[0].kind == gpu_change_kind::ecc_rising);
  CHECK(changes[0].key == "gpu/GPU-4c1e8d2a-1f0b-4e7e-9b1a-0a1b2c3d4e03/ecc");
  CHECK(changes[0].value == "corrected=3 uncorrected=2");
  CHECK(changes[0].previous == "corrected=0 uncorrected=0");
  CHECK(changes[0].action == "modify");
  CHECK(changes[1].kind == gpu_change_kind::throttling);
  CHECK(changes[1].value == "hw_slowdown,hw_thermal_slowdown");
  CHECK(changes[1].previous == "none");
  CHECK(summarize(changes).find("GPU 2 (GPU-4c1e8d2a") == 0);
}

TEST_CASE("gpu health: a GPU lost between polls, named with the reason") {
  auto changes = diff_gpu_polls(nvidia_poll("nvidia_4gpus.csv"),
                                nvidia_poll("nvidia_lost.csv"));
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].kind == gpu_change_kind::disappeared);
  CHECK(changes[0].action == "remove");
  CHECK(changes[0].value.empty()); // the journal refuses a remove with one
  CHECK(changes[0].key == "gpu/GPU-4c1e8d2a-1f0b-4e7e-9b1a-0a1b2c3d4e02");
  CHECK(changes[0].summary
        == "GPU 1 (GPU-4c1e8d2a-1f0b-4e7e-9b1a-0a1b2c3d4e02, NVIDIA H100 80GB "
           "HBM3) disappeared: GPU is lost.  Reboot the system to recover "
           "this GPU");
}

TEST_CASE("gpu health: a GPU that comes back appears") {
  auto changes = diff_gpu_polls(nvidia_poll("nvidia_lost.csv"),
                                nvidia_poll("nvidia_4gpus.csv"));
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].kind == gpu_change_kind::appeared);
  CHECK(changes[0].action == "add");
  CHECK(changes[0].value.find("\"pci_bus_id\":\"00000000:3B:00.0\"")
        != std::string::npos);
}

TEST_CASE("gpu health: readings that move are not changes") {
  auto a = nvidia_poll("nvidia_ecc.csv");
  auto b = a;
  b.report.devices[2].temperature_c = 40;
  b.report.devices[2].ecc_corrected = 0; // driver reload reset the counter
  b.report.devices[2].throttle_reasons = {"hw_slowdown", "hw_thermal_slowdown",
                                          "gpu_idle", "sw_power_cap"};
  CHECK(diff_gpu_polls(a, b).empty());
}

TEST_CASE("gpu health: throttling that stops is reported once") {
  auto changes = diff_gpu_polls(nvidia_poll("nvidia_ecc.csv"),
                                nvidia_poll("nvidia_4gpus.csv"));
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].kind == gpu_change_kind::throttling);
  CHECK(changes[0].summary.find("stopped throttling") != std::string::npos);
}

TEST_CASE("gpu health: the tool failing hides the devices, then recovers") {
  auto good = nvidia_poll("nvidia_4gpus.csv");
  auto bad = good; // a failed poll carries the last good devices
  bad.status = "error: nvidia-smi did not finish within 10000 ms";
  auto down = diff_gpu_polls(good, bad);
  REQUIRE(down.size() == 1);
  CHECK(down[0].kind == gpu_change_kind::tool_failed);
  CHECK(down[0].key == "gpu/tool");
  CHECK(down[0].previous == "ok");
  CHECK(diff_gpu_polls(bad, bad).empty());
  auto lost = nvidia_poll("nvidia_lost.csv");
  auto up = diff_gpu_polls(bad, lost);
  REQUIRE(up.size() == 2);
  CHECK(up[0].kind == gpu_change_kind::disappeared);
  CHECK(up[1].kind == gpu_change_kind::tool_recovered);
}

TEST_CASE("gpu health: first GPUs found after no tool appear") {
  gpu_poll none;
  auto changes = diff_gpu_polls(none, nvidia_poll("nvidia_4gpus.csv"));
  CHECK(changes.size() == 4);
  for (const auto& c : changes)
    CHECK(c.kind == gpu_change_kind::appeared);
}
