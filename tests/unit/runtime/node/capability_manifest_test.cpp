// The capability manifest: assembled from the probes and a GPU poll,
// written atomically under --root, read back and checked.

#include <filesystem>

#include <doctest/doctest.h>

#include "runtime/common/files.hpp"
#include "runtime/node/capability_manifest.hpp"
#include "runtime/node/capability_probe.hpp"
#include "tests/unit/runtime/node/gpu_test_util.hpp"

using namespace pact::node;
using pact::node::test::temp_dir;

namespace {

gpu_poll four_gpus() {
  return pact::node::test::nvidia_poll("nvidia_4gpus.csv");
}

} // namespace

TEST_CASE("manifest: written under --root, read back, GPUs restored") {
  auto root = temp_dir();
  auto host = probe_host(std::string(PACT_NODE_TESTDATA) + "/root");
  auto m = make_manifest("node-042", 1700000000000, host,
                         gpus_json(four_gpus(), 1700000000500));
  CHECK(m["schema"] == "pact.capability/1");
  CHECK(m["gpus"]["count"] == 4);
  CHECK(m["cpu"]["sockets"] == 2);
  REQUIRE(write_manifest(root, m));
  auto text = read_manifest(root);
  REQUIRE(text);
  CHECK(pact::files::exists(root + "/run/pact/capability.json"));
  auto back = parse_manifest(*text, "x");
  REQUIRE(back);
  CHECK(*back == m);
  auto poll = gpu_poll_of(*back);
  REQUIRE(poll);
  CHECK(poll->ok());
  CHECK(poll->report.devices.size() == 4);
  CHECK(poll->report.devices[3].identity()
        == four_gpus().report.devices[3].identity());
  // Rewriting replaces it whole (no temporary file left beside it).
  m["gpus"] = gpus_json(gpu_poll{}, 1700000001000);
  REQUIRE(write_manifest(root, m));
  auto again = parse_manifest(*read_manifest(root), "x");
  REQUIRE(again);
  CHECK((*again)["gpus"]["count"] == 0);
  CHECK((*again)["gpus"]["status"] == "no GPU tool");
}

TEST_CASE("manifest: a root that is gone is not recreated") {
  // Recreating a moved-away --root made it look back (issue 11).
  auto root = temp_dir() + "/moved";
  auto st = write_manifest(root, nlohmann::json::object());
  REQUIRE_FALSE(st);
  CHECK(st.err().message
        == root
             + " is gone (was it removed or moved?); the capability manifest "
               "is not written");
  CHECK_FALSE(pact::files::exists(root));
}

TEST_CASE("manifest: missing, torn or foreign files are named errors") {
  auto root = temp_dir();
  auto none = read_manifest(root);
  REQUIRE_FALSE(none);
  CHECK(none.err().message.find("no capability manifest at " + root
                                + "/run/pact/capability.json yet")
        == 0);
  REQUIRE(pact::files::make_dirs(root + "/run/pact"));
  REQUIRE(pact::files::write_atomic(root + "/run/pact/capability.json",
                                    "{\"schema\": \"pact.capab"));
  CHECK(read_manifest(root).err().message
        == root + "/run/pact/capability.json: not a JSON object");
  REQUIRE(pact::files::write_atomic(root + "/run/pact/capability.json",
                                    "{\"schema\": \"other/2\"}"));
  CHECK(read_manifest(root).err().message
        == root
             + "/run/pact/capability.json: not a pact.capability/1 manifest");
  auto bad = nlohmann::json{{"gpus", {{"devices", {{{"index", "x"}}}}}}};
  CHECK_FALSE(gpu_poll_of(bad));
  CHECK_FALSE(gpu_poll_of(nlohmann::json::object()));
}

TEST_CASE("manifest: a symlink planted at /run/pact never leads the write "
          "out of the root") {
  auto root = temp_dir();
  auto outside = temp_dir();
  REQUIRE(pact::files::make_dirs(root + "/run"));
  std::filesystem::create_symlink(outside, root + "/run/pact");
  REQUIRE(write_manifest(root, make_manifest("n1", 1, {}, {})));
  CHECK(std::filesystem::is_empty(outside));
  CHECK(pact::files::exists(root + outside + "/capability.json"));
}
