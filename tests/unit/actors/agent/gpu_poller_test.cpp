// The GPU poller under CAF's deterministic test coordinator: a fake
// nvidia-smi on the poller's PATH replays recorded outputs; a stand-in
// journal link collects the capability-change records. The worker runs on
// the coordinator (detached_worker = false), so nothing here sleeps.

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <nlohmann/json.hpp>

#include "actors/agent/agent_atoms.hpp"
#include "actors/agent/gpu_poller.hpp"
#include "actors/supervision/health_registry.hpp"
#include "runtime/common/files.hpp"
#include "runtime/node/capability_manifest.hpp"
#include "tests/unit/actors/coordinator_config.hpp"
#include <pact/protocol/journal.pb.h>

using namespace pact;

namespace {

namespace fs = std::filesystem;

std::string temp_dir() {
  char tmpl[] = "/tmp/pact-poller-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  return tmpl;
}

std::string testdata(const std::string& rel) {
  return std::string(PACT_NODE_TESTDATA) + "/" + rel;
}

/// Collects what the poller sends to the journal link.
struct link_log {
  std::vector<protocol::JournalCommand> commands;
};

caf::behavior fake_link(caf::event_based_actor*, link_log* log) {
  return {
    [log](agent::node_command_atom, const std::string& bytes) {
      protocol::JournalCommand cmd;
      REQUIRE(cmd.ParseFromString(bytes));
      log->commands.push_back(cmd);
    },
  };
}

struct fixture : pact::test::coordinated_system {
  std::string root = temp_dir();
  std::string bin = temp_dir();
  link_log log;
  caf::actor link = sys.spawn(fake_link, &log);
  std::vector<caf::actor> pollers;

  fixture() {
    // The fixture host (proc/ and sys/), copied: the poller writes
    // run/pact/capability.json under its root.
    fs::copy(testdata("root"), root,
             fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    REQUIRE(files::write_atomic(
      bin + "/nvidia-smi", "#!/bin/sh\nexec cat '" + bin + "/current.csv'\n",
      0755));
    serve("nvidia_4gpus.csv");
  }

  ~fixture() {
    // The actor system waits for every actor when it is destroyed.
    for (auto& p : pollers)
      caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(link, caf::exit_reason::user_shutdown);
    if (registry)
      caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
    run();
  }

  /// What the fake nvidia-smi prints from now on.
  void serve(const std::string& recorded) {
    auto text = files::read_all(testdata("gpu/" + recorded));
    REQUIRE(text);
    REQUIRE(files::write_atomic(bin + "/current.csv", *text));
  }

  /// The poller's row in a health registry, when start() was given one.
  caf::actor registry;
  protocol::ActorHealth row() {
    protocol::ActorHealth out;
    auto probe = sys.spawn([&](caf::event_based_actor* self) {
      self
        ->request(registry, caf::infinite,
                  protocol::health_snapshot_atom::value)
        .then([&](const std::string& bytes) {
          protocol::HealthTree t;
          REQUIRE(t.ParseFromString(bytes));
          for (const auto& a : t.actors())
            if (a.name() == "agent/gpu-poller")
              out = a;
        });
    });
    run();
    return out;
  }

  caf::actor start(bool with_registry = false) {
    supervision::health_handle h;
    if (with_registry) {
      registry = supervision::spawn_health_registry(sys, {"agent", "n1", "0"},
                                                    wall);
      h = {registry, "agent/gpu-poller"};
    }
    agent::gpu_poller_config c;
    c.node_id = "node-042";
    c.root = root;
    c.tool.path_env = bin;
    c.interval = std::chrono::seconds(30);
    c.journal_link = link;
    c.wall = wall;
    c.detached_worker = false;
    auto a = sys.spawn(agent::gpu_poller, h, c);
    pollers.push_back(a);
    if (registry)
      caf::anon_send(registry, protocol::health_register_atom::value,
                     std::string("agent/gpu-poller"), std::string("gpu-poller"),
                     std::string(), a);
    run();
    return a;
  }

  nlohmann::json manifest() {
    auto text = node::read_manifest(root);
    REQUIRE(text);
    return nlohmann::json::parse(*text);
  }
};

} // namespace

TEST_CASE_FIXTURE(fixture, "poller: first poll writes the manifest, records "
                           "nothing") {
  start();
  auto m = manifest();
  CHECK(m["node"] == "node-042");
  CHECK(m["gpus"]["count"] == 4);
  CHECK(m["gpus"]["tool"] == "nvidia-smi");
  CHECK(m["cpu"]["threads"] == 8);
  CHECK(m["probe_errors"].empty());
  CHECK(log.commands.empty());
}

TEST_CASE_FIXTURE(fixture, "poller: a GPU lost between polls is recorded") {
  auto poller = start();
  serve("nvidia_lost.csv");
  caf::anon_send(poller, agent::gpu_poll_atom::value);
  run();
  CHECK(manifest()["gpus"]["count"] == 3);
  REQUIRE(log.commands.size() == 1);
  const auto& cmd = log.commands[0];
  CHECK(cmd.kind() == protocol::COMMAND_KIND_RECORD);
  CHECK(cmd.record_type() == protocol::ENTRY_TYPE_CAPABILITY_CHANGE);
  CHECK(cmd.scope().node() == "node-042");
  REQUIRE(cmd.state_delta().items_size() == 1);
  const auto& item = cmd.state_delta().items(0);
  CHECK(item.category() == protocol::DELTA_CATEGORY_GPU);
  CHECK(item.action() == protocol::DELTA_ACTION_REMOVE);
  CHECK(item.key() == "gpu/GPU-4c1e8d2a-1f0b-4e7e-9b1a-0a1b2c3d4e02");
  CHECK(cmd.message().find("disappeared: GPU is lost") != std::string::npos);
  CHECK_FALSE(cmd.client_request_id().empty());
}

TEST_CASE_FIXTURE(fixture, "poller: the timer polls every interval; no "
                           "change, no record") {
  start();
  serve("nvidia_ecc.csv");
  sched.advance_time(std::chrono::seconds(29));
  run();
  CHECK(log.commands.empty()); // not yet
  sched.advance_time(std::chrono::seconds(1));
  run();
  REQUIRE(log.commands.size() == 1);
  CHECK(log.commands[0].state_delta().items_size() == 2); // ECC + throttle
  sched.advance_time(std::chrono::seconds(30));
  run();
  CHECK(log.commands.size() == 1); // same state again: nothing new
}

TEST_CASE_FIXTURE(fixture, "poller: a restarted poller compares with the "
                           "manifest it left") {
  auto first = start();
  caf::anon_send_exit(first, caf::exit_reason::user_shutdown);
  run();
  serve("nvidia_lost.csv");
  start();
  REQUIRE(log.commands.size() == 1);
  CHECK(log.commands[0].state_delta().items(0).action()
        == protocol::DELTA_ACTION_REMOVE);
}

TEST_CASE_FIXTURE(fixture, "poller: no GPU tool is not an error; a broken "
                           "tool keeps the last GPUs and is recorded") {
  fs::remove(bin + "/nvidia-smi");
  auto poller = start();
  CHECK(manifest()["gpus"]["status"] == "no GPU tool");
  CHECK(manifest()["gpus"]["count"] == 0);
  REQUIRE(files::write_atomic(bin + "/nvidia-smi",
                              "#!/bin/sh\nexec cat '" + bin + "/current.csv'\n",
                              0755));
  caf::anon_send(poller, agent::gpu_poll_atom::value);
  run();
  CHECK(manifest()["gpus"]["count"] == 4);
  CHECK(log.commands.size() == 1); // four GPUs appeared
  serve("nvidia_malformed.csv");
  caf::anon_send(poller, agent::gpu_poll_atom::value);
  run();
  auto m = manifest();
  CHECK(m["gpus"]["status"]
        == "error: nvidia-smi output line 2: memory.total 'lots' is not a "
           "number");
  CHECK(m["gpus"]["count"] == 4);
  REQUIRE(log.commands.size() == 2);
  CHECK(log.commands[1].state_delta().items(0).key() == "gpu/tool");
}

TEST_CASE_FIXTURE(fixture, "poller: a worker whose poller died stops") {
  auto poller = start();
  auto before = sys.registry().running();
  caf::anon_send(poller, agent::gpu_poll_atom::value);
  sched.run_once(); // the poller spawns a worker and asks it
  CHECK(sys.registry().running() == before + 1);
  caf::anon_send_exit(poller, caf::exit_reason::kill);
  run(); // the worker answers a dead poller, then sees it down
  CHECK(sys.registry().running() == before - 1);
  CHECK(log.commands.empty());
}

TEST_CASE_FIXTURE(fixture, "poller: health is running for a CPU node, "
                           "degraded while the tool fails") {
  fs::remove(bin + "/nvidia-smi");
  auto poller = start(true);
  caf::anon_send(poller, agent::gpu_poll_atom::value); // report after
  run();                                               // registration
  auto r = row();
  CHECK(r.state() == protocol::ACTOR_STATE_RUNNING);
  CHECK(r.detail() == "no GPU tool");
  REQUIRE(
    files::write_atomic(bin + "/nvidia-smi", "#!/bin/sh\nexit 9\n", 0755));
  caf::anon_send(poller, agent::gpu_poll_atom::value);
  run();
  r = row();
  CHECK(r.state() == protocol::ACTOR_STATE_DEGRADED);
  CHECK(r.detail() == "GPU tool error: nvidia-smi exited with status 9");
  serve("nvidia_4gpus.csv");
  REQUIRE(files::write_atomic(bin + "/nvidia-smi",
                              "#!/bin/sh\nexec cat '" + bin + "/current.csv'\n",
                              0755));
  caf::anon_send(poller, agent::gpu_poll_atom::value);
  run();
  r = row();
  CHECK(r.state() == protocol::ACTOR_STATE_RUNNING);
  CHECK(r.detail() == "4 GPU(s) via nvidia-smi");
}
